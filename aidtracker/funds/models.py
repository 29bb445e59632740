"""Funds and cash donations: what was given, in which currency, and how far it has come."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.auth.models import User
from aidtracker.database import Money, currency_code, enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation


class DonationStatus(StrEnum):
    """As OCHA's Financial Tracking Service counts money: only paid money can be spent."""

    PLEDGED = "pledged"
    COMMITTED = "committed"
    PAID = "paid"

    @property
    def label(self) -> str:
        return str(DONATION_STATUS_LABELS[self])


DONATION_STATUS_LABELS = {
    DonationStatus.PLEDGED: _l("Pledged"),
    DonationStatus.COMMITTED: _l("Committed"),
    DonationStatus.PAID: _l("Paid"),
}


class Fund(db.Model):
    """Money collected for a purpose, kept in one currency, spent on purchased shipment lines.

    An accountant may allow the fund to go below zero up to ``overdraft_limit``; the reason, who
    allowed it and when are kept with it (and every change in the audit trail).
    """

    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint("length(currency) = 3", name="currency_is_iso4217"),
        CheckConstraint("overdraft_limit >= 0", name="overdraft_limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    currency: Mapped[str] = mapped_column(currency_code())
    purpose: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_open: Mapped[bool] = mapped_column(default=True)
    overdraft_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    """How far below zero purchases may take the fund, in its currency (0: not at all)."""
    overdraft_reason: Mapped[str | None] = mapped_column(Text)
    overdraft_allowed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overdraft_allowed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Organisation] = relationship()
    overdraft_allowed_by: Mapped[User | None] = relationship()
    donations: Mapped[list["CashDonation"]] = relationship(
        back_populates="fund", order_by="(CashDonation.donated_on, CashDonation.id)"
    )

    def __str__(self) -> str:
        return self.name


class CashDonation(db.Model):
    """Money a donor gave (or promised) to a fund.

    ``donated_on`` is the day of the current status: the pledge, the commitment, the payment; the
    earlier days stay in the audit trail.
    """

    __tablename__ = "cash_donations"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency_is_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(currency_code())
    donated_on: Mapped[date]
    status: Mapped[DonationStatus] = mapped_column(
        enum_column_type(DonationStatus, "donation_status"), index=True
    )
    reference: Mapped[str | None] = mapped_column(String(120))
    """The receipt number or the bank transfer's reference."""
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    fund: Mapped[Fund] = relationship(back_populates="donations")
    donor: Mapped[Organisation] = relationship()
    recorded_by: Mapped[User | None] = relationship()
