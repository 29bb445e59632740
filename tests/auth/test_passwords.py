"""Passwords are at least 12 characters and not one that attackers try first."""

import pytest
from sqlalchemy import func, select

from aidtracker.auth.models import User
from aidtracker.auth.passwords import (
    COMMON_PASSWORDS_FILE,
    MIN_LENGTH,
    PasswordProblem,
    common_passwords,
    password_problems,
)
from aidtracker.extensions import db


def test_the_shipped_list_holds_thousands_of_lower_case_common_passwords():
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 5000
    assert all(line == line.lower() for line in lines)
    assert {"123456", "password", "qwerty", "iloveyou", "qwertyuiop"} <= common_passwords()


def test_a_long_uncommon_password_is_accepted():
    assert password_problems("tractor violet harbour 42") == []
    assert password_problems("x" * (MIN_LENGTH - 1) + "y") == []


def test_eleven_characters_are_too_short():
    assert password_problems("k3#fq8Lp!2z") == [PasswordProblem.TOO_SHORT]


@pytest.mark.parametrize(
    "password", ["qwerty123456", "QWERTY123456", "1q2w3e4r5t6y", "  Qwertyuiop1 "]
)
def test_a_common_password_is_refused_whatever_its_case(password):
    if password.strip().lower() not in common_passwords():
        pytest.fail(f"{password!r} was expected on the list")
    assert PasswordProblem.TOO_COMMON in password_problems(password)


def test_the_published_demo_password_is_refused_for_real_accounts():
    assert PasswordProblem.TOO_COMMON in password_problems("AidTracker-Demo")


def test_the_password_may_not_be_the_e_mail_address():
    assert password_problems(
        "olena.kovalenko@lutsk.example", email="Olena.Kovalenko@lutsk.example"
    ) == [PasswordProblem.SAME_AS_EMAIL]
    assert password_problems("olena.kovalenko", email="olena.kovalenko@lutsk.example") == [
        PasswordProblem.SAME_AS_EMAIL
    ]


def test_a_short_common_password_names_both_problems():
    assert password_problems("password") == [PasswordProblem.TOO_SHORT, PasswordProblem.TOO_COMMON]


def _count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("too short", "The password needs at least 12 characters."),
        ("qwertyuiop123", "on a list of common passwords"),
    ],
)
def test_the_create_user_command_applies_the_same_rules(demo, password, message):
    before = _count_users(demo)
    result = demo.test_cli_runner().invoke(
        args=["create-user", "--email", "new@lublin.example", "--role", "staff"],
        env={"AIDTRACKER_PASSWORD": password},
    )
    assert result.exit_code != 0
    assert message in result.output
    assert _count_users(demo) == before
