"""``aidtracker import catalogue FILE`` and ``aidtracker import organisations FILE``.

The same checks and the same one-transaction commit as the import pages: if any row is wrong,
nothing is written, every problem is printed as "Sheet!Row, Column: message" and the command
exits with status 1. ``--check`` reads and checks without writing.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from aidtracker.acting_user import acting_user
from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission
from aidtracker.extensions import db
from aidtracker.imports.cli import problem_line
from aidtracker.imports.reader import ImportFileError
from aidtracker.imports.reference import IMPORTS, ReferenceImport, RowsRefused

NOUNS = {
    "catalogue": ("catalogue item", "catalogue items"),
    "organisations": ("organisation", "organisations"),
}


def importing_user(email: str | None) -> User:
    """The user the import runs as; they must be allowed to manage reference data."""
    return acting_user(
        email,
        Permission.MANAGE_REFERENCE_DATA,
        refusal="add catalogue items or organisations",
    )


def _counted(kind: str, number: int) -> str:
    singular, plural = NOUNS[kind]
    return f"{number:,} {singular if number == 1 else plural}"


def _run(spec: ReferenceImport, path: Path, email: str | None, check_only: bool) -> None:
    user = importing_user(email)
    with force_locale(user.language):
        try:
            if check_only:
                rows, problems = spec.check(path)
                if problems:
                    raise RowsRefused(problems)
            else:
                rows = spec.add(path)
        except ImportFileError as error:
            db.session.rollback()
            raise click.ClickException(f"{click.format_filename(path)}: {error.message}") from None
        except RowsRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                click.echo(problem_line(problem), err=True)
            raise click.ClickException(
                f"nothing imported: {len(refused.problems):,} "
                f"{'problem' if len(refused.problems) == 1 else 'problems'} in "
                f"{click.format_filename(path)}"
            ) from None
    name, counted = click.format_filename(path), _counted(spec.kind, len(rows))
    if check_only:
        click.echo(f"{name} is right: it would add {counted}.")
    else:
        click.echo(f"Added {counted} from {name}.")


def _import_command(kind: str, help_text: str) -> click.Command:
    @click.command(kind, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--user",
        "email",
        metavar="EMAIL",
        help="The user the import runs as; default: the first active administrator.",
    )
    @click.option("--check", "check_only", is_flag=True, help="Check the file; write nothing.")
    @with_appcontext
    def command(file: Path, email: str | None, check_only: bool) -> None:
        _run(IMPORTS[kind], file, email, check_only)

    return command


catalogue_import_command = _import_command(
    "catalogue",
    "Add the catalogue items of the .xlsx FILE (the template of the Catalogue page's import). "
    "Items already in the catalogue are refused, not changed.",
)
organisations_import_command = _import_command(
    "organisations",
    "Add the organisations of the .xlsx FILE (the template of the Organisations page's import). "
    "Organisations already in AidTracker are refused, not changed.",
)
