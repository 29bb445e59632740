"""The demo installation: Lublin, its partner cities Kryvyi Rih and Lutsk, and seven shipments.

Loading is idempotent: every record is looked up by its natural key (e-mail, name, reference) and
only added when missing, so running it again never changes or duplicates what is there.
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from aidtracker.auth.models import Role, User
from aidtracker.catalogue.defaults import DEFAULT_ITEMS, sector_for
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import (
    City,
    Organisation,
    OrganisationKind,
    Partnership,
    PartnershipLevel,
    PartnershipStep,
)
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Funding,
    LineCondition,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusEvent,
    TransportMode,
)

DEMO_PASSWORD = "aidtracker-demo"  # noqa: S105  (documented demo password, demo data only)

CITIES = [
    ("LUB", "Lublin", "PL", "Lublin Voivodeship", "City of Lublin"),
    ("KRR", "Kryvyi Rih", "UA", "Dnipropetrovsk oblast", "Kryvyi Rih territorial community"),
    ("LUT", "Lutsk", "UA", "Volyn oblast", "Lutsk territorial community"),
]

PARTNERSHIPS = [
    (
        "LUB",
        "KRR",
        [
            (
                PartnershipLevel.MEMORANDUM,
                date(2017, 1, 1),
                "Memorandum of intent, signed in 2017 (day not recorded)",
            ),
            (
                PartnershipLevel.PARTNERSHIP,
                date(2023, 2, 2),
                "Lublin City Council resolution on the partnership agreement",
            ),
        ],
    ),
    (
        "LUB",
        "LUT",
        [
            (PartnershipLevel.PARTNERSHIP, date(2019, 1, 1), "Partnership agreement (demo entry)"),
        ],
    ),
]

# name, kind, country, city code, sender, recipient, carrier, donor
ORGANISATIONS = [
    ("City of Lublin", OrganisationKind.MUNICIPALITY, "PL", "LUB", True, False, False, False),
    (
        "Kryvyi Rih City Council",
        OrganisationKind.MUNICIPALITY,
        "UA",
        "KRR",
        False,
        True,
        False,
        False,
    ),
    ("Lutsk City Council", OrganisationKind.MUNICIPALITY, "UA", "LUT", False, True, False, False),
    ("Protection Civile", OrganisationKind.NGO, "FR", None, False, False, True, True),
    (
        "Lublin Residents' Fundraiser",
        OrganisationKind.FUNDRAISER,
        "PL",
        "LUB",
        False,
        False,
        False,
        True,
    ),
    (
        "Example Textiles Sp. z o.o.",
        OrganisationKind.COMPANY,
        "PL",
        "LUB",
        False,
        False,
        False,
        True,
    ),
    (
        "Lublin Municipal Fleet",
        OrganisationKind.PUBLIC_BODY,
        "PL",
        "LUB",
        False,
        False,
        True,
        False,
    ),
]

# e-mail, name, role, organisation, language
USERS = [
    ("admin@lublin.example", "Anna Administrator", Role.ADMIN, "City of Lublin", "en"),
    ("staff@lublin.example", "Stanisław Staff", Role.STAFF, "City of Lublin", "en"),
    ("accountant@lublin.example", "Agnieszka Accountant", Role.ACCOUNTANT, "City of Lublin", "en"),
    (
        "partner@kryvyirih.example",
        "Kateryna Partner",
        Role.PARTNER,
        "Kryvyi Rih City Council",
        "en",
    ),
    ("partner@lutsk.example", "Lesia Partner", Role.PARTNER, "Lutsk City Council", "en"),
]

EUR_RATES = [
    (date(2022, 4, 11), "4.6450"),
    (date(2022, 11, 21), "4.6940"),
    (date(2023, 2, 14), "4.7700"),
    (date(2023, 3, 27), "4.6800"),
    (date(2023, 3, 30), "4.6700"),
]

FUNDRAISER = "Lublin Residents' Fundraiser"
TEXTILES = "Example Textiles Sp. z o.o."
PROTECTION_CIVILE = "Protection Civile"
FLEET = "Lublin Municipal Fleet"
DOROHUSK = "Dorohusk–Yahodyn"


@dataclass
class DemoLine:
    item: str
    quantity: str
    donor: str
    funding: Funding
    unit_value: str | None = None
    lot: str | None = None
    expiry: date | None = None
    gross_weight_kg: str | None = None
    received: str | None = None
    condition: LineCondition | None = None
    receipt_note: str | None = None


@dataclass
class DemoShipment:
    reference: str
    destination: str
    recipient: str
    carrier: str
    lines: list[DemoLine]
    # (kind, new status, day, location, note): replayed in order to build the history
    history: list[tuple[EventKind, str, date, str | None, str | None]]
    planned_departure: date | None = None
    vehicle: str | None = None
    driver: str | None = None
    cmr: str | None = None
    declaration: str | None = None
    border: str | None = None
    recognition_code: str | None = None
    recognition_issued: date | None = None
    report_submitted: date | None = None
    extra: dict = field(default_factory=dict)


def _journey(dispatched: date, border: str, destination: str, *, receipt: str) -> list:
    """The usual road journey of a received shipment: packed, dispatched, cleared, delivered."""
    status, customs = EventKind.STATUS, EventKind.CUSTOMS
    return [
        (status, "draft", dispatched - timedelta(days=7), "Lublin", None),
        (customs, "documents_pending", dispatched - timedelta(days=7), "Lublin", None),
        (status, "ready", dispatched - timedelta(days=2), "Lublin", "Packed and loaded."),
        (status, "dispatched", dispatched, "Lublin", None),
        (customs, "declared", dispatched + timedelta(days=1), border, None),
        (customs, "cleared", dispatched + timedelta(days=1), border, None),
        (status, "delivered", dispatched + timedelta(days=2), destination, None),
        (status, receipt, dispatched + timedelta(days=3), destination, None),
    ]


SHIPMENTS = [
    DemoShipment(
        "LUB-KRR-2022-0001",
        "KRR",
        "Kryvyi Rih City Council",
        FLEET,
        [
            DemoLine(
                "Canned meat 400 g",
                "2000",
                FUNDRAISER,
                Funding.PURCHASED,
                gross_weight_kg="900",
                received="2000",
                condition=LineCondition.GOOD,
            ),
            DemoLine(
                "Wheat flour 1 kg",
                "1500",
                FUNDRAISER,
                Funding.PURCHASED,
                gross_weight_kg="1530",
                received="1500",
                condition=LineCondition.GOOD,
            ),
            DemoLine(
                "Infant formula 800 g",
                "300",
                FUNDRAISER,
                Funding.PURCHASED,
                gross_weight_kg="270",
                received="300",
                condition=LineCondition.GOOD,
            ),
        ],
        _journey(date(2022, 4, 11), DOROHUSK, "Kryvyi Rih", receipt="received"),
        planned_departure=date(2022, 4, 11),
        vehicle="LU 4521K",
        driver="Marek Nowak",
        cmr="CMR-2022-0415",
        declaration="22PL301020E0004512",
        border=DOROHUSK,
        recognition_code="GD-2022-001184",
        recognition_issued=date(2022, 4, 6),
        report_submitted=date(2022, 6, 20),
    ),
    DemoShipment(
        "LUB-KRR-2022-0002",
        "KRR",
        "Kryvyi Rih City Council",
        FLEET,
        [
            DemoLine(
                "Winter jacket",
                "300",
                TEXTILES,
                Funding.IN_KIND,
                gross_weight_kg="450",
                received="300",
                condition=LineCondition.GOOD,
            ),
            DemoLine(
                "Wool blanket",
                "500",
                TEXTILES,
                Funding.IN_KIND,
                gross_weight_kg="800",
                received="500",
                condition=LineCondition.GOOD,
            ),
        ],
        _journey(date(2022, 11, 21), DOROHUSK, "Kryvyi Rih", receipt="received"),
        planned_departure=date(2022, 11, 21),
        vehicle="LU 4521K",
        driver="Marek Nowak",
        cmr="CMR-2022-1187",
        declaration="22PL301020E0019876",
        border=DOROHUSK,
        recognition_code="GD-2022-004417",
        recognition_issued=date(2022, 11, 15),
        report_submitted=date(2023, 1, 30),
    ),
    DemoShipment(
        "LUB-LUT-2023-0001",
        "LUT",
        "Lutsk City Council",
        FLEET,
        [
            DemoLine(
                "Canned fish 240 g",
                "1800",
                FUNDRAISER,
                Funding.PURCHASED,
                gross_weight_kg="480",
                received="1750",
                condition=LineCondition.DAMAGED,
                receipt_note="50 tins dented and leaking; not distributed.",
            ),
            DemoLine(
                "Rice 1 kg",
                "1000",
                FUNDRAISER,
                Funding.PURCHASED,
                gross_weight_kg="1020",
                received="1000",
                condition=LineCondition.GOOD,
            ),
        ],
        _journey(date(2023, 2, 14), "Zosin–Ustyluh", "Lutsk", receipt="received_with_discrepancy"),
        planned_departure=date(2023, 2, 14),
        vehicle="LU 7310M",
        driver="Piotr Wiśniewski",
        cmr="CMR-2023-0211",
        declaration="23PL301030E0002231",
        border="Zosin–Ustyluh",
        recognition_code="GD-2023-000731",
        recognition_issued=date(2023, 2, 8),
    ),
    DemoShipment(
        "LUB-KRR-2023-0001",
        "KRR",
        "Kryvyi Rih City Council",
        FLEET,
        [
            DemoLine(
                "Vehicle first-aid kit",
                "400",
                FUNDRAISER,
                Funding.PURCHASED,
                lot="AS-2301-77",
                expiry=date(2027, 12, 31),
                gross_weight_kg="320",
            ),
            DemoLine(
                "Elastic bandage",
                "3000",
                FUNDRAISER,
                Funding.PURCHASED,
                lot="EB-2302-14",
                expiry=date(2028, 2, 29),
                gross_weight_kg="180",
            ),
            DemoLine(
                "Paracetamol 500 mg ×20",
                "1200",
                FUNDRAISER,
                Funding.PURCHASED,
                lot="PCM-2301-448",
                expiry=date(2026, 8, 31),
                gross_weight_kg="60",
            ),
        ],
        [
            (EventKind.STATUS, "draft", date(2023, 3, 20), "Lublin", None),
            (EventKind.CUSTOMS, "documents_pending", date(2023, 3, 20), "Lublin", None),
            (EventKind.STATUS, "ready", date(2023, 3, 24), "Lublin", None),
            (EventKind.STATUS, "dispatched", date(2023, 3, 27), "Lublin", None),
            (EventKind.CUSTOMS, "declared", date(2023, 3, 28), DOROHUSK, None),
            (
                EventKind.CUSTOMS,
                "under_inspection",
                date(2023, 3, 28),
                DOROHUSK,
                "Medical goods selected for inspection.",
            ),
        ],
        planned_departure=date(2023, 3, 27),
        vehicle="LU 7310M",
        driver="Piotr Wiśniewski",
        cmr="CMR-2023-0388",
        declaration="23PL301020E0006120",
        border=DOROHUSK,
        recognition_code="GD-2023-001902",
        recognition_issued=date(2023, 3, 22),
    ),
    DemoShipment(
        "LUB-KRR-2023-0002",
        "KRR",
        "Kryvyi Rih City Council",
        PROTECTION_CIVILE,
        [
            DemoLine(
                "Diesel generator 100 kVA",
                "1",
                PROTECTION_CIVILE,
                Funding.IN_KIND,
                gross_weight_kg="1850",
            ),
        ],
        [
            (EventKind.STATUS, "draft", date(2023, 3, 22), "Lublin", None),
            (EventKind.CUSTOMS, "documents_pending", date(2023, 3, 22), "Lublin", None),
            (EventKind.STATUS, "ready", date(2023, 3, 29), "Lublin", None),
            (
                EventKind.STATUS,
                "dispatched",
                date(2023, 3, 30),
                "Lublin",
                "Carried by Protection Civile.",
            ),
            (EventKind.CUSTOMS, "declared", date(2023, 3, 31), DOROHUSK, None),
        ],
        planned_departure=date(2023, 3, 30),
        vehicle="AB-123-CD",
        driver="Julien Martin",
        cmr="PC-2023-0042",
        declaration="23PL301020E0006377",
        border=DOROHUSK,
        recognition_code="GD-2023-002015",
        recognition_issued=date(2023, 3, 28),
        extra={"transport_mode": TransportMode.ROAD},
    ),
    DemoShipment(
        "LUB-KRR-2023-0003",
        "KRR",
        "Kryvyi Rih City Council",
        FLEET,
        [
            DemoLine(
                "Family hygiene kit", "250", FUNDRAISER, Funding.PURCHASED, gross_weight_kg="1000"
            )
        ],
        [
            (EventKind.STATUS, "draft", date(2023, 3, 31), "Lublin", None),
            (EventKind.CUSTOMS, "documents_pending", date(2023, 3, 31), "Lublin", None),
        ],
        planned_departure=date(2023, 4, 12),
    ),
    DemoShipment(
        "LUB-KRR-2023-0004",
        "KRR",
        "Kryvyi Rih City Council",
        FLEET,
        [DemoLine("Sleeping bag", "150", FUNDRAISER, Funding.PURCHASED, gross_weight_kg="300")],
        [
            (EventKind.STATUS, "draft", date(2023, 3, 25), "Lublin", None),
            (EventKind.CUSTOMS, "documents_pending", date(2023, 3, 25), "Lublin", None),
            (
                EventKind.STATUS,
                "cancelled",
                date(2023, 4, 3),
                "Lublin",
                "The supplier could not deliver.",
            ),
        ],
        planned_departure=date(2023, 4, 5),
    ),
]

DISTRIBUTION_REPORT_DAYS = 90
"""Resolution No. 953 (Ukraine): the distribution report is due 90 days after clearance."""


@functools.cache
def _demo_password_hash() -> str:
    """Hashed once per process: demo users share one password, and hashing is slow on purpose."""
    return generate_password_hash(DEMO_PASSWORD)


def database_is_empty() -> bool:
    """True when nobody has used this database yet: no users and no shipments."""
    users = db.session.scalar(select(func.count(User.id)))
    shipments = db.session.scalar(select(func.count(Shipment.id)))
    return users == 0 and shipments == 0


def load_demo() -> dict[str, int]:
    """Add whatever of the demo data is missing, commit, and count what was added per kind."""
    added: dict[str, int] = {}

    def count(kind: str) -> None:
        added[kind] = added.get(kind, 0) + 1

    cities = {}
    for code, name, country, region, community in CITIES:
        city = db.session.scalar(select(City).filter_by(code=code))
        if city is None:
            city = City(code=code, name=name, country=country, region=region, community=community)
            db.session.add(city)
            count("cities")
        cities[code] = city

    db.session.flush()
    for city_code, partner_code, steps in PARTNERSHIPS:
        partnership = db.session.scalar(
            select(Partnership).filter_by(
                city_id=cities[city_code].id, partner_city_id=cities[partner_code].id
            )
        )
        if partnership is None:
            partnership = Partnership(city=cities[city_code], partner_city=cities[partner_code])
            db.session.add(partnership)
            count("partnerships")
        known = {step.level for step in partnership.steps}
        for level, signed_on, act in steps:
            if level not in known:
                partnership.steps.append(PartnershipStep(level=level, signed_on=signed_on, act=act))

    organisations = {}
    for name, kind, country, city_code, sender, recipient, carrier, donor in ORGANISATIONS:
        organisation = db.session.scalar(select(Organisation).filter_by(name=name))
        if organisation is None:
            organisation = Organisation(
                name=name,
                kind=kind,
                country=country,
                city=cities[city_code] if city_code else None,
                is_sender=sender,
                is_recipient=recipient,
                is_carrier=carrier,
                is_donor=donor,
            )
            db.session.add(organisation)
            count("organisations")
        organisations[name] = organisation

    items = {}
    for name_en, name_pl, name_uk, category, unit, hs_code, value, currency in DEFAULT_ITEMS:
        item = db.session.scalar(select(CatalogueItem).filter_by(name_en=name_en, unit=unit))
        if item is None:
            item = CatalogueItem(
                name_en=name_en,
                name_pl=name_pl,
                name_uk=name_uk,
                category=category,
                unit=unit,
                hs_code=hs_code,
                dac_sector=sector_for(category),
                default_unit_value=Decimal(value),
                default_currency=currency,
            )
            db.session.add(item)
            count("catalogue items")
        items[name_en] = item

    for rate_date, rate in EUR_RATES:
        exists = db.session.scalar(
            select(ExchangeRate.id).filter_by(currency="EUR", rate_date=rate_date)
        )
        if exists is None:
            db.session.add(
                ExchangeRate(currency="EUR", rate_date=rate_date, rate=Decimal(rate), source="demo")
            )
            count("exchange rates")

    users = {}
    for email, name, role, organisation_name, language in USERS:
        user = db.session.scalar(select(User).filter_by(email=email))
        if user is None:
            user = User(
                email=email,
                name=name,
                role=role,
                language=language,
                active=True,
                organisation=organisations[organisation_name],
            )
            user.password_hash = _demo_password_hash()
            db.session.add(user)
            count("users")
        users[email] = user

    db.session.flush()
    for spec in SHIPMENTS:
        if db.session.scalar(select(Shipment.id).filter_by(reference=spec.reference)) is None:
            db.session.add(_build_shipment(spec, cities, organisations, items, users))
            count("shipments")
    _load_funds(organisations, users, count)
    db.session.commit()
    return added


DEMO_FUND = "Lublin Residents' Fundraiser"
# (day, donor, amount, currency, status, reference): enough paid in for every purchase of the
# demo shipments (119,270.00 PLN), in time for each, and one pledge not yet paid.
DEMO_DONATIONS = [
    (date(2022, 3, 14), FUNDRAISER, "40000.00", "PLN", DonationStatus.PAID, "Collection 1/2022"),
    (date(2022, 4, 1), TEXTILES, "10000.00", "PLN", DonationStatus.PAID, "Transfer 2022/04/001"),
    (date(2022, 11, 10), FUNDRAISER, "45000.00", "PLN", DonationStatus.PAID, "Collection 2/2022"),
    (date(2023, 2, 1), PROTECTION_CIVILE, "5000.00", "EUR", DonationStatus.PAID, "PC-2023-017"),
    (date(2023, 3, 15), FUNDRAISER, "150000.00", "PLN", DonationStatus.PAID, "Collection 1/2023"),
    (date(2023, 4, 20), TEXTILES, "15000.00", "PLN", DonationStatus.PLEDGED, "Summer convoy"),
]


def _load_funds(organisations, users, count) -> None:
    """The residents' fund, its donations, and the fund on the purchased demo lines."""
    fund = db.session.scalar(select(Fund).filter_by(name=DEMO_FUND))
    if fund is None:
        fund = Fund(
            name=DEMO_FUND,
            currency="PLN",
            purpose="Food, medical supplies and hygiene kits for Lublin's partner cities.",
            owner=organisations[FUNDRAISER],
            is_open=True,
            overdraft_limit=Decimal("0.00"),
        )
        db.session.add(fund)
        count("funds")
        for day, donor, amount, currency, status, reference in DEMO_DONATIONS:
            fund.donations.append(
                CashDonation(
                    donor=organisations[donor],
                    amount=Decimal(amount),
                    currency=currency,
                    donated_on=day,
                    status=status,
                    reference=reference,
                    recorded_by=users["accountant@lublin.example"],
                    recorded_at=_at(day),
                )
            )
            count("cash donations")
    db.session.flush()
    unfunded = db.session.scalars(
        select(ShipmentLine).where(
            ShipmentLine.funding == Funding.PURCHASED,
            ShipmentLine.fund_id.is_(None),
            ShipmentLine.donor_id == organisations[FUNDRAISER].id,
        )
    )
    for line in unfunded:
        line.fund = fund


def _build_shipment(spec: DemoShipment, cities, organisations, items, users) -> Shipment:
    origin, destination, year, sequence = spec.reference.split("-")
    recipient = organisations[spec.recipient]
    partner_user = next((user for user in users.values() if user.organisation is recipient), None)
    shipment = Shipment(
        reference=spec.reference,
        reference_year=int(year),
        sequence=int(sequence),
        origin_city=cities[origin],
        destination_city=cities[destination],
        sender=organisations["City of Lublin"],
        recipient=recipient,
        carrier=organisations[spec.carrier],
        transport_mode=spec.extra.get("transport_mode", TransportMode.ROAD),
        vehicle_registration=spec.vehicle,
        driver_name=spec.driver,
        cmr_number=spec.cmr,
        planned_departure=spec.planned_departure,
        border_crossing=spec.border,
        aid_recognition_code=spec.recognition_code,
        aid_recognition_code_issued_on=spec.recognition_issued,
        created_by=users["staff@lublin.example"],
        created_at=_at(spec.history[0][2]),
    )
    for position, line in enumerate(spec.lines, start=1):
        item = items[line.item]
        shipment.lines.append(
            ShipmentLine(
                position=position,
                item=item,
                quantity=Decimal(line.quantity),
                unit=item.unit,
                unit_value=Decimal(line.unit_value) if line.unit_value else item.default_unit_value,
                currency=item.default_currency,
                donor=organisations[line.donor],
                funding=line.funding,
                lot=line.lot,
                expiry=line.expiry,
                gross_weight_kg=Decimal(line.gross_weight_kg) if line.gross_weight_kg else None,
                received_quantity=Decimal(line.received) if line.received else None,
                condition=line.condition,
                receipt_note=line.receipt_note,
            )
        )

    statuses = {EventKind.STATUS: None, EventKind.CUSTOMS: None}
    for hour, (kind, to_status, day, location, note) in enumerate(spec.history):
        receipt = to_status in ("received", "received_with_discrepancy")
        shipment.events.append(
            StatusEvent(
                kind=kind,
                from_status=statuses[kind],
                to_status=to_status,
                occurred_at=_at(day, hour),
                user=partner_user if receipt else users["staff@lublin.example"],
                location=location,
                note=note,
            )
        )
        statuses[kind] = to_status
        _apply(shipment, kind, to_status, day, spec)
    shipment.status = ShipmentStatus(statuses[EventKind.STATUS])
    shipment.customs_status = CustomsStatus(statuses[EventKind.CUSTOMS] or "not_required")
    return shipment


def _apply(shipment: Shipment, kind: EventKind, to_status: str, day: date, spec) -> None:
    """Record on the shipment the dates and numbers that a status change brings."""
    if kind is EventKind.STATUS and to_status == "dispatched":
        shipment.dispatch_date = day
    elif kind is EventKind.STATUS and to_status == "delivered":
        shipment.delivery_date = day
    elif kind is EventKind.CUSTOMS and to_status == "declared":
        shipment.customs_declaration_number = spec.declaration
        shipment.customs_declared_on = day
    elif kind is EventKind.CUSTOMS and to_status == "cleared":
        shipment.customs_cleared_on = day
        shipment.distribution_report_due_on = day + timedelta(days=DISTRIBUTION_REPORT_DAYS)
        shipment.distribution_report_submitted_on = spec.report_submitted


def _at(day: date, hour_offset: int = 0) -> datetime:
    """A plausible working-hours moment on `day`, in UTC, keeping events in order."""
    return datetime.combine(day, time(7, 0), tzinfo=UTC) + timedelta(minutes=10 * hour_offset)
