"""Long reports are prepared in the background: the user follows the progress, downloads the file
from whichever server answers, nobody else can, and a failure says why."""

import io
import logging
import os
import re
import time
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.reports import jobs, register, scope
from aidtracker.reports import views as report_views
from aidtracker.reports.models import ExportStatus, ReportExport, parameters_json
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.service import ReportKind
from tests.conftest import fresh_app, log_in, page_text
from tests.reports.helpers import cents, sheet_rows, user

REGISTER_2023 = {
    "report": "register",
    "date_from": "2023-01-01",
    "date_to": "2023-12-31",
    "currency": "PLN",
}
TOKEN_URL = re.compile(r"^/reports/exports/([\w-]+)$")


@pytest.fixture
def app(database_url, tmp_path):
    """Every report, however short, goes to the background."""
    with fresh_app(database_url, tmp_path, WTF_CSRF_ENABLED=False, REPORT_INLINE_LINES=0) as app:
        yield app


@pytest.fixture
def accountant(demo):
    client = demo.test_client()
    assert log_in(client, "accountant@lublin.example").status_code == 302
    return client


def _finished(app, token: str, timeout: float = 10.0) -> ReportExport:
    """Poll the database, as the progress page does, until the export has ended."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            export = db.session.scalar(select(ReportExport).filter_by(token=token))
            if export.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
                db.session.expunge(export)
                return export
        if time.monotonic() > deadline:
            raise AssertionError(f"export {token} still {export.status} after {timeout} s")
        time.sleep(0.05)


def _ask(client, **changes) -> str:
    response = client.post("/reports", data={**REGISTER_2023, **changes})
    assert response.status_code == 302, page_text(response)
    return TOKEN_URL.match(response.location).group(1)


def _download(client, url: str):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _exports_folder(app):
    return os.path.join(app.config["UPLOAD_FOLDER"], "exports")


def test_a_long_report_is_prepared_in_the_background_then_downloaded(demo, accountant):
    token = _ask(accountant)
    export = _finished(demo, token)
    assert (export.status, export.error) == (ExportStatus.DONE, None)
    assert export.lines_done == export.lines_total == 6
    assert export.finished_at is not None

    progress = accountant.get(f"/reports/exports/{token}")
    assert progress.status_code == 200
    html = progress.get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html  # done: it stops reloading
    assert f'href="/reports/exports/{token}/download"' in html
    text = page_text(progress)
    assert "Shipment register" in text
    assert "Ready to download" in text
    assert "PLN" in text

    response = _download(accountant, f"/reports/exports/{token}/download")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=aidtracker-register-2023-01-01_2023-12-31-PLN.xlsx"
    )
    totals = sheet_rows(io.BytesIO(response.data), "Totals")
    assert cents(next(row for row in totals if row[0] == "Total")[3]) == Decimal("177870.00")
    assert os.listdir(_exports_folder(demo)) == [f"{token}.xlsx"]  # no temporary file left

    listed = accountant.get("/reports")
    assert f"/reports/exports/{token}/download" in listed.get_data(as_text=True)
    assert "Nothing prepared in the background yet" not in page_text(listed)


@pytest.mark.parametrize("kind", ["donors", "summary"])
def test_every_period_report_can_be_prepared_in_the_background(demo, accountant, kind):
    token = _ask(accountant, report=kind, hxl="y")
    assert _finished(demo, token).status is ExportStatus.DONE
    response = _download(accountant, f"/reports/exports/{token}/download")
    assert response.headers["Content-Disposition"].endswith(
        f"{kind}-2023-01-01_2023-12-31-PLN.xlsx"
    )
    assert "Parameters" in openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames


def test_up_to_the_threshold_the_file_comes_at_once(demo, accountant):
    demo.config["REPORT_INLINE_LINES"] = 6  # the 2023 register has 6 lines
    response = accountant.post("/reports", data=REGISTER_2023)
    response.close()
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    demo.config["REPORT_INLINE_LINES"] = 5
    assert accountant.post("/reports", data=REGISTER_2023).status_code == 302


def test_only_the_user_who_asked_sees_and_downloads_the_export(demo, accountant):
    token = _ask(accountant)
    _finished(demo, token)
    for email in ("staff@lublin.example", "admin@lublin.example"):
        other = demo.test_client()
        log_in(other, email)
        assert other.get(f"/reports/exports/{token}").status_code == 404
        assert other.get(f"/reports/exports/{token}/download").status_code == 404
        assert token not in other.get("/reports").get_data(as_text=True)
    partner = demo.test_client()
    log_in(partner, "partner@kryvyirih.example")
    assert partner.get(f"/reports/exports/{token}").status_code == 403
    assert accountant.get("/reports/exports/not-a-token").status_code == 404


def test_progress_is_recorded_while_the_rows_are_still_being_read(demo, accountant, monkeypatch):
    # Small batches and a record every two lines, so the 6 lines of 2023 show progress as the
    # rows stream; another connection (another app server) must see each step.
    monkeypatch.setattr(scope, "STREAM_BATCH", 2)
    monkeypatch.setattr(register, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    seen = []
    record = jobs.ProgressRecorder.__call__

    def record_and_look(recorder, lines_done):
        record(recorder, lines_done)
        with db.engine.connect() as elsewhere:
            recorded = elsewhere.scalar(
                select(ReportExport.lines_done).where(ReportExport.id == recorder.export_id)
            )
        seen.append((lines_done, recorded))

    monkeypatch.setattr(jobs.ProgressRecorder, "__call__", record_and_look)
    token = _ask(accountant)
    export = _finished(demo, token)
    assert (export.status, export.error) == (ExportStatus.DONE, None)
    # Each step is visible at once; the last call, after the rows, records nothing new.
    assert seen == [(2, 2), (4, 4), (6, 6), (6, 6)]


def test_a_running_export_reloads_its_page_and_shows_a_progress_bar(demo, accountant):
    with demo.app_context():
        token = _row(
            "accountant@lublin.example", status=ExportStatus.RUNNING, total=40_000, done=12_000
        )
    html = accountant.get(f"/reports/exports/{token}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert re.search(r'<progress id="export-progress"[^>]*max="40000" value="12000"', html)
    assert "12,000 of 40,000 lines written" in page_text_of(html)
    assert "/download" not in html
    assert "<script" not in html


def test_an_export_silent_for_half_an_hour_is_shown_as_failed(demo, accountant):
    with demo.app_context():
        token = _row(
            "accountant@lublin.example",
            status=ExportStatus.RUNNING,
            updated=utcnow() - timedelta(minutes=31),
        )
    response = accountant.get(f"/reports/exports/{token}")
    assert 'http-equiv="refresh"' not in response.get_data(as_text=True)
    text = page_text(response)
    assert "Failed" in text
    assert "the server preparing it was restarted" in text
    assert accountant.get(f"/reports/exports/{token}/download").status_code == 404


def test_a_rate_deleted_after_the_check_fails_the_export_with_its_message(
    demo, accountant, monkeypatch
):
    plan = report_views.plan_export

    def plan_then_lose_a_rate(user, parameters):
        lines = plan(user, parameters)
        db.session.execute(ExchangeRate.__table__.delete().where(ExchangeRate.currency == "EUR"))
        db.session.commit()
        return lines

    monkeypatch.setattr(report_views, "plan_export", plan_then_lose_a_rate)
    token = _ask(accountant)
    export = _finished(demo, token)

    assert export.status is ExportStatus.FAILED
    assert "No exchange rate for EUR on 2023-03-30" in export.error
    text = page_text(accountant.get(f"/reports/exports/{token}"))
    assert "Failed" in text
    assert "No exchange rate for EUR on 2023-03-30" in text
    assert accountant.get(f"/reports/exports/{token}/download").status_code == 404
    assert os.listdir(_exports_folder(demo)) == []  # the half-written file is gone


def test_an_unexpected_error_is_logged_and_the_user_told(demo, accountant, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "export_report", broken)
    with caplog.at_level(logging.ERROR, logger="aidtracker.reports.jobs"):
        token = _ask(accountant)
        export = _finished(demo, token)
    assert export.status is ExportStatus.FAILED
    assert export.error == "The report could not be prepared. The error has been logged."
    assert "disk on fire" not in page_text(accountant.get(f"/reports/exports/{token}"))
    assert any(
        record.exc_info and "disk on fire" in str(record.exc_info[1]) for record in caplog.records
    )


def test_files_older_than_a_day_are_deleted_when_the_next_export_starts(demo, accountant):
    with demo.app_context():
        old = _row(
            "accountant@lublin.example",
            status=ExportStatus.DONE,
            finished=utcnow() - timedelta(hours=25),
        )
        recent = _row("accountant@lublin.example", status=ExportStatus.DONE, finished=utcnow())
    folder = _exports_folder(demo)
    os.makedirs(folder)
    day_and_a_bit = time.time() - 25 * 3600
    for name in (f"{old}.xlsx", ".export-stopped-server.part"):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"PK")
        os.utime(os.path.join(folder, name), (day_and_a_bit, day_and_a_bit))
    with open(os.path.join(folder, f"{recent}.xlsx"), "wb") as handle:
        handle.write(b"PK")
    assert _download(accountant, f"/reports/exports/{old}/download").status_code == 200

    token = _finished(demo, _ask(accountant)).token

    assert sorted(os.listdir(folder)) == sorted([f"{recent}.xlsx", f"{token}.xlsx"])
    with demo.app_context():
        statuses = dict(db.session.execute(select(ReportExport.token, ReportExport.status)).all())
    assert statuses[old] is ExportStatus.EXPIRED
    assert statuses[recent] is ExportStatus.DONE
    assert accountant.get(f"/reports/exports/{old}/download").status_code == 404
    assert "files are kept for 24 hours" in page_text(accountant.get(f"/reports/exports/{old}"))


def _row(email, *, status, total=6, done=0, updated=None, finished=None) -> str:
    """An export row as a server would have left it; returns its token."""
    parameters = ReportParameters(date(2023, 1, 1), date(2023, 12, 31), "PLN")
    export = ReportExport(
        user_id=user(email).id,
        kind=ReportKind.REGISTER,
        parameters=parameters_json(parameters),
        status=status,
        lines_total=total,
        lines_done=done,
        file_name="aidtracker-register-2023-01-01_2023-12-31-PLN.xlsx",
        finished_at=finished,
    )
    db.session.add(export)
    db.session.commit()
    if updated is not None:
        db.session.execute(
            ReportExport.__table__.update()
            .where(ReportExport.__table__.c.id == export.id)
            .values(updated_at=updated)
        )
        db.session.commit()
    return export.token


def page_text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
