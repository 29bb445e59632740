"""``aidtracker import …``: the Excel imports from the command line.

The same reading, rules and single transaction as the web pages: a file that would be refused
there is refused here, with each problem on its own line ("Sheet!Row, Column: message"), and
nothing is written.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from aidtracker.acting_user import acting_user
from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission
from aidtracker.extensions import db
from aidtracker.imports.lines import LinesRefused, import_lines_from_path
from aidtracker.imports.reader import ImportFileError, Problem
from aidtracker.shipments.entry import EntryError
from aidtracker.shipments.queries import shipment_by_reference


@click.group("import")
def import_group() -> None:
    """Add shipment lines, catalogue items or organisations from an .xlsx workbook."""


def importing_user(email: str | None, permission: Permission) -> User:
    """The user the import is made as."""
    return acting_user(email, permission, refusal="make this import")


def problem_line(problem: Problem) -> str:
    """One problem as spreadsheet users point at a cell: ``Lines!7, Quantity: message``."""
    place = f"{problem.sheet}!{problem.row}" if problem.sheet else f"Row {problem.row}"
    if problem.column:
        return f"{place}, {problem.column}: {problem.message}"
    return f"{place}: {problem.message}"


def refused(file: Path, problems: list[Problem]) -> click.ClickException:
    count = len(problems)
    heading = f"{click.format_filename(file)}: {count} problem{'s' if count != 1 else ''}; "
    return click.ClickException(
        "\n".join([heading + "nothing was imported.", *map(problem_line, problems)])
    )


@import_group.command("lines")
@click.argument("reference")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--user",
    "email",
    metavar="EMAIL",
    help="The user who imports (scope and language); default: the first active administrator.",
)
@with_appcontext
def lines_command(reference: str, file: Path, email: str | None) -> None:
    """Add the lines of the workbook FILE to the draft shipment REFERENCE, all or none."""
    user = importing_user(email, Permission.EDIT_SHIPMENTS)
    shipment = shipment_by_reference(user, reference)
    if shipment is None:
        # Absent or out of the user's scope: the same answer, as on the web (404).
        raise click.ClickException(f"no shipment {reference.strip().upper()} for {user.email}")
    with force_locale(user.language):
        try:
            added = import_lines_from_path(shipment, file, user)
        except LinesRefused as error:
            db.session.rollback()
            raise refused(file, error.problems) from None
        except ImportFileError as error:
            db.session.rollback()
            raise click.ClickException(f"{click.format_filename(file)}: {error.message}") from None
        except EntryError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
    click.echo(f"Added {added} line{'s' if added != 1 else ''} to {shipment.reference}.")
