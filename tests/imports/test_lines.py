"""Shipment lines from a workbook: every row is checked against the catalogue, the organisations
and the line rules; a wrong row means nothing is written; a right file is added in one go after
the lines the draft already has, unless the shipment changed or left draft meanwhile."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from aidtracker.auth.models import User
from aidtracker.catalogue.models import Category, Unit
from aidtracker.catalogue.service import ItemDetails, add_item, deactivate_item
from aidtracker.extensions import db
from aidtracker.imports import reader
from aidtracker.imports.lines import (
    LinesRefused,
    add_lines,
    check_lines,
    import_lines_from_path,
    lines_template,
)
from aidtracker.imports.reader import ImportFileError
from aidtracker.models import CatalogueItem, Organisation, Shipment, ShipmentLine
from aidtracker.shipments.entry import EditConflict, NotEditable
from aidtracker.shipments.models import Funding, ShipmentStatus
from tests.conftest import QueryCounter
from tests.imports.files import xlsx

DRAFT = "LUB-KRR-2023-0003"  # the demo's draft: one line, planned departure 2023-04-12
DISPATCHED = "LUB-KRR-2023-0001"
FUNDRAISER = "Lublin Residents' Fundraiser"
TEXTILES = "Example Textiles Sp. z o.o."

HEADER = [
    "No.",
    "Item",
    "Quantity",
    "Unit",
    "Unit value",
    "Currency",
    "Donor",
    "Funding",
    "Lot",
    "Expiry",
    "Gross weight (kg)",
]
GOOD_ROWS = [
    [1, "Rice 1 kg", 1000, "pcs", 5.6, "PLN", FUNDRAISER, "purchased", None, None, 1020.5],
    [2, "Wool blanket", 200, None, None, None, TEXTILES, "In-kind donation", None, None, 300],
    [
        3,
        "Paracetamol 500 mg ×20",
        120,
        "box",
        "6,90",
        "eur",
        FUNDRAISER,
        "Purchased with cash donations",
        "PCM-24-7",
        date(2027, 5, 31),
        None,
    ],
]


def workbook(rows, header=HEADER) -> bytes:
    return xlsx([header, *rows])


def good_row(changes: dict | None = None, **named) -> list:
    """The first good row, with cells changed by header (`Unit_value=` for "Unit value")."""
    row = list(GOOD_ROWS[0])
    for name, value in {**(changes or {}), **named}.items():
        row[HEADER.index(name.replace("_", " "))] = value
    return row


def shipment(reference: str = DRAFT) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def staff() -> User:
    return db.session.scalar(select(User).filter_by(email="staff@lublin.example"))


def item(name: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(name_en=name))


def line_count(reference: str = DRAFT) -> int:
    return db.session.scalar(
        select(func.count(ShipmentLine.id)).join(Shipment).where(Shipment.reference == reference)
    )


def stored_lines(reference: str = DRAFT) -> list[ShipmentLine]:
    db.session.expire_all()
    return list(shipment(reference).lines)


def problems_of(data: bytes) -> list[tuple]:
    _lines, problems = check_lines(shipment(), data)
    return [(p.sheet, p.row, p.column, p.message) for p in problems]


def assert_refused_and_untouched(data: bytes) -> LinesRefused:
    draft = shipment()
    version, lines = draft.version, line_count()
    with pytest.raises(LinesRefused) as refused:
        add_lines(draft, data, expected_version=version, by=staff())
    db.session.rollback()
    assert line_count() == lines
    assert shipment().version == version
    return refused.value


# --- a good file -------------------------------------------------------------------------------


def test_a_good_file_adds_every_line_after_the_lines_the_draft_has(demo):
    with demo.app_context():
        draft = shipment()
        version = draft.version
        assert [line.position for line in draft.lines] == [1]

        added = add_lines(draft, workbook(GOOD_ROWS), expected_version=version, by=staff())

        assert added == 3
        lines = stored_lines()
        assert [line.position for line in lines] == [1, 2, 3, 4]
        rice, blanket, paracetamol = lines[1:]
        assert (rice.item.name_en, rice.quantity, rice.unit, rice.unit_value, rice.currency) == (
            "Rice 1 kg",
            Decimal("1000"),
            Unit.PCS,
            Decimal("5.60"),
            "PLN",
        )
        assert (rice.donor.name, rice.funding, rice.gross_weight_kg) == (
            FUNDRAISER,
            Funding.PURCHASED,
            Decimal("1020.5"),
        )
        # Empty unit, value and currency take the catalogue's; funding by its label.
        assert (blanket.unit, blanket.unit_value, blanket.currency, blanket.funding) == (
            Unit.PCS,
            item("Wool blanket").default_unit_value,
            "PLN",
            Funding.IN_KIND,
        )
        assert (paracetamol.unit, paracetamol.unit_value, paracetamol.currency) == (
            Unit.BOX,
            Decimal("6.90"),
            "EUR",
        )
        assert (paracetamol.lot, paracetamol.expiry) == ("PCM-24-7", date(2027, 5, 31))
        assert shipment().version == version + 1  # forms opened before cannot save over them


def test_the_preview_says_what_will_be_added_and_writes_nothing(demo):
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook(GOOD_ROWS))
        assert problems == []
        assert [(line.row, line.item.name_en, line.value) for line in lines] == [
            (2, "Rice 1 kg", Decimal("5600.00")),
            (3, "Wool blanket", Decimal("9000.00")),
            (4, "Paracetamol 500 mg ×20", Decimal("828.00")),
        ]
        assert [line.value_from_catalogue for line in lines] == [False, True, False]
        assert line_count() == 1


def test_all_lines_go_in_one_insert_whatever_their_number(demo):
    rows = [good_row({"No.": number}) for number in range(1, 301)]
    with demo.app_context():
        draft = shipment()
        data = workbook(rows)
        with QueryCounter(db.engine) as counter:
            add_lines(draft, data, expected_version=draft.version, by=staff())
        inserts = [
            s
            for s in counter.statements
            if s.lstrip().upper().startswith("INSERT INTO SHIPMENT_LINES")
        ]
        assert len(inserts) == 1
        assert line_count() == 301


def test_an_empty_unit_value_takes_the_catalogue_default(demo):
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook([good_row({"Unit value": None})]))
        assert problems == []
        assert lines[0].unit_value == Decimal("5.60")
        assert lines[0].value_from_catalogue


def test_decimal_commas_spaces_and_numbers_stored_as_text_are_read(demo):
    row = good_row(Quantity=" 1 250,5 ", Unit="kg", **{"Unit value": "1 234,50"})
    row[HEADER.index("Gross weight (kg)")] = "1.250,125"
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook([row]))
        assert problems == []
        assert (lines[0].quantity, lines[0].unit_value, lines[0].gross_weight_kg) == (
            Decimal("1250.5"),
            Decimal("1234.50"),
            Decimal("1250.125"),
        )


def test_a_value_computed_in_the_sheet_is_read_as_excel_shows_it(demo):
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook([good_row({"Unit value": 5.6 + 0.1})]))
        assert problems == []
        assert lines[0].unit_value == Decimal("5.70")


def test_polish_headers_names_and_words(demo):
    header = [
        "Lp.",
        "Nazwa towaru",
        "Ilość",
        "J.m.",
        "Wartość jednostkowa",
        "Waluta",
        "Darczyńca",
        "Finansowanie",
        "Nr partii",
        "Data ważności",
        "Waga brutto (kg)",
    ]
    rows = [
        [1, "Ryż 1 kg", "1 000", "szt.", "5,60", "zł", FUNDRAISER, "zakup", None, None, "1 020,5"],
        [2, "koc wełniany", 10, None, None, None, None, "darowizna", None, None, None],
        [3, "Paracetamol 500 mg ×20", 5, None, None, None, None, "dar", "P-1", "31.12.2027", None],
    ]
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook(rows, header))
        assert problems == []
        assert [(line.item.name_en, line.quantity, line.funding) for line in lines] == [
            ("Rice 1 kg", Decimal("1000"), Funding.PURCHASED),
            ("Wool blanket", Decimal("10"), Funding.IN_KIND),
            ("Paracetamol 500 mg ×20", Decimal("5"), Funding.IN_KIND),
        ]
        assert (lines[0].currency, lines[0].gross_weight_kg) == ("PLN", Decimal("1020.5"))
        assert lines[2].expiry == date(2027, 12, 31)


def test_ukrainian_headers_names_and_words(demo):
    header = [
        "№",
        "Найменування",
        "Кількість",
        "Одиниця",
        "Ціна за одиницю",
        "Валюта",
        "Донор",
        "Фінансування",
        "Серія",
        "Термін придатності",
        "Вага брутто",
    ]
    rows = [
        [1, "Рис 1 кг", "2 500", "шт", "210,00", "грн", FUNDRAISER, "закупівля", None, None, None],
        [2, "Вовняна ковдра", 40, "шт.", None, None, TEXTILES, "пожертва", None, None, "60,5"],
    ]
    with demo.app_context():
        blanket = item("Wool blanket")
        blanket.name_uk = "Вовняна ковдра"
        db.session.commit()
        lines, problems = check_lines(shipment(), workbook(rows, header))
        assert problems == []
        assert [(line.item.name_en, line.quantity, line.currency) for line in lines] == [
            ("Rice 1 kg", Decimal("2500"), "UAH"),
            ("Wool blanket", Decimal("40"), "PLN"),
        ]
        assert lines[0].funding is Funding.PURCHASED
        assert lines[1].funding is Funding.IN_KIND


def test_columns_may_come_in_any_order_and_extra_ones_are_ignored(demo):
    header = ["Notes", "Quantity", "Donor", "Item", "Funding"]
    rows = [["urgent", 7, FUNDRAISER, "RICE 1 KG", "purchased"]]
    with demo.app_context():
        lines, problems = check_lines(shipment(), workbook(rows, header))
        assert problems == []
        assert (lines[0].item.name_en, lines[0].quantity) == ("Rice 1 kg", Decimal("7"))


def test_an_empty_item_cell_is_named_by_a_unique_hs_code(demo):
    header = ["Item", "HS code", "Quantity"]
    with demo.app_context():
        blanket = item("Wool blanket")
        lines, problems = check_lines(shipment(), workbook([[None, blanket.hs_code, 3]], header))
        assert problems == []
        assert lines[0].item.id == blanket.id
        # A code that fits no active item names nothing.
        assert problems_of(workbook([[None, "999999", 3]], header)) == [
            (
                "Lines",
                2,
                "HS code",
                "No active catalogue item has the HS code 999999: name the item.",
            )
        ]


def test_items_sharing_a_name_are_told_apart_by_the_unit(demo):
    with demo.app_context():
        add_item(
            details=ItemDetails(
                name_en="Rice 1 kg",
                category=Category.FOOD,
                unit=Unit.BOX,
                default_unit_value=Decimal("60.00"),
                default_currency="PLN",
            )
        )
        header = ["Item", "Quantity", "Unit", "Funding"]
        lines, problems = check_lines(shipment(), workbook([["Rice 1 kg", 3, "box", None]], header))
        assert problems == []
        assert lines[0].item.unit is Unit.BOX
        assert problems_of(workbook([["Rice 1 kg", 3, None, None]], header)) == [
            (
                "Lines",
                2,
                "Item",
                "“Rice 1 kg” could be any of these catalogue items: Rice 1 kg (pcs); "
                "Rice 1 kg (box). Give the unit to tell them apart.",
            )
        ]


# --- wrong rows: each named, nothing written ---------------------------------------------------

WRONG_ROWS = {
    "unknown item": (
        {"Item": "Rice 2 kg"},
        "Item",
        "The catalogue has no item named “Rice 2 kg”. Use the item's name as the catalogue "
        "writes it (in English, Polish or Ukrainian), or add it to the catalogue first.",
    ),
    "unknown donor": (
        {"Donor": "Nobody Foundation"},
        "Donor",
        "No organisation is named “Nobody Foundation”. Add it to the organisations first, or "
        "write its name as AidTracker lists it.",
    ),
    "zero quantity": ({"Quantity": 0}, "Quantity", "The quantity must be more than zero."),
    "negative quantity": ({"Quantity": "-5"}, "Quantity", "The quantity must be more than zero."),
    "quantity not a number": ({"Quantity": "a lot"}, "Quantity", "Not a number: a lot"),
    "no quantity": ({"Quantity": None}, "Quantity", "Enter the quantity."),
    "quantity too precise": ({"Quantity": "1,0005"}, "Quantity", "Use at most three decimals."),
    "unknown currency": (
        {"Currency": "XYZ"},
        "Currency",
        "“XYZ” is not an ISO 4217 currency code, e.g. PLN, EUR, UAH.",
    ),
    "unknown unit": (
        {"Unit": "bags"},
        "Unit",
        "“bags” is not one of: pcs, kg, l, box, pallet, set.",
    ),
    "unknown funding": (
        {"Funding": "sold"},
        "Funding",
        "“sold” is not one of: in_kind, purchased.",
    ),
    "negative value": ({"Unit value": -1}, "Unit value", "The value cannot be negative."),
    "value in tenths of cents": (
        {"Unit value": "5,605"},
        "Unit value",
        "Use at most two decimals (cents).",
    ),
    "purchase without donor": (
        {"Donor": None},
        "Donor",
        "Name the donor whose money bought this.",
    ),
    "date in the wrong form": (
        {"Item": "Paracetamol 500 mg ×20", "Lot": "P-1", "Expiry": "12/31/2027"},
        "Expiry",
        "Not a date: 12/31/2027. Write dates as YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY.",
    ),
    "medical without lot": (
        {"Item": "Paracetamol 500 mg ×20", "Expiry": "2027-12-31"},
        "Lot",
        "Medical goods need a lot number.",
    ),
    "medical without expiry": (
        {"Item": "Paracetamol 500 mg ×20", "Lot": "P-1"},
        "Expiry",
        "Medical goods need an expiry date.",
    ),
    "expired before departure": (
        {"Item": "Paracetamol 500 mg ×20", "Lot": "P-1", "Expiry": "2023-04-01"},
        "Expiry",
        "This expires before the shipment leaves (Apr 12, 2023).",
    ),
    "negative weight": (
        {"Gross weight (kg)": -2},
        "Gross weight (kg)",
        "The weight cannot be negative.",
    ),
    "lot too long": ({"Lot": "L" * 61}, "Lot", "A lot number has at most 60 characters."),
}


@pytest.mark.parametrize("case", WRONG_ROWS, ids=list(WRONG_ROWS))
def test_a_wrong_row_is_named_by_sheet_row_and_column_and_nothing_is_written(demo, case):
    changes, column, message = WRONG_ROWS[case]
    rows = [GOOD_ROWS[1], good_row(changes)]
    with demo.app_context():
        data = workbook(rows)
        assert problems_of(data) == [("Lines", 3, column, message)]
        refused = assert_refused_and_untouched(data)
        assert [(p.row, p.column) for p in refused.problems] == [(3, column)]


def test_a_unit_value_neither_given_nor_in_the_catalogue_is_refused(demo):
    with demo.app_context():
        add_item(
            details=ItemDetails(
                name_en="Hand-knitted scarf", category=Category.CLOTHING, unit=Unit.PCS
            )
        )
        data = workbook([good_row(Item="Hand-knitted scarf", **{"Unit value": None})])
        assert problems_of(data) == [
            ("Lines", 2, "Unit value", "Enter the unit value: the catalogue has no default for it.")
        ]
        assert_refused_and_untouched(data)


def test_a_deactivated_item_is_refused(demo):
    with demo.app_context():
        deactivate_item(item=item("Rice 1 kg"))
        assert problems_of(workbook([good_row()])) == [
            (
                "Lines",
                2,
                "Item",
                "“Rice 1 kg” is deactivated in the catalogue: it is no longer offered for new "
                "lines.",
            )
        ]


def test_every_problem_of_every_row_is_listed_in_row_and_column_order(demo):
    rows = [
        good_row(Currency="XX", Quantity=0),
        GOOD_ROWS[1],
        good_row(Item="Nothing", Donor="Nobody", Expiry="soon"),
    ]
    with demo.app_context():
        assert [(row, column) for _sheet, row, column, _message in problems_of(workbook(rows))] == [
            (2, "Quantity"),
            (2, "Currency"),
            (4, "Item"),
            (4, "Donor"),
            (4, "Expiry"),
        ]


def test_a_missing_column_is_named_as_the_template_names_it(demo):
    header = ["Item", "Quantity"]
    with demo.app_context():
        add_item(
            details=ItemDetails(
                name_en="Hand-knitted scarf", category=Category.CLOTHING, unit=Unit.PCS
            )
        )
        assert problems_of(workbook([["Hand-knitted scarf", 1]], header)) == [
            (
                "Lines",
                2,
                "Unit value",
                "Enter the unit value: the catalogue has no default for it.",
            ),
            ("Lines", 2, "Currency", "Choose the currency of the unit value."),
        ]


def test_a_file_that_is_not_a_workbook_is_refused_as_a_whole(demo):
    with demo.app_context():
        with pytest.raises(ImportFileError) as refused:
            check_lines(shipment(), b"Item;Quantity\nRice 1 kg;10\n")
        assert "not an Excel .xlsx workbook" in refused.value.message
        with pytest.raises(ImportFileError) as refused:
            check_lines(shipment(), workbook([]))
        assert "has no lines" in refused.value.message


def test_a_file_with_more_rows_than_allowed_is_refused_before_anything_is_checked(
    demo, monkeypatch
):
    # The real limit (20,000) is read in tests/imports/test_reader.py; a small one keeps this
    # test, run on both databases, quick.
    monkeypatch.setattr(reader, "MAX_ROWS", 10)
    with demo.app_context():
        with pytest.raises(ImportFileError) as refused:
            check_lines(shipment(), workbook([good_row()] * 11))
        assert "more than 10 rows" in refused.value.message
        assert line_count() == 1


# --- which shipments, and concurrency ----------------------------------------------------------


def test_lines_are_imported_into_drafts_only(demo):
    with demo.app_context():
        dispatched = shipment(DISPATCHED)
        with pytest.raises(NotEditable) as refused:
            check_lines(dispatched, workbook([good_row()]))
        assert str(refused.value) == (
            "Lines can be imported only into a draft shipment; LUB-KRR-2023-0001 is dispatched."
        )
        with pytest.raises(NotEditable):
            add_lines(
                dispatched, workbook([good_row()]), expected_version=dispatched.version, by=staff()
            )
        assert line_count(DISPATCHED) == 3


def test_a_shipment_saved_after_the_check_refuses_the_import(demo):
    with demo.app_context():
        draft = shipment()
        seen = draft.version
        draft.notes = "Changed by a colleague"
        db.session.commit()
        with pytest.raises(EditConflict) as refused:
            add_lines(shipment(), workbook([good_row()]), expected_version=seen, by=staff())
        assert "LUB-KRR-2023-0003 was changed after the file was checked" in str(refused.value)
        db.session.rollback()
        assert line_count() == 1


def test_a_shipment_that_left_draft_after_the_check_refuses_the_import(demo):
    with demo.app_context():
        draft = shipment()
        seen = draft.version
        draft.status = ShipmentStatus.READY
        db.session.commit()
        with pytest.raises(NotEditable):
            add_lines(shipment(), workbook([good_row()]), expected_version=seen, by=staff())
        db.session.rollback()
        assert line_count() == 1


def test_a_change_committed_while_the_file_is_checked_wins_and_nothing_is_written(demo):
    """Another request saves the shipment between our reading it and our writing: the claim on
    the shipment's row finds a newer version and the import stops."""
    with demo.app_context():
        draft = shipment()
        seen = draft.version
        with db.engine.begin() as other_request:
            other_request.execute(
                update(Shipment.__table__)
                .where(Shipment.__table__.c.id == draft.id)
                .values(version=seen + 1)
            )
        assert draft.version == seen  # our copy has not seen it
        with pytest.raises(EditConflict):
            add_lines(draft, workbook([good_row()]), expected_version=seen, by=staff())
        db.session.rollback()
        assert line_count() == 1
        assert shipment().version == seen + 1


def test_an_import_needs_a_user_who_may_edit_shipments(demo):
    with demo.app_context():
        accountant = db.session.scalar(select(User).filter_by(email="accountant@lublin.example"))
        draft = shipment()
        with pytest.raises(NotEditable):
            add_lines(draft, workbook([good_row()]), expected_version=draft.version, by=accountant)
        assert line_count() == 1


def test_import_lines_from_path_checks_and_commits_or_names_the_problems(demo, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(workbook(GOOD_ROWS))
    bad.write_bytes(workbook([good_row(Quantity=-1)]))
    with demo.app_context():
        with pytest.raises(LinesRefused) as refused:
            import_lines_from_path(shipment(), bad, staff())
        assert [(p.row, p.column) for p in refused.value.problems] == [(2, "Quantity")]
        db.session.rollback()
        assert import_lines_from_path(shipment(), good, staff()) == 3
        assert line_count() == 4


# --- the template ------------------------------------------------------------------------------


def test_the_template_imports_back_as_its_example_line(demo):
    with demo.app_context():
        lines, problems = check_lines(shipment(), lines_template())
        assert problems == []
        assert len(lines) == 1
        example = lines[0]
        assert example.item.active
        assert example.item.category is not Category.MEDICAL
        assert example.donor == db.session.scalar(select(Organisation).filter_by(name=TEXTILES))
        assert example.funding is Funding.IN_KIND
