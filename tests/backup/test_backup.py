"""An operator backs up the whole installation into one file and restores it on an empty one:
every row and every document comes back, and a wrong or damaged file changes nothing."""

import contextlib
import io
import json
import sqlite3
import tarfile
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from aidtracker import create_app
from aidtracker.demo import load_demo
from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.shipments.documents import attach_document
from aidtracker.shipments.models import DocumentKind, Shipment
from tests.conftest import POSTGRES_URL, fresh_app, scratch_postgres_database

needs_postgres = pytest.mark.skipif(
    POSTGRES_URL is None, reason="set AIDTRACKER_TEST_DATABASE_URL to a PostgreSQL database"
)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
WAITING_IMPORT = "imports/1-AbCdEfGhIjKlMnOpQrStUvWxYz012345.xlsx"
BACKGROUND_REPORT = "exports/report-token.xlsx"


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


@contextlib.contextmanager
def new_server(like: str, tmp_path: Path) -> Iterator:
    """An installation on a new server: AidTracker set up, its database of the same kind as
    `like` created but still without tables, its upload folder empty."""
    with contextlib.ExitStack() as stack:
        if like.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'new.db'}"
        else:
            url = stack.enter_context(scratch_postgres_database("aidtracker_restore"))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret-key",
                "SQLALCHEMY_DATABASE_URI": url,
                "UPLOAD_FOLDER": str(tmp_path / "new" / "documents"),
            },
            instance_path=str(tmp_path / "new" / "instance"),
        )
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def installation_in_use(app) -> None:
    """The demo, a shipment document, a workbook waiting to be imported, a background report."""
    with app.app_context():
        load_demo()
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        attach_document(
            shipment,
            kind=DocumentKind.PACKING_LIST,
            upload=io.BytesIO(PDF),
            filename="packing list.pdf",
            by=None,
        )
    for name, content in ((WAITING_IMPORT, b"PK workbook"), (BACKGROUND_REPORT, b"PK report")):
        path = upload_folder(app) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def every_row(app) -> dict[str, list[tuple]]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


def every_file(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, hidden ones included, by its path there."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def manifest_of(backup: Path) -> dict:
    with tarfile.open(backup) as archive:
        return json.load(archive.extractfile("manifest.json"))


def test_a_backup_restored_on_a_new_server_holds_every_row_and_document(database_url, tmp_path):
    backup = tmp_path / "aidtracker.tar.gz"
    with fresh_app(database_url, tmp_path / "old") as old:
        installation_in_use(old)
        result = run(old, "backup", str(backup))
        assert result.exit_code == 0, result.output
        assert "Backup written to" in result.output
        assert "2 documents" in result.output
        rows, files = every_row(old), every_file(upload_folder(old))

    with new_server(database_url, tmp_path) as new:
        result = run(new, "restore", str(backup))
        assert result.exit_code == 0, result.output
        assert "checksums verified" in result.output
        assert every_row(new) == rows
        del files[BACKGROUND_REPORT]  # background reports are left out of backups
        assert every_file(upload_folder(new)) == files
        # New rows continue the numbering: PostgreSQL's sequences came back too.
        with new.app_context():
            db.session.add(ExchangeRate(currency="EUR", rate_date=date(2030, 1, 2), rate=4))
            db.session.commit()

    assert sum(map(len, rows.values())) > 100
    manifest = manifest_of(backup)
    assert manifest["backend"] == make_url(database_url).get_backend_name()
    assert manifest["documents"]["count"] == 2
    assert backup.stat().st_mode & 0o077 == 0  # it holds password hashes: owner only


def test_restore_refuses_a_database_that_holds_data_unless_forced(demo, tmp_path):
    backup = tmp_path / "before.tar.gz"
    assert run(demo, "backup", str(backup)).exit_code == 0
    with demo.app_context():
        db.session.add(ExchangeRate(currency="EUR", rate_date=date(2030, 1, 2), rate=4))
        db.session.commit()

    result = run(demo, "restore", str(backup))
    assert result.exit_code == 1
    assert "would lose data" in result.output
    assert "shipments 7" in result.output
    assert "--force" in result.output
    with demo.app_context():
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == 6

    result = run(demo, "restore", "--force", str(backup))
    assert result.exit_code == 0, result.output
    with demo.app_context():
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == 5
        assert db.session.scalar(select(func.count(Shipment.id))) == 7


def members(backup: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(backup) as archive:
        return [(member.name, archive.extractfile(member).read()) for member in archive]


def archive_of(path: Path, contents: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in contents:
            member = tarfile.TarInfo(name)
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    return path


def with_manifest(contents: list[tuple[str, bytes]], **changes) -> list[tuple[str, bytes]]:
    *files, (name, manifest) = contents
    return [*files, (name, json.dumps(json.loads(manifest) | changes).encode())]


def damaged_backups(good: Path, folder: Path) -> list[tuple[Path, str]]:
    """Files that are not sound backups, each with the words its refusal must say."""
    contents = members(good)
    database, document, *rest = contents
    not_a_backup = folder / "notes.tar.gz"
    not_a_backup.write_text("Remember to back up.\n")
    truncated = folder / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return [
        (not_a_backup, "is not an AidTracker backup"),
        (truncated, "is damaged"),
        (
            archive_of(folder / "altered.tar.gz", [database, (document[0], b"%PDF-forged"), *rest]),
            "differs from its checksum",
        ),
        (
            archive_of(folder / "escaping.tar.gz", [database, ("documents/../../escaped", PDF)]),
            "is not an AidTracker backup",
        ),
        (
            archive_of(folder / "absolute.tar.gz", [database, (str(folder / "escaped"), PDF)]),
            "is not an AidTracker backup",
        ),
        (
            archive_of(
                folder / "newer.tar.gz", with_manifest(contents, alembic_revision="ffffffffffff")
            ),
            "does not know",
        ),
        (
            archive_of(folder / "format-2.tar.gz", with_manifest(contents, format_version=2)),
            "has backup format 2",
        ),
    ]


def test_a_file_that_is_not_a_sound_backup_is_refused_and_changes_nothing(app, tmp_path):
    """The backup holds a rate and a document; the installation is emptied, then offered
    damaged copies of it: none may bring either back."""
    good = tmp_path / "good.tar.gz"
    document = upload_folder(app) / "0123456789abcdef"
    document.parent.mkdir(parents=True)
    document.write_bytes(PDF)
    with app.app_context():
        rate = ExchangeRate(currency="EUR", rate_date=date(2030, 1, 2), rate=4)
        db.session.add(rate)
        db.session.commit()
        assert run(app, "backup", str(good)).exit_code == 0
        db.session.delete(rate)
        db.session.commit()
    document.unlink()
    folder = tmp_path / "files"
    folder.mkdir()
    before = every_row(app)

    for backup, refusal in damaged_backups(good, folder):
        result = run(app, "restore", str(backup))
        assert result.exit_code == 1, (backup.name, result.output)
        assert refusal in result.output, (backup.name, result.output)
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert every_row(app) == before  # the audit trail holds the rate's creation and deletion
    assert not before["exchange_rates"]
    assert list(upload_folder(app).iterdir()) == []  # no documents, no staging left
    assert not (tmp_path / "escaped").exists()
    assert not (folder / "escaped").exists()

    result = run(app, "restore", str(folder / "missing.tar.gz"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


@needs_postgres
def test_a_backup_is_restored_only_into_the_kind_of_database_it_was_made_from(
    postgres_database, tmp_path
):
    sqlite_url = f"sqlite:///{tmp_path / 'aidtracker.db'}"
    with (
        fresh_app(sqlite_url, tmp_path / "sqlite") as on_sqlite,
        fresh_app(postgres_database, tmp_path / "postgres") as on_postgres,
    ):
        assert run(on_sqlite, "backup", str(tmp_path / "sqlite.tar.gz")).exit_code == 0
        assert run(on_postgres, "backup", str(tmp_path / "postgres.tar.gz")).exit_code == 0

        result = run(on_postgres, "restore", str(tmp_path / "sqlite.tar.gz"))
        assert result.exit_code == 1
        assert "a backup of a SQLite database, and this installation uses PostgreSQL" in (
            result.output
        )
        result = run(on_sqlite, "restore", str(tmp_path / "postgres.tar.gz"))
        assert result.exit_code == 1
        assert "a backup of a PostgreSQL database, and this installation uses SQLite" in (
            result.output
        )


def fake_pg_dump(folder: Path, script: str) -> Path:
    folder.mkdir()
    program = folder / "pg_dump"
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(0o755)
    return folder


@needs_postgres
def test_without_pg_dump_the_backup_says_what_to_install(postgres_database, tmp_path, monkeypatch):
    nothing_installed = tmp_path / "bin"
    nothing_installed.mkdir()
    monkeypatch.setenv("PATH", str(nothing_installed))
    with fresh_app(postgres_database, tmp_path) as app:
        result = run(app, "backup", str(tmp_path / "aidtracker.tar.gz"))
    assert result.exit_code == 1
    assert "pg_dump was not found" in result.output
    assert "postgresql-client" in result.output
    assert not (tmp_path / "aidtracker.tar.gz").exists()


@needs_postgres
def test_a_failing_pg_dump_is_reported_and_the_last_backup_stays(
    postgres_database, tmp_path, monkeypatch
):
    url = make_url(postgres_database).set(password="not on the command line")
    called = tmp_path / "called"
    script = (
        f'echo "$@" > {called}\necho "password: $PGPASSWORD" >> {called}\n'
        'echo "pg_dump: error: aborting because of server version mismatch" >&2\nexit 1\n'
    )
    monkeypatch.setenv("PATH", str(fake_pg_dump(tmp_path / "bin", script)))
    backups = tmp_path / "backups"
    backups.mkdir()
    last_night = backups / "aidtracker.tar.gz"
    last_night.write_bytes(b"last night's backup")
    with fresh_app(url.render_as_string(hide_password=False), tmp_path) as app:
        result = run(app, "backup", str(last_night))
    assert result.exit_code == 1
    assert "pg_dump failed" in result.output
    assert "server version mismatch" in result.output
    assert [path.name for path in backups.iterdir()] == ["aidtracker.tar.gz"]
    assert last_night.read_bytes() == b"last night's backup"
    arguments, password = called.read_text().splitlines()
    assert "not on the command line" not in arguments
    assert "--format=custom" in arguments
    assert password == "password: not on the command line"


def test_a_sqlite_backup_taken_while_the_app_writes_shows_one_moment(tmp_path):
    """Each transaction of the writer adds a EUR and a USD rate for one day: a consistent copy
    holds both or neither, for consecutive days."""
    database = tmp_path / "busy.db"
    backup = tmp_path / "busy.tar.gz"
    committed: list[date] = []
    writing, stop = threading.Event(), threading.Event()

    def write_rates() -> None:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
            day = date(2000, 1, 1)
            while not stop.is_set():
                with connection:
                    for currency in ("EUR", "USD"):
                        connection.execute(
                            "INSERT INTO exchange_rates (currency, rate_date, rate) "
                            "VALUES (?, ?, '4.2')",
                            (currency, day.isoformat()),
                        )
                committed.append(day)
                day += timedelta(days=1)
                writing.set()

    with fresh_app(f"sqlite:///{database}", tmp_path / "busy") as app:
        writer = threading.Thread(target=write_rates)
        writer.start()
        try:
            assert writing.wait(30)
            before = len(committed)
            result = run(app, "backup", str(backup))
            after = len(committed)
        finally:
            stop.set()
            writer.join()
    assert result.exit_code == 0, result.output
    assert after > before  # the writer went on committing while the backup ran

    restored = tmp_path / "restored.db"
    with fresh_app(f"sqlite:///{restored}", tmp_path / "restored") as new:
        result = run(new, "restore", str(backup))
        assert result.exit_code == 0, result.output
    with contextlib.closing(sqlite3.connect(restored)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rates = copy.execute(
            "SELECT rate_date, count(*) FROM exchange_rates GROUP BY rate_date ORDER BY rate_date"
        ).fetchall()
    assert len(rates) >= before
    assert {count for _, count in rates} == {2}
    assert [day for day, _ in rates] == [day.isoformat() for day in committed[: len(rates)]]
