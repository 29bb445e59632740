"""``aidtracker import donations FUND FILE``: a bank statement from the command line, with the
page's reading, rules and single transaction."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from aidtracker.auth.permissions import Permission, visible_funds_clause
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.funds.service import FundRefusal
from aidtracker.funds.statement import StatementRefused, record_statement
from aidtracker.imports.cli import importing_user, refused
from aidtracker.imports.reader import ImportFileError


@click.command("donations")
@click.argument("fund_name", metavar="FUND")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--user",
    "email",
    metavar="EMAIL",
    help="The user who records them; default: the first active administrator.",
)
@with_appcontext
def donations_command(fund_name: str, file: Path, email: str | None) -> None:
    """Record the payments of the bank statement FILE (CSV or .xlsx) as paid donations to the
    fund named FUND, all or none."""
    user = importing_user(email, Permission.RECORD_DONATIONS)
    fund = db.session.scalar(
        select(Fund).where(
            func.lower(Fund.name) == fund_name.strip().lower(), visible_funds_clause(user)
        )
    )
    if fund is None:
        raise click.ClickException(f"no fund named {fund_name.strip()!r}")
    with force_locale(user.language):
        try:
            added = record_statement(fund, file, by=user)
        except StatementRefused as error:
            db.session.rollback()
            raise refused(file, error.problems) from None
        except (ImportFileError, FundRefusal) as error:
            db.session.rollback()
            raise click.ClickException(f"{click.format_filename(file)}: {error}") from None
    click.echo(f"Recorded {added} donation{'s' if added != 1 else ''} in {fund.name}.")
