"""Settings come from AIDTRACKER_* variables; the secret key is never written in the code."""

import stat

from aidtracker import create_app
from aidtracker.config import settings_from_environment


def test_without_a_secret_key_one_is_generated_once_and_kept_in_the_instance_folder(tmp_path):
    first = settings_from_environment(str(tmp_path), environ={})
    second = settings_from_environment(str(tmp_path), environ={})

    key_file = tmp_path / "secret_key"
    assert first["SECRET_KEY"] == second["SECRET_KEY"] == key_file.read_text()
    assert len(first["SECRET_KEY"]) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_two_installations_get_different_secret_keys(tmp_path):
    one = settings_from_environment(str(tmp_path / "one"), environ={})["SECRET_KEY"]
    two = settings_from_environment(str(tmp_path / "two"), environ={})["SECRET_KEY"]
    assert one != two


def test_settings_are_read_from_prefixed_environment_variables(tmp_path):
    settings = settings_from_environment(
        str(tmp_path),
        environ={
            "AIDTRACKER_SECRET_KEY": "from-the-environment",
            "AIDTRACKER_DATABASE_URL": "postgresql+psycopg://aid@db.internal/aid",
            "AIDTRACKER_BASE_CURRENCY": "eur",
        },
    )
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://aid@db.internal/aid"
    assert settings["BASE_CURRENCY"] == "EUR"
    assert not (tmp_path / "secret_key").exists()


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    settings = settings_from_environment(str(tmp_path), environ={})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'aidtracker.db'}"
    assert settings["BASE_CURRENCY"] == "PLN"


def test_the_app_finds_its_templates_static_files_and_migrations(tmp_path):
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.jinja_loader.get_source(app.jinja_env, "base.html")
    assert app.static_folder.endswith("static")
    assert "migrate" in app.extensions
    assert app.extensions["migrate"].directory.endswith("migrations")
