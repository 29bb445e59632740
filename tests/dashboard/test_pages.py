"""The dashboard page: each role lands on its own, charts are SVG with their tables, in the
user's language, and empty or odd data never breaks it."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from aidtracker.extensions import db
from aidtracker.generate import generate_data
from aidtracker.parties.models import Organisation
from aidtracker.shipments.models import Shipment
from tests.conftest import QueryCounter, log_in, page_text
from tests.dashboard.helpers import ACCOUNTANT, KRYVYI_RIH, STAFF, shipment, user

SVG = "{http://www.w3.org/2000/svg}"


def svgs(response) -> list[ET.Element]:
    """Every chart of the page, parsed as XML (which fails on anything not well-formed)."""
    html = response.get_data(as_text=True)
    found = re.findall(r"<svg\b.*?</svg>", html, re.S)
    return [ET.fromstring(markup) for markup in found]  # noqa: S314  (our own output)


def texts(svg: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("email", "shown", "not_shown"),
    [
        (
            STAFF,
            ["Needs action now", "On the way", "Deadlines", "close to expiry"],
            ["Value shipped in PLN"],
        ),
        (ACCOUNTANT, ["Value shipped in PLN", "This quarter"], ["Needs action now", "Deadlines"]),
        (KRYVYI_RIH, ["Waiting for you", "Incoming shipments", "Deadlines"], ["Needs action now"]),
        ("admin@lublin.example", ["Needs action now", "Value shipped in PLN"], ["Waiting for you"]),
    ],
)
def test_each_role_lands_on_its_own_dashboard_after_login(demo, email, shown, not_shown):
    client = demo.test_client()
    assert log_in(client, email).location == "/"
    landing = client.get("/")
    assert landing.status_code == 302
    assert landing.location == "/dashboard/"
    text = page_text(client.get("/dashboard/"))
    for heading in shown:
        assert heading in text
    for heading in not_shown:
        assert heading not in text
    assert "Where the aid went" in text


def test_charts_are_well_formed_svg_with_a_title_axes_and_a_table(demo, staff):
    response = staff.get("/dashboard/")
    charts = svgs(response)
    assert len(charts) == 4
    titles = [chart.find(f"{SVG}title").text for chart in charts]
    assert titles == [
        "Value shipped by month, 2023",
        "Shipments by status",
        "Value by destination, 2023",
        "Value by donor, 2023",
    ]
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.find(f"{SVG}desc").text
        assert chart.get("style") is None
        assert not [element for element in chart.iter() if element.get("style") is not None]
    month, status, destination, donor = (texts(chart) for chart in charts)
    assert {"Month", "Value (PLN)", "Jan", "Dec", "Food", "Medical", "Energy"} <= set(month)
    assert {"Shipments", "Status", "Draft", "Dispatched"} <= set(status)
    assert {"Value (PLN)", "Destination", "Kryvyi Rih (UA)", "Lutsk (UA)"} <= set(destination)
    assert {"Value (PLN)", "Donor", "Protection Civile"} <= set(donor)
    html = response.get_data(as_text=True)
    assert html.count("<table") >= 4
    assert html.count("The figures of the chart") == 4
    assert "<script" not in html
    text = page_text(response)
    assert "Total 19,640.00 41,480.00 116,750.00 177,870.00" in text


def test_the_numbers_of_the_status_chart_link_to_the_list(demo, staff):
    html = staff.get("/dashboard/").get_data(as_text=True)
    assert 'href="/shipments/?status=dispatched">Dispatched</a>' in html


def test_names_are_escaped_in_charts_and_tables(demo, staff):
    odd = '<script>x</script> & "Co\'s"'
    with demo.app_context():
        donor = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        donor.name = odd
        db.session.commit()
    response = staff.get("/dashboard/?year=2023")
    html = response.get_data(as_text=True)
    assert "<script>" not in html
    donor_chart = svgs(response)[3]
    assert odd in texts(donor_chart)
    assert odd in page_text(response)


def test_an_installation_without_shipments_shows_empty_states(demo, staff):
    with demo.app_context():
        db.session.execute(delete(Shipment))
        db.session.commit()
    demo.config["TODAY"] = date(2024, 5, 2)
    response = staff.get("/dashboard/")
    assert response.status_code == 200
    assert svgs(response) == []
    text = page_text(response)
    assert "No shipments yet." in text
    assert "No dispatched value to show for 2024." in text
    assert "No deadline in the next 14 days." in text
    assert "No medical line on its way expires within 9 months." in text
    assert "Nothing waits for the city office right now." in text
    accountant = demo.test_client()
    log_in(accountant, ACCOUNTANT)
    text = page_text(accountant.get("/dashboard/"))
    assert "Nothing was dispatched this year yet." in text
    assert "PLN0.00" in text


@pytest.mark.parametrize(
    ("year", "shown"),
    [("2022", "Value shipped by month, 2022"), ("abc", "2023"), ("99999", "2023"), ("", "2023")],
)
def test_the_charts_show_the_year_asked_for_or_the_latest_with_shipments(demo, staff, year, shown):
    response = staff.get(f"/dashboard/?year={year}")
    assert response.status_code == 200
    title = svgs(response)[0].find(f"{SVG}title").text
    assert title.endswith(shown)
    if year == "2022":
        assert "Total 34,400.00 36,000.00 22,500.00 92,900.00" in page_text(response)


def test_charts_speak_the_users_language(demo, staff):
    with demo.app_context():
        user(STAFF).language = "pl"
        db.session.commit()
    response = staff.get("/dashboard/")
    assert '<html lang="pl">' in response.get_data(as_text=True)
    month = texts(svgs(response)[0])
    assert "lut" in month  # luty: February
    assert "mar" in month
    assert "Jan" not in month
    assert "177 870,00" in page_text(response)


def test_the_number_of_statements_does_not_grow_with_the_data(demo, staff):
    demo.config["TODAY"] = date(2023, 6, 1)
    staff.get("/dashboard/")
    with demo.app_context(), QueryCounter(db.engine) as before:
        staff.get("/dashboard/")
    with demo.app_context():
        generate_data(shipments=30, lines_per_shipment=4, seed=2, years=(2023, 2023))
    with demo.app_context(), QueryCounter(db.engine) as after:
        assert staff.get("/dashboard/").status_code == 200
    assert len(after) == len(before)


@pytest.mark.parametrize(
    "query",
    [
        "changed_to=9999-12-31",
        "changed_from=0001-01-01",
        "changed_from=yesterday&changed_to=2023-02-30",
        "status=delivered&changed_to=2023-04-01&page=2",
    ],
)
def test_odd_change_dates_in_the_list_address_never_break_it(demo, staff, query):
    assert staff.get(f"/shipments/?{query}").status_code == 200


def test_the_list_filters_by_the_day_of_the_last_change(demo, staff):
    # LUB-KRR-2023-0001: last change 2023-03-28; LUB-KRR-2023-0002: 2023-03-31.
    text = page_text(staff.get("/shipments/?status=dispatched&changed_to=2023-03-30"))
    assert "LUB-KRR-2023-0001" in text
    assert "LUB-KRR-2023-0002" not in text
    text = page_text(staff.get("/shipments/?status=dispatched&changed_from=2023-03-29"))
    assert "LUB-KRR-2023-0001" not in text
    assert "LUB-KRR-2023-0002" in text
    text = page_text(staff.get("/shipments/?changed_from=2023-03-28&changed_to=2023-03-28"))
    assert "1 shipment" in text


def test_a_draft_never_moved_counts_from_the_day_it_was_entered(demo, staff):
    with demo.app_context():
        draft = shipment("LUB-KRR-2023-0003")
        draft.events.clear()
        db.session.commit()
        created = shipment("LUB-KRR-2023-0003").created_at.date()  # in UTC: a day either side
    since = (created - timedelta(days=1)).isoformat()
    until = (created + timedelta(days=1)).isoformat()
    text = page_text(staff.get(f"/shipments/?status=draft&changed_from={since}"))
    assert "LUB-KRR-2023-0003" in text
    text = page_text(staff.get(f"/shipments/?status=draft&changed_to={until}"))
    assert "LUB-KRR-2023-0003" in text
    text = page_text(staff.get("/shipments/?status=draft&changed_to=2023-01-01"))
    assert "LUB-KRR-2023-0003" not in text


def test_the_dashboard_needs_a_login(client, demo):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
