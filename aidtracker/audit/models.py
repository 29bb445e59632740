"""The audit trail: who created, changed, cancelled or deleted which record, when, and how.

Rows are written by ``aidtracker.audit.service`` only, straight through the connection; the
application refuses to change or delete them.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.auth.models import User
from aidtracker.database import enum_column_type, utcnow
from aidtracker.extensions import db


class AuditAction(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    CANCEL = "cancel"
    """A shipment whose status became cancelled."""
    DELETE = "delete"

    @property
    def label(self) -> str:
        return str(AUDIT_ACTION_LABELS[self])


AUDIT_ACTION_LABELS = {
    AuditAction.CREATE: _l("Created"),
    AuditAction.CHANGE: _l("Changed"),
    AuditAction.CANCEL: _l("Cancelled"),
    AuditAction.DELETE: _l("Deleted"),
}


class AuditedEntity(StrEnum):
    """The kinds of record whose every change is kept."""

    SHIPMENT = "shipment"
    SHIPMENT_LINE = "shipment_line"
    DOCUMENT = "document"
    ORGANISATION = "organisation"
    EXCHANGE_RATE = "exchange_rate"
    USER = "user"
    FUND = "fund"
    CASH_DONATION = "cash_donation"

    @property
    def label(self) -> str:
        return str(AUDITED_ENTITY_LABELS[self])


AUDITED_ENTITY_LABELS = {
    AuditedEntity.SHIPMENT: _l("Shipment"),
    AuditedEntity.SHIPMENT_LINE: _l("Shipment line"),
    AuditedEntity.DOCUMENT: _l("Document"),
    AuditedEntity.ORGANISATION: _l("Organisation"),
    AuditedEntity.EXCHANGE_RATE: _l("Exchange rate"),
    AuditedEntity.USER: _l("User"),
    AuditedEntity.FUND: _l("Fund"),
    AuditedEntity.CASH_DONATION: _l("Cash donation"),
}


class AuditEntry(db.Model):
    """One create, change, cancellation or deletion of one record.

    ``before`` and ``after`` hold column values as JSON: every column for a creation (after) or a
    deletion (before), only the columns that changed otherwise. Secrets (password hashes, tracking
    tokens) are never stored: a changed secret shows as changed, not as its value. The acting
    user's e-mail and name are copied, so the trail reads the same after the account changes.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        Index("ix_audit_entries_occurred_at_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    user_email: Mapped[str | None] = mapped_column(String(254))
    user_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[AuditAction] = mapped_column(
        enum_column_type(AuditAction, "audit_action"), index=True
    )
    entity_type: Mapped[AuditedEntity] = mapped_column(
        enum_column_type(AuditedEntity, "audited_entity")
    )
    entity_id: Mapped[int]
    entity_label: Mapped[str] = mapped_column(String(300))
    """How people name the record: a shipment's reference, "LUB-KRR-2023-0001 #2" for its second
    line, an organisation's name, "EUR 2023-03-30" for a rate, a user's e-mail."""
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()
