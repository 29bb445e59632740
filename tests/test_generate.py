"""`generate-data` fills a database with realistic shipments, the same ones for the same seed."""

import hashlib
import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from aidtracker.catalogue.models import CatalogueItem
from aidtracker.demo import SHIPMENTS as DEMO_SHIPMENTS
from aidtracker.extensions import db
from aidtracker.generate import generate_data_command
from aidtracker.money.models import ExchangeRate
from aidtracker.money.rates import RateBook, RateRule
from aidtracker.shipments import lifecycle
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusEvent,
)

DEMO_REFERENCES = [spec.reference for spec in DEMO_SHIPMENTS]
LEFT = {"dispatched", "delivered", "received", "received_with_discrepancy", "returned", "lost"}
PLAUSIBLE_RATES = {"EUR": ("4.30", "4.80"), "USD": ("3.70", "4.50"), "UAH": ("0.10", "0.13")}


def _generate(app, *args: str):
    return app.test_cli_runner().invoke(generate_data_command, list(args))


def _generated_shipments() -> list[Shipment]:
    return db.session.scalars(
        select(Shipment)
        .where(Shipment.reference.not_in(DEMO_REFERENCES))
        .options(
            selectinload(Shipment.lines).selectinload(ShipmentLine.item),
            selectinload(Shipment.events),
            selectinload(Shipment.origin_city),
            selectinload(Shipment.destination_city),
        )
        .order_by(Shipment.reference)
    ).all()


def _digest(app) -> str:
    """A fingerprint of every generated shipment, line and rate (ids left out)."""
    with app.app_context():
        lines = db.session.execute(
            select(
                Shipment.reference,
                Shipment.status,
                Shipment.customs_status,
                Shipment.planned_departure,
                Shipment.dispatch_date,
                Shipment.created_at,
                ShipmentLine.position,
                CatalogueItem.name_en,
                ShipmentLine.quantity,
                ShipmentLine.unit_value,
                ShipmentLine.currency,
                ShipmentLine.lot,
                ShipmentLine.expiry,
                ShipmentLine.gross_weight_kg,
                ShipmentLine.received_quantity,
            )
            .join(ShipmentLine.shipment)
            .join(ShipmentLine.item)
            .order_by(Shipment.reference, ShipmentLine.position)
        ).all()
        events = db.session.execute(
            select(Shipment.reference, StatusEvent.to_status, StatusEvent.occurred_at)
            .join(StatusEvent.shipment)
            .order_by(Shipment.reference, StatusEvent.occurred_at)
        ).all()
        rates = db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate).order_by(
                ExchangeRate.currency, ExchangeRate.rate_date
            )
        ).all()
    return hashlib.sha256(repr((lines, events, rates)).encode()).hexdigest()


def _empty_database(app) -> None:
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()


def test_an_empty_database_gets_the_demo_then_the_shipments_asked_for(app):
    result = _generate(app, "--shipments", "20", "--lines-per-shipment", "3")

    assert result.exit_code == 0, result.output
    assert "Loaded the demo data first" in result.output
    assert re.search(
        r"Generated 20 shipments with 60 lines \(seed 1\) in \d+\.\d s\.", result.output
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Shipment.id))) == 20 + len(DEMO_REFERENCES)
        shipments = _generated_shipments()
        assert len(shipments) == 20
        for shipment in shipments:
            assert [line.position for line in shipment.lines] == [1, 2, 3]
            assert shipment.reference == (
                f"{shipment.origin_city.code}-{shipment.destination_city.code}-"
                f"{shipment.reference_year}-{shipment.sequence:04d}"
            )
            assert shipment.reference_year == shipment.planned_departure.year
            assert shipment.version == 1
            assert shipment.created_at <= shipment.updated_at


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(app):
    assert _generate(app, "--shipments", "20", "--lines-per-shipment", "3").exit_code == 0
    first = _digest(app)
    _empty_database(app)
    assert _generate(app, "--shipments", "20", "--lines-per-shipment", "3").exit_code == 0
    again = _digest(app)
    _empty_database(app)
    result = _generate(app, "--shipments", "20", "--lines-per-shipment", "3", "--seed", "2")
    assert result.exit_code == 0, result.output
    other = _digest(app)

    assert first == again
    assert other != first


def test_running_twice_continues_each_routes_numbering(app):
    first = _generate(app, "--shipments", "20", "--lines-per-shipment", "3")
    with app.app_context():
        rates = db.session.scalar(select(func.count(ExchangeRate.id)))
    second = _generate(app, "--shipments", "20", "--lines-per-shipment", "3")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Added" not in second.output  # every working day has its rates already
    with app.app_context():
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == rates
        rows = db.session.execute(
            select(
                Shipment.reference,
                Shipment.origin_city_id,
                Shipment.destination_city_id,
                Shipment.reference_year,
                Shipment.sequence,
            )
        ).all()
    assert len(rows) == 40 + len(DEMO_REFERENCES)
    assert len({row.reference for row in rows}) == len(rows)
    sequences = defaultdict(list)
    for row in rows:
        sequences[row.origin_city_id, row.destination_city_id, row.reference_year].append(
            row.sequence
        )
    for numbers in sequences.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("rule", list(RateRule))
def test_every_line_has_a_plausible_rate_for_its_shipments_day(app, rule):
    result = _generate(app, "--shipments", "40", "--lines-per-shipment", "3")

    assert result.exit_code == 0, result.output
    with app.app_context():
        rates = db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate)
        ).all()
        book = RateBook("PLN", rates, rule=rule)
        lines = db.session.execute(
            select(ShipmentLine.currency, Shipment.dispatch_date, Shipment.planned_departure).join(
                ShipmentLine.shipment
            )
        ).all()
    assert {line.currency for line in lines} >= {"PLN", "EUR"}
    for currency, dispatched, planned in lines:
        book.rate(currency, dispatched or planned)  # raises MissingRate
    for currency, _day, rate in rates:
        low, high = PLAUSIBLE_RATES[currency]
        assert float(low) <= rate <= float(high), (currency, rate)


def test_generated_shipments_follow_the_lifecycle_rules(app):
    result = _generate(app, "--shipments", "150", "--lines-per-shipment", "2")

    assert result.exit_code == 0, result.output
    allowed = {(t.kind, source, t.target) for t in lifecycle.TRANSITIONS for source in t.sources}
    with app.app_context():
        shipments = _generated_shipments()
        left = [shipment for shipment in shipments if shipment.status in LEFT]
        assert len(left) >= 0.7 * len(shipments)
        for shipment in shipments:
            assert (shipment.dispatch_date is not None) == (shipment.status in LEFT)
            status_events = [e for e in shipment.events if e.kind is EventKind.STATUS]
            customs_events = [e for e in shipment.events if e.kind is EventKind.CUSTOMS]
            assert status_events[-1].to_status == shipment.status
            if shipment.needs_customs:
                assert customs_events[-1].to_status == shipment.customs_status
            else:
                assert customs_events == []
            for events in (status_events, customs_events):
                for before, after in pairwise(events):
                    assert after.from_status == before.to_status
                    assert (after.kind, after.from_status, after.to_status) in allowed
            times = [event.occurred_at for event in shipment.events]
            assert times == sorted(times)
            if shipment.status in ("delivered", "received", "received_with_discrepancy"):
                assert shipment.customs_status in (
                    CustomsStatus.NOT_REQUIRED,
                    CustomsStatus.CLEARED,
                )
                assert shipment.delivery_date > shipment.dispatch_date
            if shipment.customs_status is CustomsStatus.CLEARED:
                assert shipment.distribution_report_due_on == shipment.customs_cleared_on + (
                    timedelta(days=lifecycle.DISTRIBUTION_REPORT_DAYS)
                )
            departure = shipment.dispatch_date or shipment.planned_departure
            for line in shipment.lines:
                assert line.donor_id is not None
                assert line.gross_weight_kg > 0
                if line.item.category.needs_lot_and_expiry:
                    assert line.lot
                    assert line.expiry > departure
            if shipment.status in lifecycle.RECEIVED_STATUSES:
                outcome = lifecycle.receipt_outcome(
                    (line.quantity, line.received_quantity, line.condition)
                    for line in shipment.lines
                )
                assert outcome == shipment.status
        statuses = {shipment.status for shipment in shipments}
        assert {ShipmentStatus.RECEIVED, ShipmentStatus.DISPATCHED} <= statuses


def test_years_bound_the_planned_departures(app):
    result = _generate(app, "--shipments", "20", "--lines-per-shipment", "1", "--years", "2023")

    assert result.exit_code == 0, result.output
    with app.app_context():
        shipments = _generated_shipments()
    assert {shipment.planned_departure.year for shipment in shipments} == {2023}
    assert all("-2023-" in shipment.reference for shipment in shipments)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Missing option '--shipments'"),
        (["--shipments", "0"], "0 is not in the range"),
        (["--shipments", "five"], "'five' is not a valid integer"),
        (["--shipments", "5", "--lines-per-shipment", "0"], "--lines-per-shipment"),
        (["--shipments", "5", "--years", "2024-2022"], "the first year comes after the last"),
        (["--shipments", "5", "--years", "last year"], "is not a year or a span of years"),
        (["--shipments", "5", "--years", "1999"], "choose years from 2000"),
    ],
)
def test_bad_options_exit_non_zero_and_change_nothing(app, args, message):
    result = _generate(app, *args)

    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Shipment.id))) == 0


def test_another_base_currency_gets_rates_for_the_others(app):
    app.config["BASE_CURRENCY"] = "EUR"

    result = _generate(app, "--shipments", "20", "--lines-per-shipment", "2", "--years", "2023")

    assert result.exit_code == 0, result.output
    assert "(PLN, UAH, USD)" in result.output
    with app.app_context():
        pln = db.session.scalars(
            select(ExchangeRate.rate).where(
                ExchangeRate.currency == "PLN", ExchangeRate.source == "generated"
            )
        ).all()
        assert pln
        assert all(Decimal("0.20") < rate < Decimal("0.24") for rate in pln)  # 1 / 4.3..4.8
        currencies = set(db.session.scalars(select(ShipmentLine.currency)))
    assert "EUR" in currencies


def test_a_base_currency_it_cannot_make_rates_for_is_refused(app):
    app.config["BASE_CURRENCY"] = "GBP"

    result = _generate(app, "--shipments", "5")

    assert result.exit_code == 1
    assert "the base currency here is GBP" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Shipment.id))) == 0
