"""What a unit's QR code opens: the unit on the public tracking page, and nothing it holds."""

from decimal import Decimal

from aidtracker.extensions import db
from aidtracker.packing import service
from aidtracker.packing.service import BulkPacking
from aidtracker.tracking.service import revoke_token
from tests.conftest import page_text
from tests.packing.helpers import DRAFT, shipment, user


def packed_token(app) -> str:
    with app.app_context():
        draft = shipment(DRAFT)
        service.pack_line(
            draft,
            BulkPacking(line_id=draft.lines[0].id, per_unit=Decimal(25), pallets=2),
            by=user(),
        )
        return draft.tracking_token


def test_anybody_with_the_label_sees_the_unit_its_route_and_status_but_not_its_contents(demo):
    token = packed_token(demo)
    response = demo.test_client().get(f"/track/{token}/units/3")
    assert response.status_code == 200
    text = page_text(response)
    assert "Box 3/12" in text
    assert f"Shipment {DRAFT}" in text
    assert "Lublin to Kryvyi Rih" in text
    assert "Draft" in text
    assert "Lublin Municipal Fleet" in text  # the carrier
    for secret in ("hygiene", "kg", "25", "Fundraiser", "PLN", "staff@", "Log out"):
        assert secret not in text
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert f'href="/track/{token}"' in response.get_data(as_text=True)


def test_unknown_revoked_or_malformed_links_answer_like_the_tracking_page(demo):
    token = packed_token(demo)
    client = demo.test_client()
    not_found = client.get("/track/" + "x" * 43)
    assert not_found.status_code == 404
    for path in (
        f"/track/{'x' * 43}/units/1",
        f"/track/{token[:-1]}/units/1",
        f"/track/{token}/units/13",
        f"/track/{token}/units/0",
        f"/track/{token}/units/abc",
        f"/track/{token}/units/99999999999999999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert page_text(response) == page_text(not_found)
    with demo.app_context():
        revoke_token(shipment(DRAFT), by=user())
        db.session.commit()
    assert client.get(f"/track/{token}/units/1").status_code == 404
