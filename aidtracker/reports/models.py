"""Reports prepared in the background: what was asked, by whom, and how far the file has got.

The state lives in the database rather than in the process that writes the file, so whichever app
server answers the progress page sees the same progress, and the file sits on the shared instance
storage beside uploaded documents.
"""

import json
import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aidtracker.auth.models import User
from aidtracker.database import enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.service import ReportKind

STALE_AFTER = timedelta(minutes=30)
"""A job that has not moved for this long died with its server: it is shown as failed."""


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return str(EXPORT_STATUS_LABELS[self])


EXPORT_STATUS_LABELS = {
    ExportStatus.QUEUED: _l("Waiting to start"),
    ExportStatus.RUNNING: _l("Being prepared"),
    ExportStatus.DONE: _l("Ready to download"),
    ExportStatus.FAILED: _l("Failed"),
    ExportStatus.EXPIRED: _l("Deleted after 24 hours"),
}


def new_token() -> str:
    """192 random bits: the export's address, which nobody can guess."""
    return secrets.token_urlsafe(24)


def parameters_json(parameters: ReportParameters) -> str:
    return json.dumps(
        {
            "date_from": parameters.date_from.isoformat(),
            "date_to": parameters.date_to.isoformat(),
            "currency": parameters.currency,
            "donor_id": parameters.donor_id,
            "destination_city_id": parameters.destination_city_id,
            "category": parameters.category,
            "status": parameters.status,
            "hxl": parameters.hxl,
        },
        sort_keys=True,
    )


def parameters_from_json(text: str) -> ReportParameters:
    data = json.loads(text)
    return ReportParameters(
        date_from=date.fromisoformat(data["date_from"]),
        date_to=date.fromisoformat(data["date_to"]),
        currency=data["currency"],
        donor_id=data.get("donor_id"),
        destination_city_id=data.get("destination_city_id"),
        category=data.get("category") or "",
        status=data.get("status") or "",
        hxl=bool(data.get("hxl")),
    )


class ReportExport(db.Model):
    """One report a user asked for that was too long to write while they waited."""

    __tablename__ = "report_exports"
    __table_args__ = (
        CheckConstraint("lines_total >= 0", name="lines_total_not_negative"),
        CheckConstraint("lines_done >= 0", name="lines_done_not_negative"),
        Index("ix_report_exports_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ReportKind] = mapped_column(enum_column_type(ReportKind, "report_kind"))
    parameters: Mapped[str] = mapped_column(Text)
    """The ReportParameters as JSON (``parameters_json``)."""
    status: Mapped[ExportStatus] = mapped_column(
        enum_column_type(ExportStatus, "report_export_status"), default=ExportStatus.QUEUED
    )
    lines_total: Mapped[int] = mapped_column(default=0)
    lines_done: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str] = mapped_column(String(200))
    """What the download is called (``aidtracker.reports.service.file_name``)."""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    """The last sign of life: each progress step moves it."""
    finished_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def report_parameters(self) -> ReportParameters:
        return parameters_from_json(self.parameters)

    def is_stale(self, now: datetime) -> bool:
        """Still waiting or running, but silent for too long: its server stopped."""
        return (
            self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
            and now - self.updated_at > STALE_AFTER
        )

    def shown_status(self, now: datetime) -> ExportStatus:
        """The status a user sees: a stale job has failed, whatever its row still says."""
        return ExportStatus.FAILED if self.is_stale(now) else self.status

    def shown_error(self, now: datetime) -> str | None:
        if self.is_stale(now):
            return str(
                _l("The export stopped: the server preparing it was restarted. Start it again.")
            )
        return self.error

    @property
    def percent(self) -> int:
        if self.status is ExportStatus.DONE:
            return 100
        if not self.lines_total:
            return 0
        return min(100, self.lines_done * 100 // self.lines_total)
