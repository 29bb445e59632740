"""Packing units: the pallets, boxes and crates a shipment travels in, and what each holds.

Customs officers, airlines and warehouse crews count packages, not lines. A unit is numbered
within its shipment (``3/12``), may sit in another unit (boxes on a pallet), and holds parts of
the shipment's lines (``UnitContent``), so one line can be spread over many boxes.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.database import Quantity, Weight, enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.shipments.models import LineCondition, Shipment, ShipmentLine

Length = Numeric(7, 1)
"""Centimetres, to the millimetre."""


class UnitKind(StrEnum):
    PALLET = "pallet"
    BOX = "box"
    CRATE = "crate"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])


UNIT_KIND_LABELS = {
    UnitKind.PALLET: _l("Pallet"),
    UnitKind.BOX: _l("Box"),
    UnitKind.CRATE: _l("Crate"),
}


class PackingUnit(db.Model):
    __tablename__ = "packing_units"
    __table_args__ = (
        UniqueConstraint("shipment_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("parent_id <> id", name="not_inside_itself"),
        CheckConstraint("gross_weight_kg >= 0", name="weight_not_negative"),
        CheckConstraint(
            "length_cm > 0 AND width_cm > 0 AND height_cm > 0", name="dimensions_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    """n in ``n/N``: 1 to the number of units of the shipment, without gaps."""
    kind: Mapped[UnitKind] = mapped_column(enum_column_type(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("packing_units.id", ondelete="SET NULL"), index=True
    )
    gross_weight_kg: Mapped[Decimal | None] = mapped_column(Weight)
    """As weighed, with everything in it; None means the sum of what it holds."""
    length_cm: Mapped[Decimal | None] = mapped_column(Length)
    width_cm: Mapped[Decimal | None] = mapped_column(Length)
    height_cm: Mapped[Decimal | None] = mapped_column(Length)
    condition: Mapped[LineCondition | None] = mapped_column(
        enum_column_type(LineCondition, "unit_condition")
    )
    """How the unit arrived, once the recipient confirmed receipt by unit."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shipment: Mapped[Shipment] = relationship()
    parent: Mapped["PackingUnit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["PackingUnit"]] = relationship(
        back_populates="parent", order_by="PackingUnit.number", passive_deletes=True
    )
    contents: Mapped[list["UnitContent"]] = relationship(
        back_populates="unit",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="UnitContent.id",
    )

    @property
    def volume_m3(self) -> Decimal | None:
        """Outer volume from the dimensions, or None when one of them is not recorded."""
        if None in (self.length_cm, self.width_cm, self.height_cm):
            return None
        return self.length_cm * self.width_cm * self.height_cm / Decimal(1_000_000)


class UnitContent(db.Model):
    """How much of one shipment line one unit holds."""

    __tablename__ = "unit_contents"
    __table_args__ = (
        UniqueConstraint("unit_id", "line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("packing_units.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(
        ForeignKey("shipment_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    unit: Mapped[PackingUnit] = relationship(back_populates="contents")
    line: Mapped[ShipmentLine] = relationship()
