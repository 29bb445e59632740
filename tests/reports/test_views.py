"""The Reports page and the packing list download: what a user asks for is what the file holds,
and whatever they type, they get a message next to the field rather than an error page."""

import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import Organisation
from aidtracker.reports.models import ReportExport
from tests.conftest import form_fields, log_in, page_text
from tests.reports.helpers import cents, english_rows, sheet_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTER_2023 = {
    "report": "register",
    "date_from": "2023-01-01",
    "date_to": "2023-12-31",
    "currency": "PLN",
}


@pytest.fixture
def accountant(demo):
    client = demo.test_client()
    assert log_in(client, "accountant@lublin.example").status_code == 302
    return client


def _as(demo, email: str):
    client = demo.test_client()
    assert log_in(client, email).status_code == 302
    return client


def _download(client, url: str, data: dict | None = None):
    """POST (or GET) for a file, read it whole and close what the response streamed."""
    response = client.post(url, data=data) if data is not None else client.get(url)
    response.get_data()
    response.close()
    return response


def _workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _total(response) -> Decimal:
    totals = sheet_rows(io.BytesIO(response.data), "Totals")
    return cents(next(row for row in totals if row[0] == "Total")[3])


def test_the_accountant_downloads_the_2023_register_in_pln_from_the_page(demo, accountant):
    page = accountant.get("/reports")
    assert page.status_code == 200
    fields = form_fields(page)
    fields.update(REGISTER_2023)

    response = _download(accountant, "/reports", fields)

    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=aidtracker-register-2023-01-01_2023-12-31-PLN.xlsx"
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    assert _workbook(response).sheetnames == [
        "Shipment register",
        "Subtotals by shipment",
        "Totals",
        "Parameters",
    ]
    assert _total(response) == Decimal("177870.00")
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportExport.id))) == 0  # nothing queued


def test_the_page_proposes_this_year_the_base_currency_and_the_register(accountant):
    fields = form_fields(accountant.get("/reports"))
    year = datetime.now(ZoneInfo("Europe/Warsaw")).year
    assert fields["report"] == "register"
    assert fields["currency"] == "PLN"
    assert (fields["date_from"], fields["date_to"]) == (f"{year}-01-01", f"{year}-12-31")
    assert "hxl" not in fields


def test_currencies_are_the_base_first_then_the_usual_ones_then_any_with_rates(demo, accountant):
    with demo.app_context():
        db.session.add(ExchangeRate(currency="CHF", rate_date=date(2023, 3, 1), rate="4.9800"))
        db.session.commit()
    html = accountant.get("/reports").get_data(as_text=True)
    currency_select = re.search(r'<select[^>]*name="currency".*?</select>', html, re.S).group(0)
    offered = re.findall(r'<option[^>]*value="([^"]*)"', currency_select)
    assert offered == ["PLN", "EUR", "UAH", "USD", "CHF"]


def test_the_hxl_row_is_added_under_the_headings_when_asked(accountant):
    plain = _download(accountant, "/reports", REGISTER_2023)
    tagged = _download(accountant, "/reports", {**REGISTER_2023, "hxl": "y"})
    plain_rows = sheet_rows(io.BytesIO(plain.data), "Shipment register")
    tagged_rows = sheet_rows(io.BytesIO(tagged.data), "Shipment register")
    assert plain_rows[1][0] == "LUB-LUT-2023-0001"
    assert tagged_rows[1][0] == "#meta+id"
    assert "#org+funder+name" in tagged_rows[1]
    assert tagged_rows[2:] == plain_rows[1:]


def test_filters_and_currency_reach_the_file(demo, accountant):
    with demo.app_context():
        protection_civile = db.session.scalar(
            select(Organisation.id).filter_by(name="Protection Civile")
        )
    response = _download(
        accountant,
        "/reports",
        {**REGISTER_2023, "currency": "EUR", "donor": str(protection_civile)},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("-EUR.xlsx")
    assert _total(response) == Decimal("25000.00")  # the generator, in its own currency
    parameters = dict(row[:2] for row in sheet_rows(io.BytesIO(response.data), "Parameters"))
    assert parameters["Donor"] == "Protection Civile"


@pytest.mark.parametrize("kind", ["donors", "summary"])
def test_the_other_period_reports_download_too(accountant, kind):
    response = _download(accountant, "/reports", {**REGISTER_2023, "report": kind})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=aidtracker-{kind}-2023-01-01_2023-12-31-PLN.xlsx"
    )
    assert "Parameters" in _workbook(response).sheetnames


def test_a_missing_rate_is_named_with_each_day_and_no_file_is_made(demo, accountant):
    response = accountant.post("/reports", data={**REGISTER_2023, "currency": "USD"})

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    text = page_text(response)
    assert "No file was made" in text
    for day in ("2023-02-14", "2023-03-27", "2023-03-30"):
        assert f"No exchange rate for USD on {day}" in text
    assert "Go to the exchange rates" in text
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportExport.id))) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_to": "2022-12-31"}, "The end of the period is before its start."),
        ({"currency": "XYZ"}, "Not a valid choice."),
        ({"currency": ""}, "Not a valid choice."),
        ({"donor": "99999"}, "Not a valid choice."),
        ({"donor": "Protection Civile"}, "Not a valid choice."),
        ({"destination": "-3"}, "Not a valid choice."),
        ({"category": "weapons"}, "Not a valid choice."),
        ({"status": "draft"}, "Not a valid choice."),
        ({"report": "payroll"}, "Not a valid choice."),
        ({"date_from": "31/31/2023"}, "Not a valid date value."),
        ({"date_to": "yesterday"}, "Not a valid date value."),
        ({"date_from": ""}, "Enter the first day of the period."),
    ],
)
def test_bad_input_is_answered_next_to_its_field_and_no_file_is_made(
    demo, accountant, changes, message
):
    response = accountant.post("/reports", data={**REGISTER_2023, **changes})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    field = next(iter(changes))
    assert f'id="{field}-error"' in html
    assert message in page_text(response)
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportExport.id))) == 0


def test_a_post_without_its_csrf_token_is_refused(demo):
    client = _as(demo, "accountant@lublin.example")
    demo.config["WTF_CSRF_ENABLED"] = True  # the suite turns it off; browsers have it on
    response = client.post("/reports", data=REGISTER_2023)
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers


@pytest.mark.parametrize("email", ["partner@kryvyirih.example", "partner@lutsk.example"])
def test_partners_may_not_open_reports(demo, email):
    client = _as(demo, email)
    assert client.get("/reports").status_code == 403
    assert client.post("/reports", data=REGISTER_2023).status_code == 403
    assert "Reports" not in page_text(client.get("/shipments/"))


@pytest.mark.parametrize("email", ["staff@lublin.example", "accountant@lublin.example"])
def test_city_roles_find_reports_in_the_menu(demo, email):
    navigation = _as(demo, email).get("/shipments/").get_data(as_text=True)
    assert 'href="/reports"' in navigation


def test_staff_download_a_shipments_packing_list_from_its_page(staff):
    page = staff.get("/shipments/LUB-KRR-2023-0001")
    assert 'href="/shipments/LUB-KRR-2023-0001/packing-list.xlsx"' in page.get_data(as_text=True)
    assert "Packing list (Excel)" in page_text(page)

    response = _download(staff, "/shipments/LUB-KRR-2023-0001/packing-list.xlsx")

    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=aidtracker-packing-list-LUB-KRR-2023-0001.xlsx"
    )
    cells = [cell for row in english_rows(_workbook(response).active) for cell in row]
    assert "Humanitarian aid, not for sale" in cells
    assert "Elastic bandage" in cells


def test_a_partner_downloads_the_packing_list_of_its_own_shipment(demo):
    client = _as(demo, "partner@kryvyirih.example")
    assert "Packing list (Excel)" in page_text(client.get("/shipments/LUB-KRR-2023-0002"))
    response = _download(client, "/shipments/lub-krr-2023-0002/packing-list.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("LUB-KRR-2023-0002.xlsx")
    _workbook(response)


@pytest.mark.parametrize("reference", ["LUB-KRR-2023-0001", "LUB-KRR-2023-0002", "NO-SUCH-0001"])
def test_another_partners_or_an_unknown_shipment_has_no_packing_list(demo, reference):
    client = _as(demo, "partner@lutsk.example")
    response = client.get(f"/shipments/{reference}/packing-list.xlsx")
    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
