"""The ``aidtracker`` command: Flask's commands (run, db …) plus the operators' own."""

import contextlib
import os

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from aidtracker.auth.models import LANGUAGES, Role
from aidtracker.auth.service import AccountError, create_user
from aidtracker.demo import database_is_empty, load_demo
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation


def register_commands(app: Flask) -> None:
    from aidtracker.backup.cli import backup_command, restore_command
    from aidtracker.funds.cli import donations_command
    from aidtracker.generate import generate_data_command
    from aidtracker.imports.cli import import_group
    from aidtracker.imports.reference_cli import (
        catalogue_import_command,
        organisations_import_command,
    )
    from aidtracker.reports.cli import export_group

    import_group.add_command(catalogue_import_command)
    import_group.add_command(organisations_import_command)
    import_group.add_command(donations_command)

    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(generate_data_command)
    app.cli.add_command(export_group)
    app.cli.add_command(import_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("load-demo")
@with_appcontext
@click.option(
    "--if-empty", is_flag=True, help="Only load into a database that has no users and no shipments."
)
def load_demo_command(if_empty: bool) -> None:
    """Load the demo cities, organisations, users, catalogue and shipments (idempotent)."""
    if if_empty and not database_is_empty():
        click.echo("The database holds data already; demo data not loaded.")
        return
    added = load_demo()
    if added:
        summary = ", ".join(f"{number} {kind}" for kind, number in added.items())
        click.echo(f"Demo data loaded: {summary}.")
    else:
        click.echo("Demo data is there already; nothing added.")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True, help="The e-mail address the user logs in with.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--organisation", help="Name of the user's organisation (required for partners).")
@click.option("--name", help="Display name; defaults to the part of the e-mail before the @.")
@click.option("--language", default="en", show_default=True, type=click.Choice(LANGUAGES))
def create_user_command(
    email: str, role: str, organisation: str | None, name: str | None, language: str
) -> None:
    """Create a user. The password is read from AIDTRACKER_PASSWORD, else asked for."""
    password = os.environ.get("AIDTRACKER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    member_of = None
    if organisation:
        member_of = db.session.scalar(db.select(Organisation).filter_by(name=organisation))
        if member_of is None:
            raise click.ClickException(f"no organisation is named '{organisation}'")
    try:
        user = create_user(
            email=email,
            password=password,
            role=Role(role),
            name=name,
            organisation=member_of,
            language=language,
        )
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({user.role.value}).")


def _database_problem(error: Exception) -> str:
    """One line for an operator: which database, and the first line of what went wrong."""
    url = os.environ.get("AIDTRACKER_DATABASE_URL", "the SQLite database in instance/")
    with contextlib.suppress(ArgumentError):
        url = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"cannot use the database {url}: {reason[0] if reason else type(error).__name__}"


class AidTrackerGroup(FlaskGroup):
    """Flask's command group, turning an unreachable database into one line instead of a trace."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (OperationalError, ArgumentError, NoSuchModuleError) as error:
            raise click.ClickException(_database_problem(error)) from None


def _create_app() -> Flask:
    from aidtracker import create_app

    return create_app()


cli = AidTrackerGroup(create_app=_create_app, help="AidTracker: manage and serve the application.")


def main() -> None:
    cli.main(prog_name="aidtracker")
