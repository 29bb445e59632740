"""Refusing logins after repeated failures, per e-mail and per client address.

After ``FAILED_LOGINS`` (5 in a minute) failures for one e-mail, or from one address, further
attempts are refused, even with the right password, until the oldest of those failures is a minute
old (a moving window, so there is no boundary to time an attack against). Only failures count.

The counters live in Flask-Limiter's storage: in memory by default, in Redis when
``AIDTRACKER_RATELIMIT_STORAGE_URL`` names one, so that every app server shares them.

The ``limiter`` object is shared by every app of the process, and each ``init_app`` points it at
a new storage. So that two apps in one process (as in the tests) never share or swap counters,
each app keeps, in ``app.extensions``, a throttle on the storage opened for it.
"""

from flask import Flask, current_app
from limits import parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from aidtracker.auth.models import User
from aidtracker.extensions import limiter

FAILED_LOGINS = parse("5/minute")
"""How many failed logins, per e-mail and per address, before the next attempts are refused."""
REFUSALS_RECORDED = parse("1/minute")
"""How often a refusal is written to the security log for one e-mail and address, so that an
attacker hammering the form cannot fill the database."""

NAMESPACE = "aidtracker-login"
EXTENSION = "aidtracker.login_throttle"


class LoginThrottle:
    """Failed-login counters on a `limits` storage; without a storage it never refuses."""

    def __init__(self, storage: Storage | None):
        self.storage = storage
        self.window = MovingWindowRateLimiter(storage) if storage is not None else None

    @staticmethod
    def _keys(email: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("email", User.normalise_email(email))]
        if address:
            keys.append(("address", address))
        return keys

    def _storage_call(self, call, fallback):
        """Run `call` on the storage; when the storage does not answer, log it and fail open.

        Failing open keeps people able to log in while Redis is down: they still need their
        password, only the throttle is missing meanwhile.
        """
        if self.window is None:
            return fallback
        try:
            return call(self.window)
        except self.storage.base_exceptions:
            current_app.logger.exception("login throttle: the rate-limit storage does not answer")
            return fallback

    def refuses(self, *, email: str, address: str | None) -> bool:
        """True when the e-mail or the address has had too many failed logins in the last minute."""
        keys = self._keys(email, address)
        return self._storage_call(
            lambda window: any(
                not window.test(FAILED_LOGINS, NAMESPACE, kind, value) for kind, value in keys
            ),
            fallback=False,
        )

    def count_failure(self, *, email: str, address: str | None) -> None:
        """Count one failed login against the e-mail and against the address."""
        keys = self._keys(email, address)
        self._storage_call(
            lambda window: [
                window.hit(FAILED_LOGINS, NAMESPACE, kind, value) for kind, value in keys
            ],
            fallback=None,
        )

    def first_refusal_this_minute(self, *, email: str, address: str | None) -> bool:
        """True for the first refusal of this e-mail from this address in a minute."""
        normalised = User.normalise_email(email)
        return self._storage_call(
            lambda window: window.hit(
                REFUSALS_RECORDED, NAMESPACE, "refused", normalised, address or ""
            ),
            fallback=True,
        )


def init_throttling(app: Flask) -> None:
    """Bind Flask-Limiter to `app` and keep the app's own login throttle on its storage."""
    limiter.init_app(app)
    enabled = app.config.get("RATELIMIT_ENABLED", True)
    app.extensions[EXTENSION] = LoginThrottle(limiter.storage if enabled else None)


def login_throttle() -> LoginThrottle:
    """The login throttle of the current app."""
    return current_app.extensions[EXTENSION]
