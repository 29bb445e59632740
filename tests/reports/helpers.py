"""Reading reports back the way an accountant's spreadsheet would, and the expected figures."""

from datetime import date
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.money.rates import round_cents
from aidtracker.money.service import rate_book
from aidtracker.reports.scope import DISPATCHED_OR_LATER
from aidtracker.shipments.models import Shipment, ShipmentLine


def user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def cents(value) -> Decimal:
    """A number read from a cell, as the two-decimal amount it displays."""
    return round_cents(Decimal(str(value)))


def sheet_rows(path, sheet: str) -> list[tuple]:
    workbook = openpyxl.load_workbook(path)
    return list(workbook[sheet].iter_rows(values_only=True))


def expected_total(currency: str, start: date, end: date) -> Decimal:
    """The period's value in `currency`, computed from the ORM and the rate rule line by line."""
    book = rate_book()
    lines = db.session.scalars(
        select(ShipmentLine)
        .join(Shipment)
        .where(
            Shipment.status.in_(DISPATCHED_OR_LATER),
            Shipment.dispatch_date >= start,
            Shipment.dispatch_date <= end,
        )
    )
    return sum(
        (
            book.convert(
                line.quantity * line.unit_value,
                line.currency,
                currency,
                line.shipment.dispatch_date,
            )
            for line in lines
        ),
        Decimal("0.00"),
    )


def english(value):
    """The English half of a bilingual text ("Item / Товар"): packing lists going to Ukraine
    are in English and Ukrainian, and tests read the English."""
    return value.split(" / ")[0] if isinstance(value, str) else value


def english_rows(sheet, **bounds) -> list[list]:
    return [[english(cell.value) for cell in row] for row in sheet.iter_rows(**bounds)]
