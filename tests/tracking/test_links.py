"""Staff show, renew and revoke a shipment's tracking link; its QR code on the shipment page."""

import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.entry import ShipmentEntry, create_shipment
from aidtracker.shipments.models import Shipment
from aidtracker.tracking.service import qr_svg
from tests.conftest import log_in, page_text, partner_of

MEDICAL = "LUB-KRR-2023-0001"
LUTSK = "LUB-LUT-2023-0001"
SVG = "{http://www.w3.org/2000/svg}svg"


def shown_link(client, reference: str) -> str | None:
    """The tracking link in the shipment page's read-only field, or None when there is none."""
    html = client.get(f"/shipments/{reference}").get_data(as_text=True)
    match = re.search(r'id="tracking-url" type="text" readonly value="([^"]+)"', html)
    return match.group(1) if match else None


def version_of(app, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Shipment.version).filter_by(reference=reference))


def test_the_shipment_page_shows_the_link_and_its_qr_code(staff, demo):
    link = shown_link(staff, MEDICAL)
    with demo.app_context():
        token = db.session.scalar(select(Shipment.tracking_token).filter_by(reference=MEDICAL))
    assert link == f"http://localhost/track/{token}"
    html = staff.get(f"/shipments/{MEDICAL}").get_data(as_text=True)
    assert f'src="/shipments/{MEDICAL}/tracking/qr.svg"' in html
    assert 'alt="QR code of the tracking link"' in html
    text = page_text(staff.get(f"/shipments/{MEDICAL}"))
    assert "New tracking link" in text
    assert "Turn off tracking link" in text


def test_the_qr_code_is_an_svg_image_of_the_link_without_inline_styles(staff, demo):
    link = shown_link(staff, MEDICAL)
    response = staff.get(f"/shipments/{MEDICAL}/tracking/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    root = ElementTree.fromstring(response.data)  # noqa: S314 (our own response)
    assert root.tag == SVG
    assert int(root.get("width")) == int(root.get("height")) >= 100
    assert not [element for element in root.iter() if "style" in element.attrib]
    assert not root.findall(".//{http://www.w3.org/2000/svg}style")
    with demo.app_context():
        assert response.data == qr_svg(link)


def test_renewing_gives_a_new_link_and_the_old_one_leads_nowhere(staff, demo):
    old = shown_link(staff, MEDICAL)
    version = version_of(demo, MEDICAL)
    response = staff.post(f"/shipments/{MEDICAL}/tracking/renew")
    assert response.status_code == 302
    assert response.location.endswith(f"/shipments/{MEDICAL}#tracking")
    new = shown_link(staff, MEDICAL)
    assert new is not None
    assert new != old
    visitor = demo.test_client()
    assert visitor.get(old).status_code == 404
    assert visitor.get(new).status_code == 200
    # A new link changes nothing that was shipped: a colleague's open edit form stays valid.
    assert version_of(demo, MEDICAL) == version


def test_revoking_turns_the_page_off_until_a_new_link_is_created(staff, demo):
    old = shown_link(staff, MEDICAL)
    response = staff.post(f"/shipments/{MEDICAL}/tracking/revoke", follow_redirects=True)
    assert "Tracking link turned off" in page_text(response)
    assert "This shipment has no tracking link" in page_text(response)
    assert shown_link(staff, MEDICAL) is None
    assert staff.get(f"/shipments/{MEDICAL}/tracking/qr.svg").status_code == 404
    assert demo.test_client().get(old).status_code == 404

    response = staff.post(f"/shipments/{MEDICAL}/tracking/renew", follow_redirects=True)
    assert "Tracking link created." in page_text(response)
    new = shown_link(staff, MEDICAL)
    assert new is not None
    assert new != old
    assert demo.test_client().get(new).status_code == 200


def test_renewing_and_revoking_need_the_csrf_token(staff, demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    old = shown_link(staff, MEDICAL)
    assert staff.post(f"/shipments/{MEDICAL}/tracking/renew").status_code == 400
    assert staff.post(f"/shipments/{MEDICAL}/tracking/revoke").status_code == 400
    assert shown_link(staff, MEDICAL) == old
    html = staff.get(f"/shipments/{MEDICAL}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = staff.post(f"/shipments/{MEDICAL}/tracking/renew", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert shown_link(staff, MEDICAL) != old


@pytest.mark.parametrize("action", ["renew", "revoke"])
def test_a_partner_of_another_organisation_finds_no_such_shipment(demo, action):
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    assert client.post(f"/shipments/{MEDICAL}/tracking/{action}").status_code == 404
    assert client.get(f"/shipments/{MEDICAL}/tracking/qr.svg").status_code == 404


def test_a_partner_sees_the_link_of_its_own_shipment_but_cannot_change_it(demo):
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    link = shown_link(client, LUTSK)
    assert link is not None
    assert client.get(f"/shipments/{LUTSK}/tracking/qr.svg").status_code == 200
    text = page_text(client.get(f"/shipments/{LUTSK}"))
    assert "New tracking link" not in text
    assert "Turn off tracking link" not in text
    assert client.post(f"/shipments/{LUTSK}/tracking/renew").status_code == 403
    assert client.post(f"/shipments/{LUTSK}/tracking/revoke").status_code == 403
    assert shown_link(client, LUTSK) == link


def test_a_carrier_partner_sees_the_link_of_the_load_it_carries(demo):
    partner_of(demo, "Lublin Municipal Fleet", "dispatch@fleet.example")
    client = demo.test_client()
    log_in(client, "dispatch@fleet.example", "partner password 1")
    assert shown_link(client, MEDICAL) is not None
    assert client.get("/shipments/LUB-KRR-2023-0002/tracking/qr.svg").status_code == 404


def test_the_accountant_sees_the_link_but_cannot_change_it(demo):
    client = demo.test_client()
    log_in(client, "accountant@lublin.example")
    link = shown_link(client, MEDICAL)
    assert link is not None
    assert client.post(f"/shipments/{MEDICAL}/tracking/renew").status_code == 403
    assert shown_link(client, MEDICAL) == link


def test_visitors_must_log_in_to_change_a_link(demo):
    client = demo.test_client()
    response = client.post(f"/shipments/{MEDICAL}/tracking/revoke")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert client.get(f"/shipments/{MEDICAL}/tracking/qr.svg").location.startswith("/login")


def test_a_new_shipment_gets_a_tracking_link_when_it_is_entered(staff, demo):
    with demo.app_context():
        lublin = db.session.scalar(select(City).filter_by(code="LUB"))
        lutsk = db.session.scalar(select(City).filter_by(code="LUT"))
        sender = db.session.scalar(select(Organisation).filter_by(name="City of Lublin"))
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        shipment = create_shipment(
            ShipmentEntry(origin_city=lublin, destination_city=lutsk, sender=sender), by=user
        )
        reference, token = shipment.reference, shipment.tracking_token
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert shown_link(staff, reference).endswith(f"/track/{token}")
