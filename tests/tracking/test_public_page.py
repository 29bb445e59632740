"""The public tracking page: route, carrier, statuses and their history, and nothing else."""

import re
import secrets
from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.shipments import status
from aidtracker.shipments.models import Document, DocumentKind, Shipment
from aidtracker.tracking.service import shipment_by_token, tracking_url
from tests.conftest import QueryCounter, log_in, page_text

MEDICAL = "LUB-KRR-2023-0001"
GENERATOR = "LUB-KRR-2023-0002"
DEMO_REFERENCES = [
    "LUB-KRR-2022-0001",
    "LUB-KRR-2022-0002",
    "LUB-LUT-2023-0001",
    MEDICAL,
    GENERATOR,
    "LUB-KRR-2023-0003",
    "LUB-KRR-2023-0004",
]

CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def token_of(app, reference: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Shipment.tracking_token).filter_by(reference=reference))


def public_path(app, reference: str) -> str:
    return f"/track/{token_of(app, reference)}"


def timeline(response) -> list[str]:
    """The entries of the page's timeline, in page order, as text."""
    html = response.get_data(as_text=True)
    entries = re.findall(r'<li class="timeline-event">(.*?)</li>', html, flags=re.S)
    return [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", entry))).strip() for entry in entries
    ]


def test_every_shipment_has_its_own_unguessable_token(demo):
    tokens = [token_of(demo, reference) for reference in DEMO_REFERENCES]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        # token_urlsafe: 6 random bits per character, so 43 characters carry 256 bits.
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert len(token) * 6 >= 128


def test_anybody_with_the_link_sees_route_carrier_statuses_and_history_without_logging_in(demo):
    response = demo.test_client().get(public_path(demo, MEDICAL))
    assert response.status_code == 200
    text = page_text(response)
    assert f"Shipment {MEDICAL}" in text
    assert "Lublin to Kryvyi Rih" in text
    assert "Carrier Lublin Municipal Fleet" in text
    assert "Status Dispatched" in text
    assert "Customs Under inspection" in text
    assert timeline(response) == [
        "Mar 20, 2023 Status: Draft · Lublin",
        "Mar 20, 2023 Customs: Documents pending · Lublin",
        "Mar 24, 2023 Status: Ready · Lublin",
        "Mar 27, 2023 Status: Dispatched · Lublin",
        "Mar 28, 2023 Customs: Declared · Dorohusk–Yahodyn",
        "Mar 28, 2023 Customs: Under inspection · Dorohusk–Yahodyn",
    ]


def test_the_timeline_follows_the_recorded_history_in_order(demo):
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=GENERATOR))
        staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        status.start_inspection(shipment, by=staff, location="Yahodyn")
        expected = [
            f"{event.kind.label}: {event.status_label(event.to_status)}"
            for event in sorted(shipment.events, key=lambda event: (event.occurred_at, event.id))
        ]
    entries = timeline(demo.test_client().get(public_path(demo, GENERATOR)))
    assert [re.sub(r"^\w{3} \d+, \d{4} | · .*$", "", entry) for entry in entries] == expected
    assert entries[-1].endswith("Customs: Under inspection · Yahodyn")


def test_the_page_is_kept_out_of_search_engines_referrers_and_caches(demo):
    response = demo.test_client().get(public_path(demo, MEDICAL))
    html = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_visitor_sees_no_navigation_of_the_application(demo):
    text = page_text(demo.test_client().get(public_path(demo, MEDICAL)))
    for menu_entry in ("Shipments", "Discrepancies", "Catalogue", "Reports", "Log out"):
        assert menu_entry not in text


def _forbidden_texts(shipment: Shipment) -> set[str]:
    """What the public page must never show of `shipment`: its contents, values, donors, the
    people involved, papers and notes (the carrier's name is allowed even when it also gave)."""
    carrier = shipment.carrier.name if shipment.carrier else None
    texts = {
        shipment.sender.name,
        shipment.recipient.name if shipment.recipient else None,
        shipment.driver_name,
        shipment.vehicle_registration,
        shipment.cmr_number,
        shipment.customs_declaration_number,
        shipment.aid_recognition_code,
        shipment.notes,
        "PLN",
        "EUR",
        "zł",
        "€",
    }
    for line in shipment.lines:
        texts |= {line.item.name_en, line.item.name_pl, line.item.name_uk, line.lot}
        texts |= {line.receipt_note, f"{line.value:,.2f}"}
        if line.quantity >= 100:  # shorter numbers occur in any date
            texts |= {f"{line.quantity:,.0f}", f"{line.quantity:.0f}"}
        if line.donor and line.donor.name != carrier:
            texts.add(line.donor.name)
    for event in shipment.events:
        texts.add(event.note)
    for document in shipment.documents:
        texts.add(document.filename)
    for user in db.session.scalars(select(User)):
        texts |= {user.name, user.email}
    return {text for text in texts if text}


def test_no_contents_values_donors_people_documents_or_notes_on_any_demo_shipment(demo):
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=GENERATOR))
        staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        shipment.documents.append(
            Document(
                kind=DocumentKind.DEED_OF_DONATION,
                filename="Deed of donation signed by Jean Dupont.pdf",
                storage_name=secrets.token_hex(16),
                content_type="application/pdf",
                size_bytes=10,
                sha256="0" * 64,
                uploaded_at=datetime.now(UTC),
                uploaded_by=staff,
            )
        )
        shipment.notes = "Call Olena Petrenko before unloading."
        db.session.commit()
        status.hold_at_customs(shipment, by=staff, reason="Inspector Ivan Shevchenko wants a list")
        forbidden = {}
        for reference in DEMO_REFERENCES:
            shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
            forbidden[reference] = _forbidden_texts(shipment)
    assert "Jean Dupont" in str(forbidden[GENERATOR])  # the check below covers documents
    assert "Ivan Shevchenko" in str(forbidden[GENERATOR])  # and notes of the history
    client = demo.test_client()
    for reference, texts in forbidden.items():
        response = client.get(public_path(demo, reference))
        assert response.status_code == 200
        html = unescape(response.get_data(as_text=True))
        shown = sorted(text for text in texts if text in html)
        assert shown == [], (reference, shown)
    held = page_text(client.get(public_path(demo, GENERATOR)))
    assert "Customs Held" in held  # the hold is shown, its reason is not


def test_the_carrier_that_also_gave_the_load_is_named_as_carrier_only(demo):
    text = page_text(demo.test_client().get(public_path(demo, GENERATOR)))
    assert "Carrier Protection Civile" in text
    assert "Diesel generator" not in text
    assert "25,000" not in text


def test_unknown_malformed_renewed_and_revoked_tokens_all_get_the_same_404(demo):
    client = demo.test_client()
    staff = demo.test_client()
    log_in(staff, "staff@lublin.example")
    revoked = public_path(demo, MEDICAL)
    renewed = public_path(demo, GENERATOR)
    assert staff.post(f"/shipments/{MEDICAL}/tracking/revoke").status_code == 302
    assert staff.post(f"/shipments/{GENERATOR}/tracking/renew").status_code == 302
    answers = [
        client.get(path)
        for path in (
            revoked,
            renewed,
            f"/track/{secrets.token_urlsafe(32)}",
            "/track/not-a-token",
            "/track/" + "A" * 43,
            "/no-such-page",
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    # The one difference allowed: the language switcher's CSRF token, signed with the time.
    bodies = {CSRF_TOKEN.sub("", answer.get_data(as_text=True)) for answer in answers}
    assert len(bodies) == 1
    assert MEDICAL not in bodies.pop()


def test_the_lookup_only_knows_current_well_formed_tokens(demo):
    with demo.app_context():
        token = db.session.scalar(select(Shipment.tracking_token).filter_by(reference=MEDICAL))
        assert shipment_by_token(token).reference == MEDICAL
        assert shipment_by_token(token[:-1]) is None
        assert shipment_by_token(token + "x") is None
        assert shipment_by_token("") is None
        assert shipment_by_token("%") is None


def test_tracking_url_uses_the_configured_public_address_outside_a_request(demo):
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=MEDICAL))
        token = shipment.tracking_token
        assert tracking_url(shipment) == f"/track/{token}"
        assert tracking_url(shipment, external=False) == f"/track/{token}"
        demo.config["PUBLIC_URL"] = "https://aid.lublin.example/"
        assert tracking_url(shipment) == f"https://aid.lublin.example/track/{token}"
        with demo.test_request_context(base_url="http://evil.example"):
            # A link that is mailed must not take its host from a request's Host header.
            assert tracking_url(shipment) == f"https://aid.lublin.example/track/{token}"
        shipment.tracking_token = None
        assert tracking_url(shipment) is None


def test_the_public_page_reads_the_shipment_in_a_few_queries(demo):
    path = public_path(demo, MEDICAL)
    client = demo.test_client()
    with demo.app_context(), QueryCounter(db.engine) as counter:
        assert client.get(path).status_code == 200
    assert len(counter) <= 3
