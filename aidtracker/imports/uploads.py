"""Keeping an uploaded workbook between "check" and "import".

An import runs in two requests: the first uploads the file and shows what would be imported (or
what is wrong), the second imports it. The file is kept in between under the upload folder, which
every app server shares (``UPLOAD_FOLDER``, ``instance/documents`` by default), in
``imports/<user id>-<token>.xlsx``: not in the session cookie (it may be 10 MB) nor in a server's
memory (the second request may reach another server).

The token is random (192 bits, ``secrets.token_urlsafe(24)``) and only ever looked up together
with the user's id, so one user cannot import another's file even with its token; a token that is
not exactly 32 URL-safe characters is never turned into a path. Files older than 24 hours are
expired: they are removed whenever a new upload is stored, and never returned.
"""

import contextlib
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from aidtracker.imports.reader import MAX_BYTES, ImportFileError, read_limited

MAX_AGE_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_STORED = re.compile(r"\d+-[A-Za-z0-9_-]{32}\.xlsx")


def imports_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "imports"


def store_upload(data: bytes | BinaryIO, *, user_id: int, kind: str) -> str:
    """Keep an uploaded workbook for `user_id` and return the token that finds it again.

    `data` is the file's bytes, a binary stream or a werkzeug FileStorage; `kind` names the
    import (e.g. "catalogue"), for the log. Raises ``ImportFileError`` when the file is empty or
    larger than 10 MB; what it holds is ``read_table``'s to check. Removes expired uploads.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"not an import kind: {kind!r}")
    content = read_limited(data)
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB. Split it into smaller workbooks."))
    folder = imports_folder()
    folder.mkdir(parents=True, exist_ok=True)
    remove_expired(folder)
    token = secrets.token_urlsafe(24)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, folder / f"{_user(user_id)}-{token}.xlsx")
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    current_app.logger.info(
        "%s import: user %s uploaded %d bytes", kind, _user(user_id), len(content)
    )
    return token


def upload_path(token: str, *, user_id: int) -> Path | None:
    """The stored file of `token` for `user_id`; None when the token is malformed, unknown,
    someone else's or expired."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    path = imports_folder() / f"{_user(user_id)}-{token}.xlsx"
    try:
        modified = path.stat().st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return None
    if time.time() - modified > MAX_AGE_SECONDS:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return path


def discard_upload(token: str, *, user_id: int) -> None:
    """Remove the stored file of `token` for `user_id`, once imported or abandoned."""
    path = upload_path(token, user_id=user_id)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_expired(folder: Path | None = None) -> int:
    """Remove stored uploads (and half-written ones) older than 24 hours; returns how many."""
    folder = folder or imports_folder()
    limit = time.time() - MAX_AGE_SECONDS
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if not (_STORED.fullmatch(entry.name) or entry.name.startswith(".upload-")):
            continue
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
    return removed


def _user(user_id: int) -> int:
    # A user id is a row id; anything else would be a bug that must not become a path.
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 0:
        raise ValueError(f"not a user id: {user_id!r}")
    return user_id
