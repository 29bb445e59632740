"""Cities, the partnerships between them, and the organisations that send, carry and give aid."""

from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.database import enum_column_type
from aidtracker.extensions import db


class City(db.Model):
    __tablename__ = "cities"
    __table_args__ = (
        UniqueConstraint("name", "country"),
        CheckConstraint("length(country) = 2", name="country_is_alpha2"),
        CheckConstraint("length(code) = 3", name="code_has_three_letters"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    """Three letters used in shipment references, e.g. LUB for Lublin."""
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    """ISO 3166-1 alpha-2, e.g. PL, UA."""
    region: Mapped[str | None] = mapped_column(String(120))
    community: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.name


class PartnershipLevel(StrEnum):
    MEMORANDUM = "memorandum"
    PARTNERSHIP = "partnership"
    TWINNING = "twinning"

    @property
    def label(self) -> str:
        return str(PARTNERSHIP_LEVEL_LABELS[self])


PARTNERSHIP_LEVEL_LABELS = {
    PartnershipLevel.MEMORANDUM: _l("Memorandum of intent"),
    PartnershipLevel.PARTNERSHIP: _l("Partnership agreement"),
    PartnershipLevel.TWINNING: _l("Twinning agreement"),
}


class Partnership(db.Model):
    __tablename__ = "partnerships"
    __table_args__ = (
        UniqueConstraint("city_id", "partner_city_id"),
        CheckConstraint("city_id <> partner_city_id", name="two_different_cities"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    partner_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)

    city: Mapped[City] = relationship(foreign_keys=[city_id])
    partner_city: Mapped[City] = relationship(foreign_keys=[partner_city_id])
    steps: Mapped[list["PartnershipStep"]] = relationship(
        back_populates="partnership",
        cascade="all, delete-orphan",
        order_by="PartnershipStep.signed_on",
    )

    @property
    def level(self) -> PartnershipLevel | None:
        """The highest step reached so far."""
        order = list(PartnershipLevel)
        reached = [step.level for step in self.steps]
        return max(reached, key=order.index) if reached else None


class PartnershipStep(db.Model):
    """One step of a partnership (memorandum, partnership, twinning) with its date and act."""

    __tablename__ = "partnership_steps"
    __table_args__ = (UniqueConstraint("partnership_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    level: Mapped[PartnershipLevel] = mapped_column(
        enum_column_type(PartnershipLevel, "partnership_level")
    )
    signed_on: Mapped[date]
    act: Mapped[str | None] = mapped_column(String(300))
    """The act that made it, e.g. a council resolution and its number."""

    partnership: Mapped[Partnership] = relationship(back_populates="steps")


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    NGO = "ngo"
    COMPANY = "company"
    PUBLIC_BODY = "public_body"
    FUNDRAISER = "fundraiser"

    @property
    def label(self) -> str:
        return str(ORGANISATION_KIND_LABELS[self])


ORGANISATION_KIND_LABELS = {
    OrganisationKind.MUNICIPALITY: _l("Municipality"),
    OrganisationKind.NGO: _l("NGO"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.PUBLIC_BODY: _l("Public body"),
    OrganisationKind.FUNDRAISER: _l("Individual fundraiser"),
}


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_is_alpha2"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column_type(OrganisationKind, "organisation_kind")
    )
    country: Mapped[str] = mapped_column(String(2))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(Text)
    # The parts an organisation usually plays; they order choice lists, they do not restrict.
    is_sender: Mapped[bool] = mapped_column(default=False)
    is_recipient: Mapped[bool] = mapped_column(default=False)
    is_carrier: Mapped[bool] = mapped_column(default=False)
    is_donor: Mapped[bool] = mapped_column(default=False)

    city: Mapped[City | None] = relationship()

    def __str__(self) -> str:
        return self.name
