"""What makes a password acceptable: long enough, and not one that attackers try first.

Following NIST SP 800-63B, there are no composition rules (digits, symbols): length counts, and
a password that appears in lists of leaked passwords is refused whatever its length.

``common-passwords.txt`` beside this module holds about 20,000 of the most common passwords, one
per line in lower case: Royce Williams' list, as Django ships it for its own password validator.
Passwords are compared without case, so ``Qwerty123456`` is as common as ``qwerty123456``.

A pure rule: nothing here needs Flask, a database or a request.
"""

from enum import StrEnum
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Long passphrases are welcome; the bound only keeps a request from hashing megabytes."""

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")

# Words every attacker of this site would try first: its name and the published demo password.
SITE_WORDS = frozenset({"aidtracker", "aidtracker-demo", "aid tracker"})


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_COMMON = "too_common"
    SAME_AS_EMAIL = "same_as_email"


@cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords, read once per process."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip()) | SITE_WORDS


def password_problems(password: str, *, email: str | None = None) -> list[PasswordProblem]:
    """Every rule `password` breaks, in the order a user should fix them; empty when it is fine.

    `email`, when given, is the account's address: the password may not be that address nor the
    part before the @.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    folded = password.strip().lower()
    if folded in common_passwords():
        problems.append(PasswordProblem.TOO_COMMON)
    if email:
        address = email.strip().lower()
        if folded in {address, address.split("@")[0]}:
            problems.append(PasswordProblem.SAME_AS_EMAIL)
    return problems
