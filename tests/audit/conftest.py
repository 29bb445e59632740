"""Reading the trail back in tests."""

from sqlalchemy import select

from aidtracker.audit.models import AuditEntry
from aidtracker.extensions import db


def entries(app, **matching) -> list[AuditEntry]:
    """The entries whose columns equal `matching`, oldest first, detached from the session."""
    with app.app_context():
        found = db.session.scalars(select(AuditEntry).filter_by(**matching).order_by(AuditEntry.id))
        found = list(found)
        db.session.expunge_all()
    return found


def entry_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count(AuditEntry.id)))
