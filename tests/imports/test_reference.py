"""Catalogue items and organisations from a workbook: every row judged by the forms' rules, every
problem named by sheet, row and column, and nothing written unless every row is right."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.catalogue.models import CatalogueItem, Category, DacSector, Unit
from aidtracker.catalogue.service import (
    CurrencyRequired,
    DuplicateItem,
    InvalidHsCode,
    ItemDetails,
    NameRequired,
    UnknownCurrency,
    add_item,
)
from aidtracker.extensions import db
from aidtracker.imports import reference
from aidtracker.imports.reader import ImportFileError, Problem
from aidtracker.imports.reference import (
    RowsRefused,
    add_catalogue_items,
    add_organisations,
    check_catalogue,
    check_organisations,
)
from aidtracker.parties.models import City, Organisation, OrganisationKind
from aidtracker.parties.service import DuplicateOrganisation, InvalidEmail, UnknownCountry
from tests.catalogue.helpers import stored_rows
from tests.imports.files import csv_renamed, xlsx

ITEM_HEADER = [
    "Name in English",
    "Name in Polish",
    "Name in Ukrainian",
    "Category",
    "Unit",
    "HS code",
    "DAC sector",
    "Default value per unit",
    "Currency",
]
PARTNER_CELLS = [
    "country",
    "city",
    "contact",
    "email",
    "phone",
    "address",
    "sender",
    "recipient",
    "carrier",
    "donor",
]
ALL_CATEGORIES = "food, clothing, medical, hygiene, shelter, energy, other"
ALL_KINDS = "municipality, ngo, company, public_body, fundraiser"
STRETCHER = ["Folding stretcher", "Nosze składane", "Складні ноші", "medical", "pcs"]
ORGANISATION_HEADER = [
    "Name",
    "Kind",
    "Country",
    "City",
    "Contact person",
    "E-mail",
    "Phone",
    "Address",
    "Sender",
    "Recipient",
    "Carrier",
    "Donor",
]


@pytest.fixture
def ctx(demo):
    """The demo installation, its application context pushed for the service calls."""
    with demo.app_context():
        yield demo
        db.session.remove()


def catalogue(*rows, header=ITEM_HEADER) -> bytes:
    return xlsx([header, *rows], title="Catalogue")


def organisations(*rows, header=ORGANISATION_HEADER) -> bytes:
    return xlsx([header, *rows], title="Partners")


def partner(name, kind, **cells) -> list:
    """A row of the organisations file: `cells` by the short names of PARTNER_CELLS."""
    return [name, kind, *(cells.get(cell) for cell in PARTNER_CELLS)]


def items_named(*names: str) -> list[CatalogueItem]:
    return list(
        db.session.scalars(
            select(CatalogueItem).where(CatalogueItem.name_en.in_(names)).order_by(CatalogueItem.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def problems_of(check, content: bytes) -> set[tuple[int, str, str]]:
    new, problems = check(content)
    assert new == [] or problems, "a file with problems previews nothing to add"
    return {(problem.row, problem.column, problem.message) for problem in problems}


# -- catalogue items ---------------------------------------------------------------------------


def test_a_catalogue_file_is_read_as_the_form_would_store_it_and_checking_writes_nothing(ctx):
    before = count(CatalogueItem)
    content = catalogue(
        [*STRETCHER, "9402.90", None, "1 250,50", "pln"],
        ["  Camp bed ", None, None, "Shelter", "Pieces", 940320, "72010", 210, "EUR"],
        ["Power bank 20000 mAh", None, None, "energy", "set", " 8507 60 ", None, None, None],
    )

    new, problems = check_catalogue(content)

    assert problems == []
    assert [item.row for item in new] == [2, 3, 4]
    stretcher, camp_bed, power_bank = (item.details for item in new)
    assert stretcher == ItemDetails(
        name_en="Folding stretcher",
        name_pl="Nosze składane",
        name_uk="Складні ноші",
        category=Category.MEDICAL,
        unit=Unit.PCS,
        hs_code="940290",
        dac_sector=DacSector.BASIC_HEALTH,  # from the category, as the cell is empty
        default_unit_value=Decimal("1250.50"),
        default_currency="PLN",
    )
    assert (camp_bed.name_en, camp_bed.category, camp_bed.unit) == (
        "Camp bed",
        Category.SHELTER,
        Unit.PCS,
    )
    assert (camp_bed.hs_code, camp_bed.default_unit_value, camp_bed.default_currency) == (
        "940320",
        Decimal("210.00"),
        "EUR",
    )
    assert (power_bank.unit, power_bank.hs_code, power_bank.dac_sector) == (
        Unit.SET,
        "850760",
        DacSector.RELIEF_ITEMS,
    )
    assert power_bank.default_unit_value is None
    assert count(CatalogueItem) == before


def test_adding_the_items_stores_every_row_in_one_go(ctx):
    content = catalogue(
        [*STRETCHER, "940290", "72011", "350", "PLN"],
        ["Camp bed", "Łóżko polowe", None, "shelter", "pcs", None, None, None, None],
    )

    added = add_catalogue_items(content)

    assert [item.name_en for item in added] == ["Folding stretcher", "Camp bed"]
    db.session.expunge_all()
    stretcher, camp_bed = items_named("Folding stretcher", "Camp bed")
    assert stretcher.name_uk == "Складні ноші"
    assert stretcher.dac_sector is DacSector.BASIC_HEALTH
    assert stretcher.default_unit_value == Decimal("350.00")
    assert stretcher.active is True
    assert camp_bed.name_pl == "Łóżko polowe"
    assert camp_bed.hs_code is None


def test_polish_headers_and_words_are_understood(ctx):
    content = catalogue(
        ["Mąka żytnia 1 kg", "Mąka żytnia 1 kg", "żywność", "szt.", "1102.90", "4,20", "PLN"],
        ["Koc termiczny", "Koc termiczny", "Schronienie", "Zestaw", None, None, None],
        header=[
            "Nazwa",
            "Nazwa po polsku",
            "Kategoria",
            "Jednostka miary",
            "Kod HS",
            "Wartość jednostkowa",
            "Waluta",
        ],
    )

    new, problems = check_catalogue(content)

    assert problems == []
    flour, foil = (item.details for item in new)
    assert (flour.name_en, flour.name_pl, flour.category, flour.unit) == (
        "Mąka żytnia 1 kg",
        "Mąka żytnia 1 kg",
        Category.FOOD,
        Unit.PCS,
    )
    assert (flour.hs_code, flour.default_unit_value) == ("110290", Decimal("4.20"))
    assert (foil.category, foil.unit) == (Category.SHELTER, Unit.SET)


def test_ukrainian_headers_and_words_are_understood(ctx):
    content = catalogue(
        ["Bandage", "Бинт марлевий", "медикаменти", "шт", "3005.90", "12,5", "uah"],
        ["Drinking water 5 l", "Питна вода 5 л", "Продукти", "л", None, None, None],
        header=[
            "Назва",
            "Назва українською",
            "Категорія",
            "Одиниця виміру",
            "Код УКТЗЕД",
            "Ціна за одиницю",
            "Валюта",
        ],
    )

    new, problems = check_catalogue(content)

    assert problems == []
    bandage, water = (item.details for item in new)
    assert (bandage.name_uk, bandage.category, bandage.unit) == (
        "Бинт марлевий",
        Category.MEDICAL,
        Unit.PCS,
    )
    assert (bandage.default_unit_value, bandage.default_currency) == (Decimal("12.50"), "UAH")
    assert (water.category, water.unit) == (Category.FOOD, Unit.L)


def test_each_wrong_cell_is_named_by_row_and_column_with_the_forms_message(ctx):
    before = stored_rows(ctx, CatalogueItem)
    content = catalogue(
        [None, "Bez nazwy", None, "food", "pcs", None, None, None, None],
        ["Tent", None, None, "camping", "pcs", None, None, None, None],
        ["Rope", None, None, "other", "metres", None, None, None, None],
        ["Heater", None, None, "energy", "pcs", "8516.2", None, None, None],
        ["Soap", None, None, "hygiene", "pcs", None, "72099", None, None],
        ["Mask", None, None, "medical", "pcs", None, None, "-3", "PLN"],
        ["Gloves", None, None, "medical", "box", None, None, "1.005", "PLN"],
        ["Torch", None, None, "energy", "pcs", None, None, "cheap", "PLN"],
        ["Candle", None, None, "energy", "pcs", None, None, "2.50", None],
        ["Lamp", None, None, "energy", "pcs", None, None, "20", "XYZ"],
        ["X" * 201, None, None, "other", "pcs", None, None, None, None],
        ["Cot", None, None, None, None, None, None, None, None],
    )

    found = problems_of(check_catalogue, content)

    assert found == {
        (2, "Name in English", str(NameRequired())),
        (3, "Category", "camping is not one of the allowed values: " + ALL_CATEGORIES + "."),
        (4, "Unit", "metres is not one of the allowed values: pcs, kg, l, box, pallet, set."),
        (5, "HS code", str(InvalidHsCode("8516.2"))),
        (6, "DAC sector", "72099 is not one of the allowed values: 72040, 72011, 72010."),
        (7, "Default value per unit", "The value cannot be negative."),
        (8, "Default value per unit", "Use at most two decimals (cents)."),
        (9, "Default value per unit", "Not a number: cheap"),
        (10, "Currency", str(CurrencyRequired())),
        (11, "Currency", str(UnknownCurrency("XYZ"))),
        (12, "Name in English", "At most 200 characters; this cell has 201."),
        (13, "Category", "Enter the category: " + ALL_CATEGORIES + "."),
        (13, "Unit", "Enter the unit: pcs, kg, l, box, pallet, set."),
    }
    with pytest.raises(RowsRefused):
        add_catalogue_items(content)
    assert stored_rows(ctx, CatalogueItem) == before


def test_a_row_has_a_problem_in_each_wrong_cell(ctx):
    content = catalogue([None, None, None, "toys", "pcs", "12", None, "-1", "ABC"])

    found = problems_of(check_catalogue, content)

    assert {column for _row, column, _message in found} == {
        "Name in English",
        "Category",
        "HS code",
        "Default value per unit",
        "Currency",
    }


def test_an_item_already_in_the_catalogue_is_refused_whatever_the_case(ctx):
    content = catalogue(
        ["WOOL BLANKET", None, None, "shelter", "pcs", None, None, None, None],
        ["Wool blanket", None, None, "shelter", "pallet", None, None, None, None],
    )

    new, problems = check_catalogue(content)

    assert problems == [
        Problem("Catalogue", 2, "Name in English", str(DuplicateItem("WOOL BLANKET", Unit.PCS)))
    ]
    assert "already has “WOOL BLANKET” counted in pcs" in problems[0].message
    assert [item.details.unit for item in new] == [Unit.PALLET]  # another unit is another item


def test_the_same_item_twice_in_the_file_is_refused_on_its_second_row(ctx):
    content = catalogue(
        [*STRETCHER, None, None, None, None],
        ["FOLDING STRETCHER", None, None, "medical", "szt", None, None, None, None],
    )

    found = problems_of(check_catalogue, content)

    assert found == {
        (3, "Name in English", "“FOLDING STRETCHER” counted in pcs is on row 2 already."),
    }


def test_hs_codes_kept_as_numbers_get_back_the_leading_zero_excel_dropped(ctx):
    content = catalogue(
        ["Milk powder 1 kg", None, None, "food", "pcs", 40221, None, None, None],
        ["Honey 1 kg", None, None, "food", "pcs", 409000000, None, None, None],
        ["Honey jar", None, None, "food", "pcs", "40900", None, None, None],
    )

    new, problems = check_catalogue(content)

    assert [item.details.hs_code for item in new] == ["040221", "0409000000"]
    # Typed as text, five digits are what the user wrote: not an HS code.
    assert problems == [Problem("Catalogue", 4, "HS code", str(InvalidHsCode("40900")))]


def test_checking_again_before_adding_sees_what_was_added_meanwhile(ctx):
    content = catalogue([*STRETCHER, None, None, None, None])
    assert check_catalogue(content)[1] == []
    add_item(
        details=ItemDetails(name_en="Folding Stretcher", category=Category.MEDICAL, unit=Unit.PCS)
    )

    with pytest.raises(RowsRefused) as refused:
        add_catalogue_items(content)

    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "Name in English")]
    assert len(items_named("Folding stretcher", "Folding Stretcher")) == 1


def test_a_clash_only_the_database_sees_rolls_back_every_row(ctx, monkeypatch):
    add_item(details=ItemDetails(name_en="Camp bed", category=Category.SHELTER, unit=Unit.PCS))
    before = stored_rows(ctx, CatalogueItem)
    # As if another user added "Camp bed" between the check and the commit.
    monkeypatch.setattr(reference, "_existing_items", set)
    content = catalogue(
        [*STRETCHER, None, None, None, None],
        ["Camp bed", None, None, "shelter", "pcs", None, None, None, None],
    )

    with pytest.raises(RowsRefused) as refused:
        add_catalogue_items(content)

    assert refused.value.problems
    assert stored_rows(ctx, CatalogueItem) == before


def test_a_header_row_without_rows_is_a_problem_not_an_empty_success(ctx):
    new, problems = check_catalogue(catalogue())

    assert new == []
    assert problems == [
        Problem("Catalogue", 1, "", "There are no rows under the header row: nothing to import.")
    ]


def test_a_file_without_the_required_columns_is_refused_as_a_whole(ctx):
    content = xlsx([["Name in English", "Category", "HS code"], ["Tent", "shelter", "630622"]])

    with pytest.raises(ImportFileError) as refused:
        check_catalogue(content)

    assert "these columns are missing: Unit" in refused.value.message


def test_a_csv_file_renamed_xlsx_is_refused_as_a_whole(ctx):
    with pytest.raises(ImportFileError) as refused:
        check_catalogue(csv_renamed())

    assert "not an Excel .xlsx workbook but a text file" in refused.value.message


# -- organisations -----------------------------------------------------------------------------


def test_an_organisations_file_reads_countries_cities_and_parts_as_people_write_them(ctx):
    before = count(Organisation)
    content = organisations(
        partner(
            "Caritas Lublin",
            "NGO",
            city="lublin",
            contact=" Anna Nowak ",
            email="Logistics@CARITAS.example",
            phone="+48 81 532 00 00",
            address="ul. Prymasa 1\n20-001 Lublin",
            sender="tak",
            carrier="nie",
            donor="x",
        ),
        partner(
            "Kharkiv Food Bank",
            "громадська організація",
            country="Україна",
            sender="ні",
            recipient="так",
            carrier=0,
            donor=True,
        ),
        partner("Secours Populaire", "ngo", country="France", recipient="1", carrier="N", donor=1),
        partner("Lutsk Hospital No. 1", "Public body", country="ua", city="LUT", recipient="Yes"),
    )

    new, problems = check_organisations(content)

    assert problems == []
    caritas, food_bank, secours, hospital = new
    assert caritas.details.name == "Caritas Lublin"
    assert caritas.details.kind is OrganisationKind.NGO
    assert caritas.details.country == "PL"  # empty: the form's default
    assert caritas.city == "Lublin"
    lublin = db.session.scalar(select(City).filter_by(code="LUB"))
    assert caritas.details.city_id == lublin.id
    assert caritas.details.contact_name == "Anna Nowak"
    assert caritas.details.contact_email == "Logistics@caritas.example"
    assert caritas.parts == ["sender", "donor"]
    assert (food_bank.details.kind, food_bank.details.country) == (OrganisationKind.NGO, "UA")
    assert food_bank.parts == ["recipient", "donor"]
    assert secours.details.country == "FR"
    assert secours.parts == ["recipient", "donor"]
    assert (hospital.details.kind, hospital.details.country) == (OrganisationKind.PUBLIC_BODY, "UA")
    assert hospital.city == "Lutsk"
    assert hospital.parts == ["recipient"]
    assert count(Organisation) == before


def test_adding_the_organisations_stores_every_row(ctx):
    content = organisations(
        partner("Caritas Lublin", "ngo", city="LUB", email="info@caritas.example", donor="yes"),
        partner("Kharkiv Food Bank", "ngo", country="UA", recipient="yes"),
    )

    added = add_organisations(content)

    assert [organisation.name for organisation in added] == ["Caritas Lublin", "Kharkiv Food Bank"]
    db.session.expunge_all()
    caritas = db.session.scalar(select(Organisation).filter_by(name="Caritas Lublin"))
    assert caritas.city.code == "LUB"
    assert caritas.contact_email == "info@caritas.example"
    assert (caritas.is_donor, caritas.is_sender, caritas.is_recipient) == (True, False, False)
    food_bank = db.session.scalar(select(Organisation).filter_by(name="Kharkiv Food Bank"))
    assert (food_bank.country, food_bank.is_recipient, food_bank.city) == ("UA", True, None)


def test_polish_and_ukrainian_organisation_headers_are_understood(ctx):
    polish = organisations(
        ["Bank Żywności w Lublinie", "fundacja", "Polska", "Lublin", "tak", "nie"],
        header=["Nazwa organizacji", "Rodzaj", "Kraj", "Miasto", "Darczyńca", "Przewoźnik"],
    )
    ukrainian = organisations(
        ["Волинський Червоний Хрест", "громадська організація", "Україна", "Lutsk", "так", "ні"],
        header=["Назва організації", "Тип", "Країна", "Місто", "Отримувач", "Перевізник"],
    )

    (bank,), bank_problems = check_organisations(polish)
    (red_cross,), red_cross_problems = check_organisations(ukrainian)

    assert bank_problems == red_cross_problems == []
    assert (bank.details.kind, bank.details.country, bank.city, bank.parts) == (
        OrganisationKind.NGO,
        "PL",
        "Lublin",
        ["donor"],
    )
    assert (red_cross.details.country, red_cross.city, red_cross.parts) == (
        "UA",
        "Lutsk",
        ["recipient"],
    )


def test_each_wrong_organisation_cell_is_named_and_nothing_is_written(ctx):
    before = stored_rows(ctx, Organisation)
    content = organisations(
        partner(None, "ngo", contact="Someone"),
        partner("Guild", "guild"),
        partner("Atlantis Aid", "ngo", country="Atlantis"),
        partner("Nowhere Aid", "ngo", country="XX"),
        partner("Paris Aid", "ngo", country="FR", city="Paris"),
        partner("Mail Aid", "ngo", email="office(at)aid"),
        partner("Maybe Aid", "ngo", sender="maybe"),
        partner("Phone Aid", "ngo", phone="1" * 51),
        partner("Kindless Aid", None),
    )

    found = problems_of(check_organisations, content)

    assert found == {
        (2, "Name", "Enter the organisation's name."),
        (3, "Kind", "guild is not one of the allowed values: " + ALL_KINDS + "."),
        (
            4,
            "Country",
            "Atlantis is not a country: write its two-letter code (PL, UA, FR) or its name in "
            "English, Polish or Ukrainian.",
        ),
        (5, "Country", str(UnknownCountry("XX"))),
        (
            6,
            "City",
            "There is no city Paris in AidTracker: add it under Cities first, or leave the cell "
            "empty.",
        ),
        (7, "E-mail", str(InvalidEmail("office(at)aid"))),
        (8, "Sender", "maybe is not one of the allowed values: yes, no."),
        (9, "Phone", "At most 50 characters; this cell has 51."),
        (10, "Kind", "Enter the kind: " + ALL_KINDS + "."),
    }
    with pytest.raises(RowsRefused):
        add_organisations(content)
    assert stored_rows(ctx, Organisation) == before


def test_organisations_already_there_or_twice_in_the_file_are_refused(ctx):
    content = organisations(
        partner("city of lublin", "municipality"),
        partner("Caritas Lublin", "ngo"),
        partner("CARITAS LUBLIN", "ngo"),
    )

    found = problems_of(check_organisations, content)

    assert found == {
        (2, "Name", str(DuplicateOrganisation("city of lublin"))),
        (4, "Name", "“CARITAS LUBLIN” is on row 3 already."),
    }


def test_a_city_two_countries_share_is_found_by_the_rows_country_or_needs_its_code(ctx):
    db.session.add(City(code="LBN", name="Lublin", country="UA"))
    db.session.commit()
    content = organisations(
        partner("Lublin Aid", "ngo", country="PL", city="Lublin"),
        partner("Other Lublin Aid", "ngo", country="DE", city="Lublin"),
        partner("Coded Aid", "ngo", country="DE", city="lbn"),
    )

    new, problems = check_organisations(content)

    assert [(item.row, item.city) for item in new] == [(2, "Lublin"), (4, "Lublin")]
    assert new[1].details.city_id != new[0].details.city_id
    assert problems == [
        Problem(
            "Partners",
            3,
            "City",
            "Several cities are called Lublin; write the code of the one you mean: LUB, LBN.",
        )
    ]
