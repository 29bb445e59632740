"""Backing up an installation into one file, and restoring it: the database and the documents.

A backup is a gzip-compressed tar archive holding, in this order:

- the database: ``database.sqlite3``, a copy made with SQLite's online backup API, or
  ``database.pgdump``, the output of ``pg_dump --format=custom``;
- ``documents/…``: the files of the upload folder (``UPLOAD_FOLDER``): shipment documents and
  workbooks waiting between an import's check and the import itself;
- ``manifest.json``: the format, AidTracker's version, the database's Alembic revision, the
  backend, when the backup was made, and the size and SHA-256 of every other member.

The manifest comes last, so each document is read once and hashed as it is archived. A restore
learns the backend from the first member's name, unpacks everything into a staging folder and
checks it against the manifest before it changes anything.

Both database copies are consistent while the app runs: SQLite's backup copies every page in one
read transaction (in WAL mode the app's writers do not wait for it), and pg_dump reads one
snapshot. The database is copied before the documents: a document's file is written before its row
and removed after it, so every file a copied row names is still there when the folder is read,
unless it was removed in between (the summary names those).
"""

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL

from aidtracker.extensions import db

FORMAT = "aidtracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DOCUMENTS = "documents"
NOT_ARCHIVED = {"exports"}
"""Folders of the upload folder left out. ``exports/`` holds reports written in the background:
derived from the database, deleted after a day, and asked for again at will (a job whose file is
gone offers no download); archived, they would only make each nightly backup larger."""
COMPRESSION_LEVEL = 6
"""gzip's own default: a database compresses nearly as well as at level 9 in under half the
time; documents (PDFs, photos) and pg_dump's output are compressed already."""
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot be made; the message tells the operator why and what to do."""


@dataclass(frozen=True)
class Entry:
    """One file of the archive: its path there, size and SHA-256."""

    path: str
    size: int
    sha256: str

    def as_json(self) -> dict:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    """What a backup holds and where it came from (``manifest.json``)."""

    aidtracker_version: str
    alembic_revision: str | None
    backend: str
    created_at: str
    database: Entry
    documents: list[Entry]

    @property
    def documents_size(self) -> int:
        return sum(entry.size for entry in self.documents)

    @property
    def entries(self) -> list[Entry]:
        return [self.database, *self.documents]

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "aidtracker_version": self.aidtracker_version,
                "alembic_revision": self.alembic_revision,
                "backend": self.backend,
                "created_at": self.created_at,
                "database": self.database.as_json(),
                "documents": {
                    "count": len(self.documents),
                    "size": self.documents_size,
                    "files": [entry.as_json() for entry in self.documents],
                },
            },
            indent=1,
        ).encode()

    @classmethod
    def from_json(cls, content: bytes, archive: Path) -> "Manifest":
        """Read a manifest; raises BackupError when it is not one this version understands."""
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(f"{archive} is not an AidTracker backup: its manifest is not one.")
        format_version = data.get("format_version")
        if format_version != FORMAT_VERSION:
            raise BackupError(
                f"{archive} has backup format {format_version!r}, made by AidTracker "
                f"{data.get('aidtracker_version')}; this AidTracker ({version('aidtracker')}) "
                f"reads format {FORMAT_VERSION}: restore it with that version or a later one."
            )
        try:
            documents = data["documents"]["files"]
            manifest = cls(
                aidtracker_version=str(data["aidtracker_version"]),
                alembic_revision=data["alembic_revision"],
                backend=data["backend"],
                created_at=str(data["created_at"]),
                database=_entry(data["database"]),
                documents=[_entry(item) for item in documents],
            )
        except (KeyError, TypeError, ValueError):
            raise BackupError(f"{archive} is damaged: its manifest is incomplete.") from None
        if manifest.backend not in DATABASE_MEMBERS or not isinstance(
            manifest.alembic_revision, str | None
        ):
            raise BackupError(f"{archive} is damaged: its manifest is incomplete.")
        return manifest


def _entry(data: dict) -> Entry:
    entry = Entry(path=data["path"], size=data["size"], sha256=data["sha256"])
    if not (isinstance(entry.path, str) and isinstance(entry.size, int)):
        raise ValueError(entry)
    if not (isinstance(entry.sha256, str) and len(entry.sha256) == 64):
        raise ValueError(entry)
    return entry


@dataclass(frozen=True)
class Backup:
    """A backup just written: its manifest, its size, and the documents removed meanwhile."""

    manifest: Manifest
    size: int
    vanished: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Restored:
    """A backup just restored; `needs_upgrade` when its database is older than this AidTracker."""

    manifest: Manifest
    needs_upgrade: bool


def database_backend() -> str:
    """The configured database's kind, "sqlite" or "postgresql"; raises BackupError otherwise."""
    backend = db.engine.dialect.name
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"AidTracker cannot back up or restore a {backend} database.")
    return backend


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def back_up(target: Path) -> Backup:
    """Write the database and the documents to `target`, replacing any file there.

    The archive is written beside `target` under a temporary name and renamed once complete, so
    a failed backup leaves no file and an earlier one stays as it was. It is readable by its owner
    only: it holds everything, password hashes included. Raises BackupError.
    """
    backend = database_backend()
    folder = upload_folder()
    directory = target.parent
    if not directory.is_dir():
        raise BackupError(f"Cannot write {target}: there is no folder {directory}.")
    if target.resolve().is_relative_to(folder.resolve()):
        raise BackupError(f"Write the backup outside the upload folder {folder}.")
    sqlite_file = _sqlite_path() if backend == "sqlite" else None
    if sqlite_file is not None and not Path(sqlite_file).is_file():
        raise BackupError(f"There is no SQLite database at {sqlite_file}.")
    revision = _alembic_revision()
    try:
        work = tempfile.TemporaryDirectory(dir=directory, prefix=f".{target.name}.")
    except OSError as error:
        raise BackupError(f"Cannot write {target}: {error.strerror}.") from None
    with work:
        copy = Path(work.name) / DATABASE_MEMBERS[backend]
        if sqlite_file is not None:
            _copy_sqlite(sqlite_file, copy)
        else:
            _run_client_tool("pg_dump", "--format=custom", f"--file={copy}")
        try:
            with (
                _replacing(target) as handle,
                tarfile.open(
                    fileobj=handle, mode="w:gz", compresslevel=COMPRESSION_LEVEL
                ) as archive,
            ):
                database = _add_file(archive, copy.name, copy)
                documents, vanished = _add_documents(archive, folder)
                manifest = Manifest(
                    aidtracker_version=version("aidtracker"),
                    alembic_revision=revision,
                    backend=backend,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    database=database,
                    documents=documents,
                )
                _add_bytes(archive, MANIFEST, manifest.to_json())
        except OSError as error:
            raise BackupError(f"Cannot write {target}: {error.strerror or error}.") from None
    return Backup(manifest=manifest, size=target.stat().st_size, vanished=vanished)


def restore(archive: Path, *, force: bool = False) -> Restored:
    """Replace the database and add the documents with those of the backup `archive`.

    Everything is unpacked and checked first (paths, sizes, checksums, backend, the database
    itself); a database that holds data, or documents that would be overwritten, are refused
    unless `force`. Documents of the upload folder that the backup lacks are kept. Raises
    BackupError, having changed nothing unless the message says otherwise.
    """
    backend = database_backend()
    folder = upload_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Inside the upload folder, so documents are moved into place by renaming them; the dot
        # keeps a concurrent backup out of it.
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".restore-"))
    except OSError as error:
        raise BackupError(f"Cannot use the upload folder {folder}: {error.strerror}.") from None
    try:
        manifest = _unpack(archive, staging, backend)
        known, latest = _revision_status(manifest.alembic_revision)
        if not known:
            raise BackupError(
                f"{archive} was made by AidTracker {manifest.aidtracker_version}, whose database "
                f"(revision {manifest.alembic_revision}) this AidTracker "
                f"({version('aidtracker')}) does not know: install that version or a later one "
                "to restore it."
            )
        database = staging / manifest.database.path
        _check_database(backend, database, archive)
        if not force:
            _refuse_to_overwrite(manifest, folder, archive)
        db.session.remove()
        db.engine.dispose()  # nothing of this process holds the database while it is replaced
        if backend == "sqlite":
            _restore_sqlite(database, _sqlite_path())
        else:
            _run_client_tool(
                "pg_restore",
                "--clean",
                "--if-exists",
                # A new server's database belongs to whoever the URL names; the old server's
                # owners and grants may not exist there.
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                str(database),
            )
        db.engine.dispose()
        _place_documents(manifest, staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(manifest=manifest, needs_upgrade=not latest)


# The database


def _sqlite_path() -> str:
    path = db.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupError("AidTracker backs up and restores SQLite databases kept in a file.")
    return path


def _alembic_revision() -> str | None:
    """The migration the database is at; None when it was created without Alembic."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _revision_status(revision: str | None) -> tuple[bool, bool]:
    """(whether this AidTracker knows `revision`, whether it is its latest)."""
    if revision is None:
        return True, True
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        scripts.get_revision(revision)
    except CommandError:
        return False, False
    return True, revision in scripts.get_heads()


def _copy_sqlite(source: str, copy: Path) -> None:
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as reader,
            contextlib.closing(sqlite3.connect(copy)) as writer,
        ):
            # All pages in one step, so in one read transaction: the copy shows one moment.
            # Copied in several steps, every commit of the app would start the copy again.
            reader.backup(writer)
            writer.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as error:
        raise BackupError(f"Cannot copy the SQLite database {source}: {error}.") from None


def _check_database(backend: str, database: Path, archive: Path) -> None:
    """Refuse a database copy that SQLite or pg_restore cannot read, before anything changes."""
    if backend == "postgresql":
        _run_client_tool("pg_restore", "--list", str(database), connect=False)
        return
    try:
        with contextlib.closing(sqlite3.connect(database)) as copy:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise BackupError(f"{archive} is damaged: its database fails SQLite's check: {problems[0]}")


def _restore_sqlite(copy: Path, target: str) -> None:
    try:
        with (
            contextlib.closing(sqlite3.connect(copy)) as reader,
            contextlib.closing(sqlite3.connect(target, timeout=30)) as writer,
        ):
            reader.backup(writer)
    except sqlite3.Error as error:
        raise BackupError(
            f"Cannot restore into the SQLite database {target}: {error}. Stop AidTracker and "
            "run the restore again."
        ) from None


def _rows_per_table() -> dict[str, int]:
    """How many rows each of AidTracker's tables holds, for those that hold any."""
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name in present
        }
    return {name: count for name, count in counts.items() if count}


def _libpq_address() -> tuple[str, dict[str, str]]:
    """The configured database as a libpq URI without its password, and the environment that
    gives the password to pg_dump and pg_restore (never on a command line, which `ps` shows)."""
    url: URL = db.engine.url
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    address = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return address.render_as_string(hide_password=False), environment


def _run_client_tool(tool: str, *arguments: str, connect: bool = True) -> None:
    """Run pg_dump or pg_restore; raises BackupError with its own words when it fails."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} was not found: install PostgreSQL's client tools (on Debian and Ubuntu, "
            "the package postgresql-client, of the server's major version or later)."
        )
    command = [program, *arguments]
    environment = None
    if connect:
        address, environment = _libpq_address()
        # Never wait for a password prompt: a scheduled backup has nobody to answer it.
        command += ["--no-password", f"--dbname={address}"]
    try:
        finished = subprocess.run(  # noqa: S603  (a found program, no shell, our own arguments)
            command,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise BackupError(f"Cannot run {program}: {error.strerror}.") from None
    if finished.returncode != 0:
        said = [line.strip() for line in finished.stderr.splitlines() if line.strip()]
        reason = "\n".join(said[-5:]) or f"exit status {finished.returncode}"
        raise BackupError(f"{tool} failed:\n{reason}")


# The archive


class _Hashing:
    """A file being read, hashed on the way."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
    """A new file beside `target`, renamed over it only when the block succeeds."""
    partial = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> Entry:
    with path.open("rb") as handle:
        status = os.fstat(handle.fileno())
        member = tarfile.TarInfo(name)
        member.size, member.mtime, member.mode = status.st_size, int(status.st_mtime), 0o600
        reader = _Hashing(handle)
        archive.addfile(member, reader)
    return Entry(name, member.size, reader.digest.hexdigest())


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size, member.mtime, member.mode = len(content), int(datetime.now(UTC).timestamp()), 0o600
    archive.addfile(member, io.BytesIO(content))


def _add_documents(archive: tarfile.TarFile, folder: Path) -> tuple[list[Entry], list[str]]:
    """Archive the upload folder's files; returns their entries and those removed meanwhile."""
    entries, vanished = [], []
    try:
        for relative in _document_files(folder):
            name = f"{DOCUMENTS}/{relative}"
            try:
                entries.append(_add_file(archive, name, folder / relative))
            except FileNotFoundError:
                vanished.append(relative)
    except PermissionError as error:
        raise BackupError(f"Cannot read {error.filename}: {error.strerror}.") from None
    return entries, vanished


def _document_files(folder: Path, relative: str = "") -> Iterator[str]:
    """The files under `folder` that a backup keeps, as paths relative to it, in order.

    Left out: the folders of NOT_ARCHIVED, names starting with a dot (files being written, a
    restore's staging folder), and whatever is not a plain file or folder (links).
    """
    try:
        with os.scandir(folder / relative) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    for entry in entries:
        path = f"{relative}/{entry.name}" if relative else entry.name
        if entry.name.startswith(".") or path in NOT_ARCHIVED:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _document_files(folder, path)
        elif entry.is_file(follow_symlinks=False):
            yield path


def _is_document_path(name: str) -> bool:
    """A member name a restore may write: ``documents/`` and relative parts that are neither
    empty nor start with a dot (so no ``..``, no absolute path, no hidden file)."""
    parts = name.split("/")
    return (
        len(parts) > 1
        and parts[0] == DOCUMENTS
        and all(part and not part.startswith(".") for part in parts[1:])
        and "\\" not in name
        and "\x00" not in name
    )


def _unpack(archive: Path, staging: Path, backend: str) -> Manifest:
    """Unpack `archive` into `staging` and check it against its manifest; raises BackupError."""
    staged: dict[str, Entry] = {}
    manifest: Manifest | None = None
    recognised = False  # the archive starts with this backend's database
    try:
        with tarfile.open(archive, "r:gz") as members:
            for member in members:
                name = member.name
                if manifest is not None or name in staged:
                    raise BackupError(f"{archive} is not an AidTracker backup: {name} is extra.")
                if not recognised:
                    _check_first_member(name, backend, archive)
                    recognised = True
                elif name != MANIFEST and not _is_document_path(name):
                    raise BackupError(
                        f"{archive} is not an AidTracker backup: it holds {name!r}, which is "
                        "neither the database nor a document."
                    )
                if not member.isfile():
                    raise BackupError(f"{archive} is not an AidTracker backup: {name} is no file.")
                source = members.extractfile(member)
                if name == MANIFEST:
                    manifest = Manifest.from_json(source.read(), archive)
                else:
                    staged[name] = _stage(source, name, staging)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        if not recognised:
            raise BackupError(f"{archive} is not an AidTracker backup (a .tar.gz file).") from None
        raise BackupError(f"{archive} is damaged: {error}; nothing was restored.") from None
    except OSError as error:
        raise BackupError(f"Cannot read {archive}: {error.strerror or error}.") from None
    if manifest is None:
        if not staged:
            raise BackupError(f"{archive} is not an AidTracker backup: it is empty.")
        raise BackupError(f"{archive} is damaged: it has no manifest (it is incomplete).")
    _compare(manifest, staged, archive, backend)
    return manifest


def _check_first_member(name: str, backend: str, archive: Path) -> None:
    expected = DATABASE_MEMBERS[backend]
    for made_from, member in DATABASE_MEMBERS.items():
        if name == member and member != expected:
            raise BackupError(
                f"{archive} is a backup of a {BACKEND_NAMES[made_from]} database, and this "
                f"installation uses {BACKEND_NAMES[backend]} "
                "(AIDTRACKER_DATABASE_URL): a backup is restored into the kind of database "
                "it was made from."
            )
    if name != expected:
        raise BackupError(f"{archive} is not an AidTracker backup: it starts with {name!r}.")


def _stage(source: BinaryIO, name: str, staging: Path) -> Entry:
    """Copy a member into the staging folder, hashing it; errors reading the archive pass on."""
    path = staging / name
    reader = _Hashing(source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Owner only, as the app writes documents (tempfile.mkstemp).
        staged = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
    except OSError as error:
        raise _cannot_unpack(staging, error) from None
    with staged:
        while chunk := reader.read(_CHUNK):
            try:
                staged.write(chunk)
            except OSError as error:
                raise _cannot_unpack(staging, error) from None
    return Entry(name, reader.size, reader.digest.hexdigest())


def _cannot_unpack(staging: Path, error: OSError) -> BackupError:
    return BackupError(f"Cannot unpack the backup in {staging.parent}: {error.strerror}.")


def _compare(manifest: Manifest, staged: dict[str, Entry], archive: Path, backend: str) -> None:
    """Every member is what the manifest says, with its size and checksum, and nothing else."""
    if manifest.backend != backend or manifest.database.path != DATABASE_MEMBERS[backend]:
        raise BackupError(f"{archive} is damaged: its manifest names another database.")
    listed = {entry.path: entry for entry in manifest.entries}
    missing = sorted(listed.keys() - staged.keys())
    unlisted = sorted(staged.keys() - listed.keys())
    differing = sorted(
        path
        for path in listed.keys() & staged.keys()
        if (staged[path].size, staged[path].sha256) != (listed[path].size, listed[path].sha256)
    )
    for problem, paths in (
        ("is missing", missing),
        ("is not in the manifest", unlisted),
        ("differs from its checksum", differing),
    ):
        if paths:
            more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
            raise BackupError(f"{archive} is damaged: {paths[0]}{more} {problem}.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _document_target(folder: Path, entry: Entry) -> Path:
    return folder / entry.path.removeprefix(f"{DOCUMENTS}/")


def _refuse_to_overwrite(manifest: Manifest, folder: Path, archive: Path) -> None:
    """Refuse when restoring would lose something: rows of the database, or documents of the
    upload folder that the backup holds under the same name with other contents."""
    rows = _rows_per_table()
    overwritten = [
        entry
        for entry in manifest.documents
        if (target := _document_target(folder, entry)).is_file() and _sha256(target) != entry.sha256
    ]
    if not rows and not overwritten:
        return
    losses = []
    if rows:
        counts = ", ".join(f"{name} {count:,}" for name, count in rows.items())
        losses.append(f"the database holds data, which would be replaced ({counts})")
    if overwritten:
        losses.append(
            f"{len(overwritten):,} file(s) of the upload folder {folder} would be overwritten"
        )
    raise BackupError(
        f"Restoring {archive} would lose data: {'; '.join(losses)}. Nothing was changed; "
        "run the restore again with --force to replace it."
    )


def _place_documents(manifest: Manifest, staging: Path, folder: Path) -> None:
    """Move the staged documents into the upload folder, then read each back against its
    checksum."""
    try:
        for entry in manifest.documents:
            target = _document_target(folder, entry)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / entry.path, target)
        damaged = [
            entry.path
            for entry in manifest.documents
            if _sha256(_document_target(folder, entry)) != entry.sha256
        ]
    except OSError as error:
        raise BackupError(
            f"The database was restored, but the documents could not all be put into {folder}: "
            f"{error.strerror or error} ({error.filename}). Make room or fix permissions and "
            "run the restore again with --force."
        ) from None
    if damaged:
        raise BackupError(
            f"The database was restored, but {len(damaged):,} document(s) in {folder} do not "
            f"match their checksum, e.g. {damaged[0]}: check the disk and restore again."
        )
