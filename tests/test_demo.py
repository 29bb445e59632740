"""The demo data of DESIGN.md, loaded once and never duplicated."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from aidtracker.auth.models import User
from aidtracker.demo import database_is_empty, load_demo
from aidtracker.extensions import db
from aidtracker.models import CatalogueItem, Organisation, Shipment, ShipmentLine, StatusEvent
from aidtracker.money.models import ExchangeRate
from aidtracker.shipments.models import ShipmentStatus

COUNTED = [User, Organisation, CatalogueItem, Shipment, ShipmentLine, StatusEvent, ExchangeRate]


def _counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def test_loading_the_demo_twice_adds_nothing_the_second_time(app):
    with app.app_context():
        assert database_is_empty()
        first = load_demo()
        counts = _counts()
        second = load_demo()
        assert second == {}
        assert _counts() == counts
        assert first["shipments"] == 7
        assert first["users"] == 5
        assert not database_is_empty()


def test_the_demo_shipments_have_the_statuses_of_the_design(demo):
    expected = {
        "LUB-KRR-2022-0001": ("received", "cleared"),
        "LUB-KRR-2022-0002": ("received", "cleared"),
        "LUB-LUT-2023-0001": ("received_with_discrepancy", "cleared"),
        "LUB-KRR-2023-0001": ("dispatched", "under_inspection"),
        "LUB-KRR-2023-0002": ("dispatched", "declared"),
        "LUB-KRR-2023-0003": ("draft", "documents_pending"),
        "LUB-KRR-2023-0004": ("cancelled", "documents_pending"),
    }
    with demo.app_context():
        shipments = db.session.scalars(select(Shipment)).all()
        actual = {s.reference: (s.status.value, s.customs_status.value) for s in shipments}
    assert actual == expected


def test_each_demo_history_ends_in_the_shipments_current_status(demo):
    with demo.app_context():
        for shipment in db.session.scalars(select(Shipment)):
            last_status = [e for e in shipment.events if e.kind == "status"][-1]
            last_customs = [e for e in shipment.events if e.kind == "customs"][-1]
            assert last_status.to_status == shipment.status.value, shipment.reference
            assert last_customs.to_status == shipment.customs_status.value, shipment.reference


def test_the_2023_register_in_pln_totals_177870(demo):
    """DESIGN.md: 41,480.00 + 25,000 EUR × 4.67 + 19,640.00 = 177,870.00 PLN."""
    counted = {ShipmentStatus.DRAFT, ShipmentStatus.READY, ShipmentStatus.CANCELLED}
    with demo.app_context():
        lines = db.session.scalars(
            select(ShipmentLine)
            .join(Shipment)
            .where(
                Shipment.dispatch_date.between(date(2023, 1, 1), date(2023, 12, 31)),
                Shipment.status.not_in(counted),
            )
        ).all()
        total = Decimal("0.00")
        for line in lines:
            rate = Decimal(1)
            if line.currency != "PLN":
                rate = db.session.scalar(
                    select(ExchangeRate.rate)
                    .where(
                        ExchangeRate.currency == line.currency,
                        ExchangeRate.rate_date <= line.shipment.dispatch_date,
                    )
                    .order_by(ExchangeRate.rate_date.desc())
                    .limit(1)
                )
            total += (line.value * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert total == Decimal("177870.00")


def test_demo_users_log_in_with_the_documented_password(demo):
    client = demo.test_client()
    for email in [
        "admin@lublin.example",
        "staff@lublin.example",
        "accountant@lublin.example",
        "partner@kryvyirih.example",
        "partner@lutsk.example",
    ]:
        response = client.post("/login", data={"email": email, "password": "aidtracker-demo"})
        assert response.status_code == 302, email
        client.post("/logout")


def test_medical_demo_lines_carry_lot_and_expiry(demo):
    with demo.app_context():
        medical = db.session.scalars(
            select(ShipmentLine).join(CatalogueItem).where(CatalogueItem.category == "medical")
        ).all()
        assert medical
        assert all(line.lot and line.expiry for line in medical)
