"""Writing a report now, or in the background when it is long, and keeping its file for a day.

A report of up to ``REPORT_INLINE_LINES`` lines is written while the user waits. A longer one is
written by a thread of the app server that received the request, into
``<UPLOAD_FOLDER>/exports/<token>.xlsx``; its state is a ``ReportExport`` row, so that any app
server answers the progress page and the download (the instance storage is shared, as for uploaded
documents). Files are deleted after 24 hours, when the next export starts.

Threads, not a task queue: an export is one sequential write that needs nothing but the database
and the shared folder, and a server that stops mid-way leaves a job whose silence marks it failed.
"""

import contextlib
import io
import logging
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from aidtracker.auth.models import User
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.reports.models import ExportStatus, ReportExport, parameters_json
from aidtracker.reports.scope import ReportParameters, count_lines, valuation_needs
from aidtracker.reports.service import ReportKind, export_report, file_name
from aidtracker.reports.valuation import ExportRefused, Valuation

logger = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEEP_FILES_FOR = timedelta(hours=24)
PROGRESS_EVERY = 1_000
"""Lines between two progress records: one small commit per thousand lines written."""
RECENT_EXPORTS = 10
THREAD_PREFIX = "report-export-"
"""Names the threads that write exports, so that a stopping process can wait for them."""


def plan_export(user: User, parameters: ReportParameters) -> int:
    """Check every exchange rate the report needs, then count its lines.

    Raises ExportRefused naming each missing rate, before any file exists.
    """
    Valuation.checked(parameters.currency, valuation_needs(user, parameters))
    return count_lines(user, parameters)


def write_now(kind: ReportKind, user: User, parameters: ReportParameters) -> io.BytesIO:
    """The report as an in-memory file, ready to send; raises ExportRefused."""
    buffer = io.BytesIO()
    export_report(kind, buffer, user, parameters)
    buffer.seek(0)
    return buffer


def exports_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "exports"


def export_path(export: ReportExport) -> Path:
    return exports_folder() / f"{export.token}.xlsx"


def start_export(
    kind: ReportKind, user: User, parameters: ReportParameters, lines_total: int
) -> ReportExport:
    """Record the export and start writing it in a background thread; returns at once.

    Files of earlier exports older than a day are deleted first.
    """
    remove_expired_exports()
    export = ReportExport(
        user_id=user.id,
        kind=kind,
        parameters=parameters_json(parameters),
        status=ExportStatus.QUEUED,
        lines_total=lines_total,
        lines_done=0,
        file_name=file_name(kind, parameters),
    )
    db.session.add(export)
    db.session.commit()
    app = current_app._get_current_object()  # the thread outlives this request
    threading.Thread(
        target=run_export,
        args=(app, export.id),
        name=f"{THREAD_PREFIX}{export.id}",
        daemon=True,
    ).start()
    return export


def wait_for_exports(timeout: float) -> None:
    """Wait, up to `timeout` seconds in all, for the exports this process is writing to end: a
    server worker about to stop, or a test about to empty its database."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith(THREAD_PREFIX):
            thread.join(max(0.0, deadline - time.monotonic()))


def run_export(app: Flask, export_id: int) -> None:
    """Write export `export_id` to its file and record how it ended (the thread's body)."""
    with app.app_context():
        try:
            _run(export_id)
        except Exception:
            # The job could not even be recorded as failed (the database went away): its
            # silence marks it failed after STALE_AFTER.
            logger.exception("report export %s could not be run", export_id)
        finally:
            db.session.remove()


def _run(export_id: int) -> None:
    export = db.session.get(ReportExport, export_id)
    if export is None or export.status is not ExportStatus.QUEUED:
        return
    user = db.session.get(User, export.user_id)
    export.status = ExportStatus.RUNNING
    db.session.commit()
    language = user.language if user else current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        with force_locale(language):
            _write_file(export, export.kind, user, export.report_parameters)
    except ExportRefused as refused:
        _finish(export_id, ExportStatus.FAILED, error=" ".join(refused.messages))
    except Exception:
        logger.exception("report export %s failed", export_id)
        with force_locale(language):
            message = _("The report could not be prepared. The error has been logged.")
        _finish(export_id, ExportStatus.FAILED, error=message)
    else:
        _finish(export_id, ExportStatus.DONE)


def _write_file(
    export: ReportExport, kind: ReportKind, user: User, parameters: ReportParameters
) -> None:
    """Write into a temporary name and rename it once complete, so that a half-written file is
    never served, whatever happens to the server meanwhile."""
    target = export_path(export)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            export_report(kind, handle, user, parameters, ProgressRecorder(export.id))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class ProgressRecorder:
    """The progress callback of a background export: records the lines written so far, at most
    once per ``PROGRESS_EVERY`` lines, and with it a sign of life (``updated_at``)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.recorded = 0

    def __call__(self, lines_done: int) -> None:
        if lines_done - self.recorded < PROGRESS_EVERY:
            return
        self.recorded = lines_done
        statement = (
            update(ReportExport)
            .where(ReportExport.id == self.export_id)
            .values(lines_done=lines_done, updated_at=utcnow())
        )
        if db.engine.dialect.name == "sqlite":
            # SQLite: the report's rows are still being read, and that open read keeps every
            # other connection from committing until it ends. The reading connection itself
            # may commit, and its read goes on.
            connection = db.session.connection()
            connection.execute(statement)
            connection.connection.driver_connection.commit()
        else:
            # PostgreSQL reads the rows through a server-side cursor that committing the
            # report's own transaction would close: progress goes in a short one beside it.
            with db.engine.begin() as connection:
                connection.execute(statement)


def _finish(export_id: int, status: ExportStatus, error: str | None = None) -> None:
    db.session.rollback()
    export = db.session.get(ReportExport, export_id)
    export.status = status
    export.error = error
    export.finished_at = utcnow()
    if status is ExportStatus.DONE:
        export.lines_done = export.lines_total
    db.session.commit()


def export_of(user: User, token: str) -> ReportExport | None:
    """The export `token` if `user` asked for it; anybody else's is not found."""
    return db.session.scalar(
        select(ReportExport).where(ReportExport.token == token, ReportExport.user_id == user.id)
    )


def recent_exports(user: User, limit: int = RECENT_EXPORTS) -> list[ReportExport]:
    return list(
        db.session.scalars(
            select(ReportExport)
            .where(ReportExport.user_id == user.id)
            .order_by(ReportExport.created_at.desc(), ReportExport.id.desc())
            .limit(limit)
        )
    )


def downloadable_file(export: ReportExport) -> Path | None:
    """The finished file of `export`, or None when it is not ready or was deleted."""
    if export.status is not ExportStatus.DONE:
        return None
    path = export_path(export)
    return path if path.is_file() else None


def remove_expired_exports(now: datetime | None = None) -> int:
    """Delete export files older than a day (half-written ones of stopped servers too) and mark
    their rows expired; returns how many rows were marked."""
    now = now or utcnow()
    cutoff = now - KEEP_FILES_FOR
    folder = exports_folder()
    if folder.is_dir():
        for path in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                    path.unlink()
    expired = db.session.scalars(
        select(ReportExport).where(
            ReportExport.status == ExportStatus.DONE, ReportExport.finished_at < cutoff
        )
    ).all()
    for export in expired:
        with contextlib.suppress(FileNotFoundError):
            export_path(export).unlink()
        export.status = ExportStatus.EXPIRED
    db.session.commit()
    return len(expired)
