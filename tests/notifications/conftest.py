"""A local mail server that keeps what it receives, and partners' users who may get e-mails."""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from aidtracker.auth.models import Role
from aidtracker.auth.service import create_user
from aidtracker.extensions import db
from aidtracker.models import Organisation, User

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A port nothing listens on once this returns."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """An aiosmtpd handler that keeps each message it is given."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address in item.envelope_to]

    @property
    def addresses(self) -> set[str]:
        return {address for item in self.received for address in item.envelope_to}


@pytest.fixture
def smtp_server(demo):
    """A mail server on 127.0.0.1 that the demo app sends to; yields what arrived."""
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    demo.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield collector
    finally:
        controller.stop()


def add_user(email: str, organisation: str, *, language: str = "en", name: str | None = None):
    """A partner user of the named demo organisation (inside an app context)."""
    return create_user(
        email=email,
        password=PASSWORD,
        role=Role.PARTNER,
        name=name,
        organisation=db.session.scalar(select(Organisation).filter_by(name=organisation)),
        language=language,
    )


@pytest.fixture
def partners(demo):
    """Users around the generator shipment (recipient Kryvyi Rih, donor Protection Civile), and
    partners of other shipments, who must hear nothing of it."""
    with demo.app_context():
        kryvyi_rih = db.session.scalar(select(User).filter_by(email="partner@kryvyirih.example"))
        kryvyi_rih.language = "uk"
        db.session.commit()
        add_user("colleague@kryvyirih.example", "Kryvyi Rih City Council", language="en")
        add_user("logistics@protection-civile.example", "Protection Civile", language="pl")
        add_user("donations@fundraiser.example", "Lublin Residents' Fundraiser")
    return demo
