"""The API shows each user exactly what their shipment pages show, and moves shipments through
the same services as the pages."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.extensions import db
from aidtracker.models import Shipment
from aidtracker.shipments.queries import shipment_by_reference, shipment_page
from tests.api.conftest import ApiClient, token_for
from tests.conftest import add_donated_line, fresh_app, log_in, page_text, partner_of

KRYVYI_RIH = "partner@kryvyirih.example"
LUTSK = "partner@lutsk.example"
FLEET = "dispatch@fleet.example"  # a partner of the demo's carrier, made by the tests


def _what_the_pages_show(app, email: str) -> dict[str, int]:
    """Reference → number of lines, as the shipment list and pages compute them for `email`."""
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=email))
        page = shipment_page(user, 1, 100)
        return {
            shipment.reference: len(
                ShipmentAccess(user, shipment_by_reference(user, shipment.reference)).lines
            )
            for shipment in page.items
        }


def _what_the_api_shows(api) -> dict[str, int]:
    listed = api.get("/api/v1/shipments?per_page=100").json
    return {
        item["reference"]: len(api.get(f"/api/v1/shipments/{item['reference']}").json["lines"])
        for item in listed["items"]
    }


@pytest.mark.parametrize(("partner", "other"), [(KRYVYI_RIH, LUTSK), (LUTSK, KRYVYI_RIH)])
def test_each_partner_sees_through_the_api_exactly_its_pages_and_nothing_of_the_other(
    demo, api_as, partner, other
):
    api = api_as(partner)
    seen = _what_the_api_shows(api)
    assert seen == _what_the_pages_show(demo, partner)
    assert seen  # each demo partner has shipments

    others = set(_what_the_pages_show(demo, other)) - set(seen)
    assert others
    for reference in others:
        assert api.get(f"/api/v1/shipments/{reference}").status_code == 404
        for path in ("events", "receipt"):
            response = api.post(f"/api/v1/shipments/{reference}/{path}", json={})
            assert response.status_code == 404, (reference, path)
            assert response.json["error"]["status"] == 404


def test_the_list_is_the_html_list(demo, api_as):
    browser = demo.test_client()
    log_in(browser, LUTSK)
    text = page_text(browser.get("/shipments/"))
    items = api_as(LUTSK).get("/api/v1/shipments").json["items"]
    assert [item["reference"] for item in items] == ["LUB-LUT-2023-0001"]
    assert "LUB-LUT-2023-0001" in text
    assert "LUB-KRR" not in text


def test_a_carrier_sees_quantities_and_weights_but_no_values(demo):
    partner_of(demo, "Lublin Municipal Fleet", FLEET)
    api = ApiClient(demo, token_for(demo, FLEET))
    shipment = api.get("/api/v1/shipments/LUB-KRR-2023-0001").json
    assert shipment["values_shown"] is False
    assert len(shipment["lines"]) == 3
    for line in shipment["lines"]:
        assert line["unit_value"] is None
        assert line["value"] is None
        assert line["currency"] is None
        assert Decimal(line["quantity"]) > 0
    assert any(Decimal(line["gross_weight_kg"] or 0) == 180 for line in shipment["lines"])
    assert "PLN" not in api.get("/api/v1/shipments/LUB-KRR-2023-0001").get_data(as_text=True)
    assert api.get("/api/v1/shipments/LUB-KRR-2023-0002").status_code == 404  # not its load


def test_a_donor_only_partner_sees_its_own_lines(demo):
    add_donated_line(demo, "LUB-KRR-2023-0001", "Example Textiles Sp. z o.o.")
    partner_of(demo, "Example Textiles Sp. z o.o.", "csr@textiles.example")
    api = ApiClient(demo, token_for(demo, "csr@textiles.example"))
    listed = [item["reference"] for item in api.get("/api/v1/shipments").json["items"]]
    assert listed == ["LUB-KRR-2023-0001", "LUB-KRR-2022-0002"]
    shipment = api.get("/api/v1/shipments/LUB-KRR-2023-0001").json
    assert shipment["all_lines_shown"] is False
    assert [line["item"]["name"] for line in shipment["lines"]] == ["Wool blanket"]
    assert shipment["lines"][0]["value"] == "2250.00"


def test_filters_and_pagination_follow_the_list_page(demo, api_as):
    api = api_as("staff@lublin.example")
    dispatched = api.get("/api/v1/shipments?status=dispatched&sort=reference").json
    assert [item["reference"] for item in dispatched["items"]] == [
        "LUB-KRR-2023-0001",
        "LUB-KRR-2023-0002",
    ]
    page = api.get("/api/v1/shipments?per_page=3&page=3").json
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (3, 3, 7, 3)
    assert len(page["items"]) == 1
    found = api.get("/api/v1/shipments?text=lut-2023").json
    assert [item["reference"] for item in found["items"]] == ["LUB-LUT-2023-0001"]
    assert api.get("/api/v1/shipments?departure_from=2023-03-01").json["total"] == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("status=flying", "status"),
        ("departure_from=yesterday", "departure_from"),
        ("destination_city_id=99999999999", "destination_city_id"),
        ("sort=random", "sort"),
        ("text=a%00b", "text"),
    ],
)
def test_wrong_filters_answer_422_naming_the_field(demo, api_as, query, field):
    response = api_as("staff@lublin.example").get(f"/api/v1/shipments?{query}")
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_errors_are_json_with_their_status_codes(demo, api_as):
    api = api_as("staff@lublin.example")
    url = "/api/v1/shipments/LUB-KRR-2023-0001/events"
    cases = [
        (api.get("/api/v1/nothing-here"), 404),
        (api.get("/api/v1/shipments/LUB-XXX-2023-0001"), 404),
        (api.open("/api/v1/shipments", "DELETE"), 405),
        (api.post(url, data="action=dispatch"), 415),
        (api.post(url, data="{not json", content_type="application/json"), 400),
        (api.post(url, json=["dispatch"]), 422),
        (api.post(url, json={"action": "teleport"}), 422),
        (api.post(url, json={"action": "dispatch"}), 409),
        (api.post(url, json={"action": "hold_at_customs"}), 422),  # a reason is needed
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.json)
        assert response.mimetype == "application/json"
        assert response.json["error"]["status"] == status
        assert response.json["error"]["message"]
    assert cases[2][0].headers["Allow"]
    assert cases[8][0].json["error"]["fields"] == {"note": "Give the reason for this change."}


def test_a_status_change_through_the_api_shows_on_the_shipment(demo, api_as, staff):
    api = api_as("staff@lublin.example")
    response = api.post(
        "/api/v1/shipments/LUB-KRR-2023-0001/events",
        json={"action": "clear_customs", "location": "Yahodyn", "note": "Checked"},
    )
    assert response.status_code == 201
    assert response.json["customs_status"] == "cleared"
    assert response.headers["Location"].endswith("/api/v1/shipments/LUB-KRR-2023-0001")
    shipment = api.get("/api/v1/shipments/LUB-KRR-2023-0001").json
    assert shipment["customs_status"] == "cleared"
    assert shipment["events"][-1]["to_status"] == "cleared"
    assert shipment["events"][-1]["by"] == "Stanisław Staff"
    text = page_text(staff.get("/shipments/LUB-KRR-2023-0001"))
    assert "Under inspection → Cleared · Yahodyn" in text


def test_partners_cannot_move_shipments(demo, api_as):
    response = api_as(KRYVYI_RIH).post(
        "/api/v1/shipments/LUB-KRR-2023-0001/events", json={"action": "clear_customs"}
    )
    assert response.status_code == 403
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0001"))
        assert shipment.customs_status.value == "under_inspection"


def test_the_carrier_reports_where_its_load_is(demo, staff):
    partner_of(demo, "Lublin Municipal Fleet", FLEET)
    api = ApiClient(demo, token_for(demo, FLEET))
    url = "/api/v1/shipments/LUB-KRR-2023-0001/events"
    response = api.post(url, json={"action": "report_location", "location": "Rivne, fuel stop"})
    assert response.status_code == 201
    assert response.json["event"]["kind"] == "location"
    assert response.json["status"] == "dispatched"
    assert "Location: Dispatched · Rivne, fuel stop" in page_text(
        staff.get("/shipments/LUB-KRR-2023-0001")
    )
    assert api.post(url, json={"action": "report_location"}).status_code == 422
    assert api.post(url, json={"action": "deliver"}).status_code == 403
    draft = api.post(
        "/api/v1/shipments/LUB-KRR-2023-0003/events",
        json={"action": "report_location", "location": "Lublin"},
    )
    assert draft.status_code == 409
    recipient = ApiClient(demo, token_for(demo, KRYVYI_RIH))
    assert (
        recipient.post(url, json={"action": "report_location", "location": "x"}).status_code == 403
    )


def _lines(api, reference: str, **overrides) -> list[dict]:
    shipment = api.get(f"/api/v1/shipments/{reference}").json
    return [
        {"line_id": line["id"], "received_quantity": line["quantity"], "condition": "good"}
        | overrides
        for line in shipment["lines"]
    ]


def test_the_recipient_confirms_receipt_through_the_api(demo, api_as, staff):
    city = api_as("staff@lublin.example")
    url = "/api/v1/shipments/LUB-KRR-2023-0001"
    assert city.post(f"{url}/events", json={"action": "clear_customs"}).status_code == 201
    assert city.post(f"{url}/events", json={"action": "deliver"}).status_code == 201

    recipient = api_as(KRYVYI_RIH)
    lines = _lines(recipient, "LUB-KRR-2023-0001")
    incomplete = recipient.post(f"{url}/receipt", json={"lines": lines[:1]})
    assert incomplete.status_code == 422
    wrong = recipient.post(
        f"{url}/receipt", json={"lines": [lines[0] | {"received_quantity": "-1"}, *lines[1:]]}
    )
    assert wrong.status_code == 422
    assert "received_quantity" in wrong.json["error"]["fields"]["lines"][str(lines[0]["line_id"])]

    lines[0]["received_quantity"] = str(Decimal(lines[0]["received_quantity"]) - 1)
    response = recipient.post(f"{url}/receipt", json={"lines": lines, "note": "One box short"})
    assert response.status_code == 201
    assert response.json["status"] == "received_with_discrepancy"
    shipment = recipient.get(url).json
    assert shipment["status"] == "received_with_discrepancy"
    assert shipment["lines"][0]["received_quantity"] == lines[0]["received_quantity"]
    assert "Received with discrepancy" in page_text(staff.get("/shipments/LUB-KRR-2023-0001"))
    again = recipient.post(f"{url}/receipt", json={"lines": lines})
    assert again.status_code == 409


def test_only_the_recipient_or_city_staff_confirm_receipt(demo, api_as):
    partner_of(demo, "Lublin Municipal Fleet", FLEET)
    carrier = ApiClient(demo, token_for(demo, FLEET))
    url = "/api/v1/shipments/LUB-KRR-2023-0001/receipt"
    lines = _lines(carrier, "LUB-KRR-2023-0001")
    assert carrier.post(url, json={"lines": lines}).status_code == 403
    accountant = api_as("accountant@lublin.example")
    assert accountant.post(url, json={"lines": lines}).status_code == 403
    not_yet = api_as(KRYVYI_RIH).post(url, json={"lines": lines})
    assert not_yet.status_code == 409  # dispatched, not delivered


def test_the_api_is_rate_limited_per_token(database_url, tmp_path):
    with fresh_app(database_url, tmp_path, API_RATE_LIMIT="3/minute") as app:
        from aidtracker.demo import load_demo

        with app.app_context():
            load_demo()
        api = ApiClient(app, token_for(app, "staff@lublin.example"))
        statuses = [api.get("/api/v1/shipments").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = api.get("/api/v1/shipments/LUB-KRR-2023-0001")
        assert limited.status_code == 429
        assert limited.json["error"]["status"] == 429
        other = ApiClient(app, token_for(app, LUTSK))
        assert other.get("/api/v1/shipments").status_code == 200
