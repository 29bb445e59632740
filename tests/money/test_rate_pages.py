"""Accountants keep the exchange rates that reports convert with: by hand or from a CSV file."""

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.money.service import rate_book
from tests.conftest import log_in, page_text, post_multipart


@pytest.fixture
def accountant(demo):
    client = demo.test_client()
    log_in(client, "accountant@lublin.example")
    return client


def _rates(app) -> list[tuple[str, date, Decimal]]:
    with app.app_context():
        rows = db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate).order_by(
                ExchangeRate.currency, ExchangeRate.rate_date
            )
        ).all()
        return [tuple(row) for row in rows]


def test_the_accountant_adds_a_rate_and_sees_it_listed(accountant, demo):
    response = accountant.post(
        "/rates/new",
        data={"currency": "uah", "rate_date": "2023-03-29", "rate": "0,1170", "source": "NBP"},
    )
    assert response.status_code == 302
    assert ("UAH", date(2023, 3, 29), Decimal("0.11700000")) in _rates(demo)
    text = page_text(accountant.get("/rates/?currency=UAH"))
    assert "0.1170" in text
    assert "NBP" in text


def test_the_demo_rates_are_listed_newest_first_with_the_rule_in_force(accountant):
    text = page_text(accountant.get("/rates/"))
    assert text.index("4.6700") < text.index("4.6450")
    assert "on or before the shipment's day" in text


def test_editing_a_rate_changes_it(accountant, demo):
    with demo.app_context():
        rate_id = db.session.scalar(select(ExchangeRate.id).filter_by(rate_date=date(2023, 3, 30)))
    response = accountant.post(
        f"/rates/{rate_id}/edit",
        data={"currency": "EUR", "rate_date": "2023-03-30", "rate": "4.6701"},
    )
    assert response.status_code == 302
    assert ("EUR", date(2023, 3, 30), Decimal("4.67010000")) in _rates(demo)


BAD_RATES = [
    ({"currency": "XYZ"}, "XYZ is not an ISO 4217 currency code."),
    ({"currency": "PLN"}, "PLN is the base currency: its rate is always 1."),
    ({"currency": ""}, "Enter the currency code, e.g. EUR."),
    ({"rate": "-4.5"}, "The rate must be more than zero."),
    ({"rate": "0"}, "The rate must be more than zero."),
    ({"rate": ""}, "Enter the rate."),
    ({"rate": "four"}, "Not a valid decimal value."),
    ({"rate": "4.123456789"}, "At most 10 digits before and 8 after the decimal point."),
    ({"rate_date": ""}, "Enter the date of the rate."),
    ({"rate_date": "30/03/2023"}, "Not a valid date value."),
    ({"rate_date": "2023-03-30"}, "A rate for EUR on 2023-03-30 exists already"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_RATES)
def test_a_wrong_rate_is_named_next_to_its_field_and_nothing_is_written(
    accountant, demo, changes, message
):
    before = _rates(demo)
    data = {"currency": "EUR", "rate_date": "2023-04-03", "rate": "4.6800", **changes}
    response = accountant.post("/rates/new", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert _rates(demo) == before


def test_staff_read_rates_but_cannot_change_them(demo):
    client = demo.test_client()
    log_in(client, "staff@lublin.example")
    assert client.get("/rates/").status_code == 200
    assert "Add a rate" not in page_text(client.get("/rates/"))
    assert client.get("/rates/new").status_code == 403
    assert client.post("/rates/import").status_code == 403


def test_partners_do_not_see_rates(demo):
    client = demo.test_client()
    log_in(client, "partner@kryvyirih.example")
    assert client.get("/rates/").status_code == 403


def _import(client, content: bytes | str, name="rates.csv", **fields):
    if isinstance(content, str):
        content = content.encode()
    return post_multipart(client, "/rates/import", {"file": (io.BytesIO(content), name), **fields})


def test_a_csv_of_rates_is_imported_whatever_its_column_order_and_separators(accountant, demo):
    response = _import(
        accountant,
        "kurs;waluta;data\n0,1170;UAH;2023-03-29\n4,3000;USD;2023-03-29\n\n4,6800;EUR;2023-03-27\n",
        source="NBP",
    )
    assert response.status_code == 302
    assert "2 rates added; 0 replaced; 1 unchanged." in page_text(accountant.get(response.location))
    rates = _rates(demo)
    assert ("UAH", date(2023, 3, 29), Decimal("0.11700000")) in rates
    assert ("USD", date(2023, 3, 29), Decimal("4.30000000")) in rates


def test_import_replaces_differing_rates_only_when_asked(accountant, demo):
    _import(accountant, "date,currency,rate\n2023-03-30,EUR,4.6900\n")
    assert ("EUR", date(2023, 3, 30), Decimal("4.67000000")) in _rates(demo)
    _import(accountant, "date,currency,rate\n2023-03-30,EUR,4.6900\n", replace="y")
    assert ("EUR", date(2023, 3, 30), Decimal("4.69000000")) in _rates(demo)


BAD_FILES = [
    ("date,currency,rate\n2023-03-29,UAH,0.117\n2023-13-01,USD,4.3\n", "3 date", "not a date"),
    ("date,currency,rate\n2023-03-29,UAH,0.117\n2023-03-29,XXQ,4.3\n", "3 currency", "XXQ"),
    ("date,currency,rate\n2023-03-29,UAH,-0.117\n", "2 rate", "more than zero"),
    ("date,currency,rate\n2023-03-29,UAH,abc\n", "2 rate", "'abc' is not a number."),
    ("date,currency,rate\n2023-03-29,PLN,1\n", "2 currency", "base currency"),
    ("date,currency,rate\n2023-03-29,UAH,0.117\n2023-03-29,UAH,0.118\n", "3 date", "twice"),
    ("day;value\n2023-03-29;0.117\n", "1 currency", "must name the columns"),
    ("date,currency,rate\n", "", "The file has no rates."),
    ("", "", "The file is empty."),
]


@pytest.mark.parametrize(("content", "where", "message"), BAD_FILES)
def test_a_csv_with_any_wrong_row_imports_nothing_and_lists_the_rows(
    accountant, demo, content, where, message
):
    before = _rates(demo)
    response = _import(accountant, content)
    assert response.status_code == 422
    text = page_text(response)
    assert "Nothing was imported." in text
    assert message in text
    assert where in text
    assert _rates(demo) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file in UTF-8"),
        ("date,currency,rate\n".encode("utf-16"), "not a text file in UTF-8"),
        (b"date,currency,rate\n" + b"2023-03-29,UAH,0.117\n" * 120_000, "larger than 2 MB"),
    ],
)
def test_files_that_are_not_csv_are_refused_with_a_message(accountant, demo, content, message):
    before = _rates(demo)
    response = _import(accountant, content)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _rates(demo) == before


def test_an_import_without_a_file_asks_for_one(accountant):
    response = accountant.post("/rates/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file to import." in page_text(response)


def test_the_rate_book_follows_the_configured_rule(demo):
    with demo.app_context():
        assert rate_book().rate("EUR", date(2023, 3, 30)).rate == Decimal("4.67")
        demo.config["RATE_RULE"] = "previous_day"
        assert rate_book().rate("EUR", date(2023, 3, 30)).rate == Decimal("4.68")
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == 5


@pytest.mark.parametrize("rule", ["on_or_before", "previous_day"])
def test_a_book_for_some_days_holds_what_they_need_and_no_older_history(demo, rule):
    demo.config["RATE_RULE"] = rule
    with demo.app_context():
        whole = rate_book(["EUR"])
        book = rate_book(["EUR"], date(2023, 3, 31), since=date(2023, 3, 27))
        for day in (date(2023, 3, 27), date(2023, 3, 29), date(2023, 3, 30), date(2023, 3, 31)):
            assert book.rate("EUR", day) == whole.rate("EUR", day)
        # The rate of 14 February (the last before 27 March) is the oldest one kept; those of
        # 2022 are not read.
        assert book.missing([("EUR", date(2023, 2, 15))]) == []
        assert [m.on for m in book.missing([("EUR", date(2023, 2, 13))])] == [date(2023, 2, 13)]
        before_any = rate_book(["EUR"], date(2022, 4, 12), since=date(2022, 1, 1))
        assert before_any.rate("EUR", date(2022, 4, 12)).rate == Decimal("4.645")
