"""Shipments, their lines, their status history and their documents."""

import secrets
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.auth.models import User
from aidtracker.catalogue.models import CatalogueItem, Unit
from aidtracker.database import Money, Quantity, Weight, currency_code, enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.money.rates import round_cents
from aidtracker.parties.models import City, Organisation


class LabelledEnum(StrEnum):
    """A status or kind whose label, shown to users, is translated."""

    @property
    def label(self) -> str:
        return str(LABELS.get(self, self.value))


class ShipmentStatus(LabelledEnum):
    DRAFT = "draft"
    READY = "ready"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RECEIVED = "received"
    RECEIVED_WITH_DISCREPANCY = "received_with_discrepancy"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    LOST = "lost"


class CustomsStatus(LabelledEnum):
    NOT_REQUIRED = "not_required"
    DOCUMENTS_PENDING = "documents_pending"
    DECLARED = "declared"
    UNDER_INSPECTION = "under_inspection"
    HELD = "held"
    CLEARED = "cleared"
    REJECTED = "rejected"


class TransportMode(LabelledEnum):
    ROAD = "road"
    RAIL = "rail"
    AIR = "air"
    SEA = "sea"


class Funding(LabelledEnum):
    IN_KIND = "in_kind"
    PURCHASED = "purchased"


class LineCondition(LabelledEnum):
    GOOD = "good"
    DAMAGED = "damaged"
    MISSING = "missing"


class DocumentKind(LabelledEnum):
    CMR = "cmr"
    PACKING_LIST = "packing_list"
    HUMANITARIAN_AID_DECLARATION = "humanitarian_aid_declaration"
    DEED_OF_DONATION = "deed_of_donation"
    PROFORMA_INVOICE = "proforma_invoice"
    ACCEPTANCE_TRANSFER_ACT = "acceptance_transfer_act"
    PHOTO = "photo"
    OTHER = "other"


class EventKind(LabelledEnum):
    STATUS = "status"
    CUSTOMS = "customs"
    LOCATION = "location"
    """Where the goods are now (a carrier's report); the status does not change."""


LABELS = {
    ShipmentStatus.DRAFT: _l("Draft"),
    ShipmentStatus.READY: _l("Ready"),
    ShipmentStatus.DISPATCHED: _l("Dispatched"),
    ShipmentStatus.DELIVERED: _l("Delivered"),
    ShipmentStatus.RECEIVED: _l("Received"),
    ShipmentStatus.RECEIVED_WITH_DISCREPANCY: _l("Received with discrepancy"),
    ShipmentStatus.CANCELLED: _l("Cancelled"),
    ShipmentStatus.RETURNED: _l("Returned"),
    ShipmentStatus.LOST: _l("Lost"),
    CustomsStatus.NOT_REQUIRED: _l("Not required"),
    CustomsStatus.DOCUMENTS_PENDING: _l("Documents pending"),
    CustomsStatus.DECLARED: _l("Declared"),
    CustomsStatus.UNDER_INSPECTION: _l("Under inspection"),
    CustomsStatus.HELD: _l("Held"),
    CustomsStatus.CLEARED: _l("Cleared"),
    CustomsStatus.REJECTED: _l("Rejected"),
    TransportMode.ROAD: _l("Road"),
    TransportMode.RAIL: _l("Rail"),
    TransportMode.AIR: _l("Air"),
    TransportMode.SEA: _l("Sea"),
    Funding.IN_KIND: _l("In-kind donation"),
    Funding.PURCHASED: _l("Purchased with cash donations"),
    LineCondition.GOOD: _l("Good"),
    LineCondition.DAMAGED: _l("Damaged"),
    LineCondition.MISSING: _l("Missing"),
    DocumentKind.CMR: _l("CMR waybill"),
    DocumentKind.PACKING_LIST: _l("Packing list"),
    DocumentKind.HUMANITARIAN_AID_DECLARATION: _l("Humanitarian aid declaration"),
    DocumentKind.DEED_OF_DONATION: _l("Deed of donation"),
    DocumentKind.PROFORMA_INVOICE: _l("Pro-forma invoice (no commercial value)"),
    DocumentKind.ACCEPTANCE_TRANSFER_ACT: _l("Act of acceptance and transfer"),
    DocumentKind.PHOTO: _l("Photo"),
    DocumentKind.OTHER: _l("Other document"),
    EventKind.STATUS: _l("Status"),
    EventKind.CUSTOMS: _l("Customs"),
    EventKind.LOCATION: _l("Location"),
}


def new_tracking_token() -> str:
    """256 random bits, URL-safe (43 characters): a tracking link nobody can guess."""
    return secrets.token_urlsafe(32)


class Shipment(db.Model):
    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(
            "origin_city_id <> destination_city_id", name="origin_differs_from_destination"
        ),
        UniqueConstraint("origin_city_id", "destination_city_id", "reference_year", "sequence"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        # The list's default order, newest first: read from the index, not sorted per request.
        Index("ix_shipments_newest", "reference_year", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    """ORIGIN-DESTINATION-YEAR-SEQUENCE, e.g. LUB-KRR-2023-0007; assigned once, never changed."""
    reference_year: Mapped[int]
    sequence: Mapped[int]

    origin_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    destination_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    transport_mode: Mapped[TransportMode] = mapped_column(
        enum_column_type(TransportMode, "transport_mode"), default=TransportMode.ROAD
    )
    vehicle_registration: Mapped[str | None] = mapped_column(String(40))
    driver_name: Mapped[str | None] = mapped_column(String(200))
    cmr_number: Mapped[str | None] = mapped_column(String(60))

    planned_departure: Mapped[date | None]
    dispatch_date: Mapped[date | None] = mapped_column(index=True)
    delivery_date: Mapped[date | None]

    status: Mapped[ShipmentStatus] = mapped_column(
        enum_column_type(ShipmentStatus, "shipment_status"),
        default=ShipmentStatus.DRAFT,
        index=True,
    )
    customs_status: Mapped[CustomsStatus] = mapped_column(
        enum_column_type(CustomsStatus, "customs_status"),
        default=CustomsStatus.NOT_REQUIRED,
        index=True,
    )
    customs_declaration_number: Mapped[str | None] = mapped_column(String(60))
    customs_declared_on: Mapped[date | None]
    customs_cleared_on: Mapped[date | None]
    border_crossing: Mapped[str | None] = mapped_column(String(120))
    aid_recognition_code: Mapped[str | None] = mapped_column(String(60))
    """Ukraine's humanitarian aid recognition code, obtained by the recipient (valid 90 days)."""
    aid_recognition_code_issued_on: Mapped[date | None]
    distribution_report_due_on: Mapped[date | None]
    distribution_report_submitted_on: Mapped[date | None]

    notes: Mapped[str | None] = mapped_column(Text)
    tracking_token: Mapped[str | None] = mapped_column(
        String(43), unique=True, default=new_tracking_token
    )
    """The secret in the public tracking link (/track/<token>); None once staff revoked it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic locking: a save based on a stale copy is refused instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    origin_city: Mapped[City] = relationship(foreign_keys=[origin_city_id])
    destination_city: Mapped[City] = relationship(foreign_keys=[destination_city_id])
    sender: Mapped[Organisation] = relationship(foreign_keys=[sender_id])
    recipient: Mapped[Organisation | None] = relationship(foreign_keys=[recipient_id])
    carrier: Mapped[Organisation | None] = relationship(foreign_keys=[carrier_id])
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["ShipmentLine"]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.position"
    )
    events: Mapped[list["StatusEvent"]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="(StatusEvent.occurred_at, StatusEvent.id)",
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="Document.uploaded_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def needs_customs(self) -> bool:
        return self.customs_status is not CustomsStatus.NOT_REQUIRED

    def __str__(self) -> str:
        return self.reference


class ShipmentLine(db.Model):
    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_value >= 0", name="unit_value_not_negative"),
        CheckConstraint("gross_weight_kg >= 0", name="weight_not_negative"),
        CheckConstraint("received_quantity >= 0", name="received_quantity_not_negative"),
        CheckConstraint("length(currency) = 3", name="currency_is_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    position: Mapped[int]
    catalogue_item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[Unit] = mapped_column(enum_column_type(Unit, "line_unit"))
    unit_value: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(currency_code())
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    funding: Mapped[Funding] = mapped_column(enum_column_type(Funding, "funding"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), index=True)
    """The fund a purchased line draws on; required of new purchased lines (older ones may lack
    it), never set on in-kind lines."""
    lot: Mapped[str | None] = mapped_column(String(60))
    expiry: Mapped[date | None] = mapped_column(index=True)
    """Indexed: dashboards look for medical lines that expire soon."""
    gross_weight_kg: Mapped[Decimal | None] = mapped_column(Weight)
    received_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    condition: Mapped[LineCondition | None] = mapped_column(
        enum_column_type(LineCondition, "line_condition")
    )
    receipt_note: Mapped[str | None] = mapped_column(Text)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    item: Mapped[CatalogueItem] = relationship()
    donor: Mapped[Organisation | None] = relationship()
    fund: Mapped[Fund | None] = relationship()

    @property
    def value(self) -> Decimal:
        """Quantity times unit value, in the line's own currency, to the cent."""
        return round_cents(self.quantity * self.unit_value)


class StatusEvent(db.Model):
    """One change of a shipment's status or customs status: who, when, from, to, where, why."""

    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_shipment_time", "shipment_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(enum_column_type(EventKind, "event_kind"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    """Indexed: lists and dashboards look for shipments that changed since a day."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    location: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    shipment: Mapped[Shipment] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()

    def status_label(self, value: str | None) -> str:
        """The translated label of a status value stored on this event."""
        if value is None:
            return ""
        enum_class = CustomsStatus if self.kind is EventKind.CUSTOMS else ShipmentStatus
        return enum_class(value).label


class Document(db.Model):
    """A file attached to a shipment; the bytes live under the instance folder, not in static/."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(enum_column_type(DocumentKind, "document_kind"))
    filename: Mapped[str] = mapped_column(String(255))
    """The name the file had when it was uploaded, shown to users."""
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    """A random name under the upload folder, so user-chosen names never reach the file system."""
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()
