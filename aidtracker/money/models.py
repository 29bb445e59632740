"""Exchange rates against the installation's base currency."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aidtracker.database import Rate, currency_code
from aidtracker.extensions import db


class ExchangeRate(db.Model):
    """How many units of the base currency one unit of `currency` was worth on `rate_date`."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("currency", "rate_date"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("length(currency) = 3", name="currency_is_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(currency_code())
    rate_date: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(Rate)
    source: Mapped[str | None] = mapped_column(String(100))
    """Where the rate came from, e.g. NBP table A."""
