"""The outbox: every notification the application wrote, whether it was sent or not."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.auth.models import User
from aidtracker.database import enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.shipments.models import Shipment


class NotificationEvent(StrEnum):
    """What happened to a shipment that its partners are told about."""

    DISPATCHED = "dispatched"
    HELD_AT_CUSTOMS = "held_at_customs"
    DELIVERED = "delivered"
    RECEIVED = "received"
    RECEIVED_WITH_DISCREPANCY = "received_with_discrepancy"

    @property
    def label(self) -> str:
        return str(NOTIFICATION_EVENT_LABELS[self])


NOTIFICATION_EVENT_LABELS = {
    NotificationEvent.DISPATCHED: _l("Dispatched"),
    NotificationEvent.HELD_AT_CUSTOMS: _l("Held at customs"),
    NotificationEvent.DELIVERED: _l("Delivered"),
    NotificationEvent.RECEIVED: _l("Receipt confirmed"),
    NotificationEvent.RECEIVED_WITH_DISCREPANCY: _l("Receipt confirmed with discrepancies"),
}


class OutboxMessage(db.Model):
    """One e-mail to one person, kept whether SMTP sent it, failed, or is not configured.

    ``sent_at`` set: the mail server accepted it. ``error`` set: it failed and says why. Neither:
    kept only, because no mail server is configured.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[NotificationEvent] = mapped_column(
        enum_column_type(NotificationEvent, "notification_event")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()
    shipment: Mapped[Shipment | None] = relationship()

    @property
    def state(self) -> str:
        """'sent', 'failed' or 'kept' (no mail server configured)."""
        if self.sent_at is not None:
            return "sent"
        return "failed" if self.error else "kept"
