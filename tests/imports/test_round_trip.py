"""Round trip: a register or packing list that AidTracker exported imports back into a new draft
shipment with the same lines: item, quantity, unit, unit value, currency, donor, funding, lot,
expiry and gross weight."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.catalogue.models import CatalogueItem, Unit
from aidtracker.extensions import db
from aidtracker.imports.lines import check_lines, import_lines_from_path
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.packing_list import write_packing_list
from aidtracker.reports.register import write_register
from aidtracker.reports.scope import ReportParameters
from aidtracker.shipments.entry import LineEntry, ShipmentEntry, create_shipment
from aidtracker.shipments.models import Funding, Shipment, ShipmentLine
from aidtracker.shipments.queries import shipment_by_reference
from tests.reports.helpers import english_rows


def staff() -> User:
    return db.session.scalar(select(User).filter_by(email="staff@lublin.example"))


def organisation(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).filter_by(name=name))


def item(name: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(name_en=name))


def new_draft(lines: list[LineEntry] | None = None) -> Shipment:
    city = {c.code: c for c in db.session.scalars(select(City))}
    return create_shipment(
        ShipmentEntry(
            origin_city=city["LUB"],
            destination_city=city["KRR"],
            sender=organisation("City of Lublin"),
            recipient=organisation("Kryvyi Rih City Council"),
            planned_departure=date(2024, 5, 6),
            lines=lines or [],
        ),
        by=staff(),
    )


def content(lines: list[ShipmentLine]) -> list[tuple]:
    """What a line says, without where it sits."""
    return [
        (
            line.item.name_en,
            line.quantity,
            line.unit,
            line.unit_value,
            line.currency,
            line.donor.name if line.donor else None,
            line.funding,
            line.lot,
            line.expiry,
            line.gross_weight_kg,
        )
        for line in lines
    ]


def lines_of(reference: str) -> list[ShipmentLine]:
    db.session.expire_all()
    return list(db.session.scalar(select(Shipment).filter_by(reference=reference)).lines)


@pytest.mark.parametrize("hxl", [False, True], ids=["plain", "with HXL hashtags"])
def test_a_register_imports_back_with_the_same_lines(demo, tmp_path, hxl):
    path = tmp_path / "register.xlsx"
    with demo.app_context():
        user = staff()
        parameters = ReportParameters(
            date_from=date(2023, 3, 27), date_to=date(2023, 3, 30), currency="EUR", hxl=hxl
        )
        totals = write_register(path, user, parameters)
        # The register streams on the session's connection with yield_per, which SQLAlchemy 2
        # sets on that connection in place; end the transaction as the export's request would.
        db.session.rollback()
        exported = lines_of("LUB-KRR-2023-0001") + lines_of("LUB-KRR-2023-0002")
        assert totals.lines == len(exported) == 4
        draft = new_draft()

        assert import_lines_from_path(draft, path, user) == 4

        imported = lines_of(draft.reference)
        assert content(imported) == content(exported)
        assert [line.position for line in imported] == [1, 2, 3, 4]
        generator = imported[3]
        assert (generator.currency, generator.unit_value, generator.funding) == (
            "EUR",
            Decimal("25000.00"),
            Funding.IN_KIND,
        )


def test_a_packing_list_imports_back_with_the_same_lines(demo, tmp_path):
    path = tmp_path / "packing-list.xlsx"
    with demo.app_context():
        user = staff()
        fundraiser = organisation("Lublin Residents' Fundraiser")
        original = new_draft(
            [
                LineEntry(
                    item("Rice 1 kg"),
                    Decimal("1000"),
                    fundraiser,
                    Funding.PURCHASED,
                    gross_weight_kg=Decimal("1020.5"),
                ),
                LineEntry(
                    item("Wool blanket"),
                    Decimal("12.5"),
                    None,
                    Funding.IN_KIND,
                    unit=Unit.KG,
                    unit_value=Decimal("80.10"),
                ),
                LineEntry(
                    item("Paracetamol 500 mg ×20"),
                    Decimal("120"),
                    organisation("Protection Civile"),
                    Funding.IN_KIND,
                    unit=Unit.BOX,
                    unit_value=Decimal("6.90"),
                    currency="EUR",
                    lot="PCM-24-7",
                    expiry=date(2027, 5, 31),
                    gross_weight_kg=Decimal("0.125"),
                ),
                LineEntry(
                    item("Diesel generator 100 kVA"),
                    Decimal("1"),
                    fundraiser,
                    Funding.IN_KIND,  # a purchase would need a UAH rate and 1 million in the fund
                    unit_value=Decimal("1040000.00"),
                    currency="UAH",
                    gross_weight_kg=Decimal("1450"),
                ),
            ]
        )
        write_packing_list(path, user, shipment_by_reference(user, original.reference))
        # The file carries what makes it a packing list: the header block above the lines, and
        # the totals under them (lines and weight, value per currency) and the signature blocks.
        # It goes to Ukraine, so it is in English and Ukrainian ("Total: 4 lines / Разом: …").
        cells = [c for row in english_rows(openpyxl.load_workbook(path).active) for c in row if c]
        assert "Total: 4 lines" in cells
        assert "Total value in UAH" in cells
        assert "Weight not recorded for 1 line" in cells

        copy = new_draft()
        lines, problems = check_lines(copy, path)
        assert problems == []
        assert len(lines) == 4

        assert import_lines_from_path(copy, path, user) == 4
        assert content(lines_of(copy.reference)) == content(lines_of(original.reference))


def test_a_packing_list_imports_back_after_the_lines_a_draft_has(demo, tmp_path):
    path = tmp_path / "packing-list.xlsx"
    with demo.app_context():
        user = staff()
        write_packing_list(path, user, shipment_by_reference(user, "LUB-KRR-2023-0001"))
        draft = shipment_by_reference(user, "LUB-KRR-2023-0003")
        before = content(draft.lines)

        assert import_lines_from_path(draft, path, user) == 3

        after = lines_of("LUB-KRR-2023-0003")
        assert [line.position for line in after] == [1, 2, 3, 4]
        assert content(after) == before + content(lines_of("LUB-KRR-2023-0001"))
