"""Partners hear by e-mail, in their language, when their shipments move; a mail server that is
down never stops the change, and without one the outbox keeps every message for the admin."""

import re
from datetime import date

import pytest
from babel.dates import format_date
from flask_babel import force_locale, gettext
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.models import OutboxMessage, Shipment, User
from aidtracker.notifications.models import NotificationEvent
from aidtracker.notifications.service import parse_smtp_url, users_to_notify
from aidtracker.shipments import status
from aidtracker.tracking.service import revoke_token, tracking_url
from tests.conftest import form_fields, log_in, page_text
from tests.notifications.conftest import PASSWORD, free_port

GENERATOR = "LUB-KRR-2023-0002"  # dispatched, declared; donor and carrier Protection Civile
KIT = "LUB-KRR-2023-0003"  # draft; donor the Fundraiser
KRYVYI_RIH = "partner@kryvyirih.example"  # language uk in these tests
COLLEAGUE = "colleague@kryvyirih.example"
PROTECTION_CIVILE = "logistics@protection-civile.example"  # language pl
FUNDRAISER = "donations@fundraiser.example"
LUTSK = "partner@lutsk.example"


def move(client, reference: str, action: str, **changes):
    """Submit the shipment page's form for `action`, as a browser would."""
    fields = form_fields(client.get(f"/shipments/{reference}"))
    data = {key: value for key, value in fields.items() if key.startswith(f"{action}-")}
    assert data, f"{action} is not offered"
    data["action"] = action
    data.update({f"{action}-{name}": value for name, value in changes.items()})
    return client.post(f"/shipments/{reference}/move", data=data)


def hold(client, reference: str = GENERATOR):
    return move(client, reference, "hold_at_customs", note="Recognition code missing")


def shipment(app, reference: str) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def today(app) -> date:
    with app.app_context(), app.test_request_context():
        return status.local_today()


def test_a_customs_hold_reaches_recipient_and_donor_by_smtp_each_in_their_language(
    partners, staff, smtp_server
):
    with partners.test_request_context():
        generator = shipment(partners, GENERATOR)
        link, border = tracking_url(generator, external=True), generator.border_crossing
    assert border

    response = hold(staff)

    assert response.status_code == 302
    assert smtp_server.addresses == {KRYVYI_RIH, COLLEAGUE, PROTECTION_CIVILE}
    day = today(partners)
    for address, language in ((KRYVYI_RIH, "uk"), (COLLEAGUE, "en"), (PROTECTION_CIVILE, "pl")):
        [message] = smtp_server.to(address)
        with partners.test_request_context(), force_locale(language):
            subject = gettext(
                "AidTracker: %(reference)s %(what)s",
                reference=GENERATOR,
                what=gettext("held at customs"),
            )
            where = gettext("Where: %(location)s", location=border)
        assert message["Subject"] == subject
        assert message["From"] == "AidTracker <noreply@localhost>"
        assert message["Content-Language"] == language
        body = message.get_content()
        assert where in body
        assert format_date(day, "long", locale=language) in body
        for other in {"uk", "en", "pl"} - {language}:
            assert format_date(day, "long", locale=other) not in body
    english = smtp_server.to(COLLEAGUE)[0].get_content()
    assert f"Shipment {GENERATOR} from Lublin to Kryvyi Rih is held at customs" in english
    assert "Відправлення" in smtp_server.to(KRYVYI_RIH)[0].get_content()
    assert "Przesyłka" in smtp_server.to(PROTECTION_CIVILE)[0].get_content()
    assert link.startswith("http://localhost/track/")
    assert link in smtp_server.to(KRYVYI_RIH)[0].get_content()
    kept = outbox(partners)
    assert {message.recipient for message in kept} == smtp_server.addresses
    assert all(m.sent_at is not None and m.error is None for m in kept)
    assert {m.event for m in kept} == {NotificationEvent.HELD_AT_CUSTOMS}


def test_partners_of_other_shipments_and_the_city_hear_nothing(partners, staff, smtp_server):
    hold(staff)

    for address in (FUNDRAISER, LUTSK, "staff@lublin.example", "admin@lublin.example"):
        assert smtp_server.to(address) == []


def test_a_user_who_turned_notifications_off_gets_no_mail(partners, smtp_server):
    partner = partners.test_client()
    assert log_in(partner, COLLEAGUE, PASSWORD).status_code == 302
    page = partner.get("/account/notifications")
    assert form_fields(page) == {"enabled": "y"}  # ticked until the user unticks it
    response = partner.post("/account/notifications", data={})  # the box unticked
    assert response.status_code == 302
    assert "You will get no more notification e-mails." in page_text(partner.get(response.location))

    staff = partners.test_client()
    log_in(staff, "staff@lublin.example")
    hold(staff)

    assert smtp_server.to(COLLEAGUE) == []
    assert smtp_server.addresses == {KRYVYI_RIH, PROTECTION_CIVILE}
    assert COLLEAGUE not in {message.recipient for message in outbox(partners)}


def test_notifications_can_be_turned_on_again(partners):
    partner = partners.test_client()
    log_in(partner, COLLEAGUE, PASSWORD)
    partner.post("/account/notifications", data={})
    partner.post("/account/notifications", data={"enabled": "y"})
    with partners.app_context():
        user = db.session.scalar(select(User).filter_by(email=COLLEAGUE))
        assert user.notifications_enabled is True
        assert COLLEAGUE in {
            u.email for u in users_to_notify(shipment(partners, GENERATOR), actor=None)
        }


def test_deactivated_users_get_no_mail(partners, staff, smtp_server):
    with partners.app_context():
        db.session.scalar(select(User).filter_by(email=COLLEAGUE)).active = False
        db.session.commit()

    hold(staff)

    assert smtp_server.to(COLLEAGUE) == []


def test_the_partner_who_confirms_receipt_is_not_told_but_the_donor_is(
    partners, staff, smtp_server
):
    move(staff, GENERATOR, "clear_customs")
    move(staff, GENERATOR, "deliver")
    delivered = {address: len(smtp_server.to(address)) for address in smtp_server.addresses}
    assert delivered == {KRYVYI_RIH: 1, COLLEAGUE: 1, PROTECTION_CIVILE: 1}
    assert "was delivered in Kryvyi Rih" in smtp_server.to(COLLEAGUE)[0].get_content()

    partner = partners.test_client()
    log_in(partner, KRYVYI_RIH)
    form = partner.get(f"/shipments/{GENERATOR}/receipt")
    response = partner.post(f"/shipments/{GENERATOR}/receipt", data=form_fields(form))
    assert response.status_code == 302

    assert len(smtp_server.to(KRYVYI_RIH)) == 1  # only the delivery
    [confirmed] = smtp_server.to(PROTECTION_CIVILE)[1:]
    with partners.test_request_context(), force_locale("pl"):  # Protection Civile reads Polish
        received = gettext("received")
    assert confirmed["Subject"].endswith(received)
    assert "Kryvyi Rih City Council" in confirmed.get_content()
    assert len(smtp_server.to(COLLEAGUE)) == 2


def test_a_revoked_tracking_link_is_left_out(partners, staff, smtp_server):
    with partners.app_context():
        revoke_token(
            shipment(partners, GENERATOR),
            by=db.session.scalar(select(User).filter_by(email="staff@lublin.example")),
        )

    hold(staff)

    body = smtp_server.to(KRYVYI_RIH)[0].get_content()
    assert "/track/" not in body
    assert "tracking page" not in body
    assert f"/shipments/{GENERATOR}" in body


def test_without_a_mail_server_messages_are_kept_in_the_outbox_for_the_admin(partners, staff):
    assert not partners.config.get("SMTP_URL")
    move(staff, KIT, "mark_ready")
    assert outbox(partners) == []  # ready is not news for partners
    move(staff, KIT, "dispatch")

    kept = outbox(partners)
    assert {m.recipient for m in kept} == {FUNDRAISER, KRYVYI_RIH, COLLEAGUE}  # donor, recipient
    [message] = [m for m in kept if m.recipient == FUNDRAISER]
    assert message.state == "kept"
    assert message.sent_at is None
    assert message.error is None
    assert message.event is NotificationEvent.DISPATCHED


def test_the_admin_reads_and_filters_the_outbox(partners, staff):
    move(staff, KIT, "mark_ready")
    move(staff, KIT, "dispatch")
    admin = partners.test_client()
    log_in(admin, "admin@lublin.example")

    listing = page_text(admin.get("/admin/outbox"))
    assert "No mail server is configured" in listing
    subjects = [message.subject for message in outbox(partners)]
    assert subjects
    assert all(subject in listing for subject in subjects)
    assert "Kept" in listing
    filtered = page_text(admin.get("/admin/outbox", query_string={"recipient": "fundraiser"}))
    assert FUNDRAISER in filtered
    assert KRYVYI_RIH not in filtered
    assert "No messages" in page_text(admin.get("/admin/outbox", query_string={"state": "sent"}))

    [message] = [m for m in outbox(partners) if m.recipient == FUNDRAISER]
    shown = page_text(admin.get(f"/admin/outbox/{message.id}"))
    assert f"Shipment {KIT} from Lublin to Kryvyi Rih was dispatched on" in shown
    assert admin.get("/admin/outbox/999999").status_code == 404


@pytest.mark.parametrize("email", ["staff@lublin.example", KRYVYI_RIH])
def test_only_admins_read_the_outbox(partners, email):
    client = partners.test_client()
    log_in(client, email)
    assert client.get("/admin/outbox").status_code == 403


def test_a_mail_server_that_is_down_never_undoes_the_change(partners, staff):
    partners.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there

    response = hold(staff)

    assert response.status_code == 302
    assert "is now held" in page_text(staff.get(response.location))
    with partners.app_context():
        assert shipment(partners, GENERATOR).customs_status.value == "held"
    kept = outbox(partners)
    assert {m.recipient for m in kept} == {KRYVYI_RIH, COLLEAGUE, PROTECTION_CIVILE}
    assert all(m.sent_at is None and "ConnectionRefusedError" in m.error for m in kept)

    admin = partners.test_client()
    log_in(admin, "admin@lublin.example")
    assert "Failed" in page_text(admin.get("/admin/outbox", query_string={"state": "failed"}))
    assert "ConnectionRefusedError" in page_text(admin.get(f"/admin/outbox/{kept[0].id}"))


def test_a_bad_smtp_url_is_recorded_not_raised(partners, staff):
    partners.config["SMTP_URL"] = "http://mail.example"

    assert hold(staff).status_code == 302

    assert all("scheme" in m.error for m in outbox(partners))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, "none", None, None)),
        ("smtps://mail.example", ("mail.example", 465, "ssl", None, None)),
        (
            "smtp+starttls://u%40x:p%3Aw@mail.example",
            ("mail.example", 587, "starttls", "u@x", "p:w"),
        ),
        ("smtp://aid:secret@127.0.0.1:2525", ("127.0.0.1", 2525, "none", "aid", "secret")),
    ],
)
def test_smtp_urls_are_read_with_their_defaults(url, expected):
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.security, server.username, server.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://mail.example:port"])
def test_a_wrong_smtp_url_is_refused(url):
    with pytest.raises(ValueError):  # noqa: PT011  (any ValueError names the problem)
        parse_smtp_url(url)


def test_the_settings_form_needs_its_csrf_token(database_url, tmp_path):
    from aidtracker.demo import load_demo
    from tests.conftest import fresh_app

    with fresh_app(database_url, tmp_path) as app:
        with app.app_context():
            load_demo()
        client = app.test_client()
        page = client.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]
        client.post(
            "/login",
            data={"email": KRYVYI_RIH, "password": "aidtracker-demo", "csrf_token": token},
        )
        assert client.post("/account/notifications", data={}).status_code == 400
        with app.app_context():
            user = db.session.scalar(select(User).filter_by(email=KRYVYI_RIH))
            assert user.notifications_enabled is True


def test_the_outbox_lists_newest_first_a_page_at_a_time(partners, staff):
    hold(staff)
    move(staff, GENERATOR, "release_from_hold")
    move(staff, GENERATOR, "clear_customs")
    move(staff, GENERATOR, "deliver")
    partners.config["PAGE_SIZE"] = 3
    admin = partners.test_client()
    log_in(admin, "admin@lublin.example")

    first = page_text(admin.get("/admin/outbox"))
    second = page_text(admin.get("/admin/outbox", query_string={"page": 2}))

    assert "6 messages" in first
    assert "Page 1 of 2" in first
    by_event = {
        kind: [message.subject for message in outbox(partners) if message.event is kind]
        for kind in (NotificationEvent.DELIVERED, NotificationEvent.HELD_AT_CUSTOMS)
    }
    assert len(by_event[NotificationEvent.DELIVERED]) == 3
    assert all(subject in first for subject in by_event[NotificationEvent.DELIVERED])
    assert not any(subject in first for subject in by_event[NotificationEvent.HELD_AT_CUSTOMS])
    assert all(subject in second for subject in by_event[NotificationEvent.HELD_AT_CUSTOMS])


def test_a_change_made_outside_a_request_is_told_without_links(partners):
    with partners.app_context():
        by = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        status.hold_at_customs(shipment(partners, GENERATOR), by=by, reason="Seal broken")

    kept = outbox(partners)
    assert {m.recipient for m in kept} == {KRYVYI_RIH, COLLEAGUE, PROTECTION_CIVILE}
    assert all("http" not in m.body for m in kept)  # no site address known to a command


def test_a_message_that_cannot_be_written_does_not_undo_the_change(partners, staff, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr("aidtracker.notifications.service.compose", broken)

    assert hold(staff).status_code == 302

    with partners.app_context():
        assert shipment(partners, GENERATOR).customs_status.value == "held"
    assert outbox(partners) == []
