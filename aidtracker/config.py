"""Settings, read from environment variables prefixed ``AIDTRACKER_``.

Every setting has a safe default so that a newcomer needs nothing but ``make run``; production sets
at least the database URL and the secret key.
"""

import os
import secrets
from pathlib import Path

PREFIX = "AIDTRACKER_"
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)


def settings_from_environment(instance_path: str, environ=os.environ) -> dict:
    """Build the Flask config mapping from the environment and the instance folder."""

    def env(name: str, default: str | None = None) -> str | None:
        value = environ.get(PREFIX + name)
        return value if value not in (None, "") else default

    database_url = env("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "aidtracker.db")
    return {
        "SECRET_KEY": env("SECRET_KEY") or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_CURRENCY": (env("BASE_CURRENCY") or "PLN").upper(),
        # Which rate converts a shipment's value: "on_or_before" its day (the default), or
        # "previous_day", the last one strictly before (Poland's Accounting Act, art. 30(2)(2)).
        "RATE_RULE": env("RATE_RULE") or "on_or_before",
        "UPLOAD_FOLDER": env("UPLOAD_FOLDER") or str(Path(instance_path) / "documents"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure is added per request when it came over HTTPS (aidtracker.auth.sessions); this
        # forces it on every response.
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": env("TIMEZONE") or "Europe/Warsaw",
        "LANGUAGES": ("en", "pl", "uk"),
        "PAGE_SIZE": int(env("PAGE_SIZE") or 50),
        # A report of at most this many lines is written while the user waits; a longer one is
        # prepared in the background, with a progress page (aidtracker.reports.jobs).
        "REPORT_INLINE_LINES": int(env("REPORT_INLINE_LINES") or 20_000),
        # Documents may be 10 MB; a request a little larger still gets a message next to the
        # field, and anything beyond is refused with 413 before it is read.
        "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
        # Werkzeug applies these two to multipart bodies, our upload forms: a file with a few
        # short fields (a document kind, a rate source of 100 characters). A text part over
        # 256 kB, or more than 50 parts, is no form of ours and is refused with 413 before it
        # fills memory; Flask's defaults allow 500 kB and 1,000. The size also bounds Werkzeug's
        # read buffer, which takes 64 kB at a time even of a file, so it stays well above that.
        # Urlencoded forms (a shipment with its lines) are held to MAX_CONTENT_LENGTH alone.
        "MAX_FORM_MEMORY_SIZE": 256 * 1024,
        "MAX_FORM_PARTS": 50,
        # How many reverse proxies stand in front (one nginx: 1). Only then are the client's
        # address, HTTPS and host taken from X-Forwarded-For, -Proto and -Host
        # (aidtracker.headers); at 0 those headers are ignored, as anybody could send them.
        "PROXY_COUNT": int(env("PROXY_COUNT") or 0),
        # Flask-Limiter: failed-login counters, shared by app servers when this names a Redis.
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URL") or "memory://",
        "RATELIMIT_ENABLED": True,  # explicit: Flask-Limiter otherwise inherits the last app's
        # Notifications: smtp://user:password@host:25, smtps://host or smtp+starttls://host:587;
        # without it messages are only kept in the outbox (aidtracker.notifications).
        "SMTP_URL": env("SMTP_URL"),
        "MAIL_FROM": env("MAIL_FROM") or "AidTracker <noreply@localhost>",
        # The site's address for links that leave the site (e-mails, packing lists, QR codes).
        "PUBLIC_URL": env("PUBLIC_URL"),
        # Requests per token (or per address without one) to the JSON API.
        "API_RATE_LIMIT": env("API_RATE_LIMIT") or "120/minute",
    }


def instance_secret_key(instance_path: str) -> str:
    """Return the key kept in the instance folder, creating it on first use.

    A key generated per process would log everyone out at each restart and break sessions
    between several app servers, so it is written once and read back afterwards.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / SECRET_KEY_FILE
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_hex(32)
        handle.write(key)
    return key
