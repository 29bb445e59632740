"""The partner portal: after login a partner sees what comes to it, what it sends, and what
waits for it, and nothing of any other partner."""

import re
from html import unescape

from sqlalchemy import select

from aidtracker.auth.models import Role
from aidtracker.auth.service import create_user
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation
from tests.conftest import log_in

PASSWORD = "a long enough passphrase"


def section(response, key: str) -> str:
    """The visible text of one dashboard section."""
    html = response.get_data(as_text=True)
    start = html.index(f'data-testid="{key}"')
    fragment = html[start : html.index("</section>", start)]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment)))


def test_the_recipient_partner_lands_on_its_incoming_shipments(demo):
    client = demo.test_client()
    response = log_in(client, "partner@kryvyirih.example")
    assert response.location == "/"
    page = client.get("/", follow_redirects=True)
    incoming = section(page, "incoming")
    assert "LUB-KRR-2023-0001" in incoming
    assert "LUB-KRR-2023-0002" in incoming
    assert "LUB-LUT-2023-0001" not in page.get_data(as_text=True)
    assert "Your organisation sends no shipment at the moment." in section(page, "outgoing")


def test_a_sending_partner_sees_its_outgoing_shipments_and_not_its_drafts(demo):
    with demo.app_context():
        lublin = db.session.scalar(select(Organisation).filter_by(name="City of Lublin"))
        create_user(
            email="partner@lublin.example",
            password=PASSWORD,
            role=Role.PARTNER,
            organisation=lublin,
        )
        db.session.commit()
    client = demo.test_client()
    log_in(client, "partner@lublin.example", PASSWORD)
    page = client.get("/dashboard/", follow_redirects=True)
    outgoing = section(page, "outgoing")
    assert "LUB-KRR-2023-0001" in outgoing
    assert "Kryvyi Rih" in outgoing
    assert "LUB-KRR-2023-0003" not in outgoing  # a draft is not on its way
    assert "No shipment is on its way to your organisation." in section(page, "incoming")
