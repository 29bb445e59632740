"""Operators run `aidtracker`: migrate, load the demo, create users; errors are one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from aidtracker.auth.models import Role, User
from aidtracker.extensions import db

AIDTRACKER = str(Path(sys.executable).parent / "aidtracker")


def _invoke(app, *args, password="correct horse battery staple"):
    runner = app.test_cli_runner()
    return runner.invoke(args=list(args), env={"AIDTRACKER_PASSWORD": password})


def test_create_user_reads_the_password_from_the_environment(demo):
    result = _invoke(
        demo,
        "create-user",
        "--email",
        "New.Staff@Lublin.example",
        "--role",
        "staff",
        "--organisation",
        "City of Lublin",
    )
    assert result.exit_code == 0, result.output
    assert "Created new.staff@lublin.example (staff)" in result.output
    response = demo.test_client().post(
        "/login",
        data={"email": "new.staff@lublin.example", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302


def test_create_user_asks_for_the_password_twice_when_not_given(demo):
    runner = demo.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "asked@lublin.example", "--role", "accountant"],
        input="a typed password\na typed password\n",
        env={"AIDTRACKER_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="asked@lublin.example"))
        assert user.role is Role.ACCOUNTANT
        assert user.check_password("a typed password")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "p@x.example", "--role", "partner"], "must belong to an organisation"),
        (
            ["--email", "p@x.example", "--role", "staff", "--organisation", "Atlantis"],
            "no organisation is named 'Atlantis'",
        ),
        (["--email", "staff@lublin.example", "--role", "staff"], "exists already"),
        (["--email", "not-an-address", "--role", "staff"], "is not an e-mail address"),
    ],
)
def test_create_user_refuses_bad_input_and_writes_nothing(demo, args, message):
    with demo.app_context():
        before = db.session.scalar(select(db.func.count(User.id)))
    result = _invoke(demo, "create-user", *args)
    assert result.exit_code != 0
    assert message in result.output
    with demo.app_context():
        assert db.session.scalar(select(db.func.count(User.id))) == before


def test_load_demo_if_empty_loads_only_into_an_empty_database(app):
    first = _invoke(app, "load-demo", "--if-empty")
    assert "Demo data loaded" in first.output
    assert "7 shipments" in first.output
    second = _invoke(app, "load-demo", "--if-empty")
    assert "holds data already" in second.output
    third = _invoke(app, "load-demo")
    assert "nothing added" in third.output


def _run(*args, database_url, tmp_path):
    environment = {
        **os.environ,
        "AIDTRACKER_DATABASE_URL": database_url,
        "AIDTRACKER_INSTANCE_PATH": str(tmp_path),
    }
    return subprocess.run(  # noqa: S603  (our own console script)
        [AIDTRACKER, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2",
        "sqlite:////nonexistent/folder/aidtracker.db",
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["load-demo"]])
def test_an_unreachable_database_gives_one_line_not_a_traceback(tmp_path, database_url, command):
    result = _run(*command, database_url=database_url, tmp_path=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines[-1].startswith("Error: cannot use the database")
    assert len([line for line in lines if line.startswith("Error")]) == 1
    assert "secret" not in result.stderr


def test_db_upgrade_then_load_demo_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade = _run("db", "upgrade", database_url=url, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    loaded = _run("load-demo", "--if-empty", database_url=url, tmp_path=tmp_path)
    assert "7 shipments" in loaded.stdout
    again = _run("load-demo", "--if-empty", database_url=url, tmp_path=tmp_path)
    assert "holds data already" in again.stdout
