"""The database itself refuses data that would break the books."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aidtracker.extensions import db
from aidtracker.shipments.models import Shipment, ShipmentLine, StatusEvent


@pytest.fixture
def session(demo):
    with demo.app_context():
        yield db.session


def _generator_line(session) -> ShipmentLine:
    shipment = session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0002"))
    return shipment.lines[0]


@pytest.mark.parametrize("column", ["quantity", "unit_value", "gross_weight_kg"])
def test_negative_amounts_are_refused_by_the_database(session, column):
    line = _generator_line(session)
    setattr(line, column, Decimal("-1"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert getattr(_generator_line(session), column) >= 0


def test_a_zero_quantity_is_refused(session):
    _generator_line(session).quantity = Decimal("0")
    with pytest.raises(IntegrityError):
        session.commit()


def test_references_are_unique(session):
    original = session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0001"))
    copy = Shipment(
        reference=original.reference,
        reference_year=2023,
        sequence=99,
        origin_city=original.origin_city,
        destination_city=original.destination_city,
        sender=original.sender,
    )
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.commit()


def test_money_and_quantities_come_back_as_exact_decimals(session):
    line = _generator_line(session)
    session.expire_all()
    line = _generator_line(session)
    assert line.unit_value == Decimal("25000.00")
    assert isinstance(line.quantity, Decimal)
    assert line.value == Decimal("25000.00")


def test_times_are_stored_in_utc_and_come_back_aware(session):
    warsaw_evening = datetime(2023, 3, 30, 21, 30, tzinfo=timezone(timedelta(hours=2)))
    shipment = session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0002"))
    session.add(
        StatusEvent(
            shipment=shipment,
            kind="customs",
            from_status="declared",
            to_status="under_inspection",
            occurred_at=warsaw_evening,
        )
    )
    session.commit()
    session.expire_all()
    stored = session.scalar(select(StatusEvent).order_by(StatusEvent.id.desc()))
    assert stored.occurred_at == datetime(2023, 3, 30, 19, 30, tzinfo=UTC)
    assert stored.occurred_at.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused_rather_than_guessed(session):
    shipment = session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0002"))
    session.add(
        StatusEvent(
            shipment=shipment,
            kind="status",
            to_status="delivered",
            occurred_at=datetime(2023, 4, 1, 12, 0),
        )
    )
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()
