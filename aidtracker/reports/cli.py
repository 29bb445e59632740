"""``aidtracker export …``: the bookkeeping reports and packing lists written to files.

For month-end runs and scheduled jobs: the same writers, scope and refusals as the web pages, so a
file made here is the one the user would have downloaded. Nothing half-written is ever left
behind: the file is written beside its target and renamed only once complete.
"""

import os
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, TypeVar

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import or_, select

from aidtracker.acting_user import acting_user
from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission
from aidtracker.catalogue.models import Category
from aidtracker.extensions import db
from aidtracker.money.currencies import known_currencies
from aidtracker.money.service import base_currency
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.packing_list import packing_list_file_name, write_packing_list
from aidtracker.reports.scope import DISPATCHED_OR_LATER, ReportParameters
from aidtracker.reports.service import ReportKind, export_report, file_name
from aidtracker.reports.valuation import ExportRefused
from aidtracker.shipments.queries import shipment_by_reference

Result = TypeVar("Result")

DAY = click.DateTime(formats=["%Y-%m-%d"])

REPORT_HELP = {
    ReportKind.REGISTER: "The shipment register: a row per line of the shipments dispatched in "
    "the period, valued in the reporting currency.",
    ReportKind.DONORS: "The donor statement: per donor, lines and totals by category and "
    "destination for the period.",
    ReportKind.SUMMARY: "The period summary: value and count by category and destination, "
    "by month.",
}

COUNTED = (("lines", "line"), ("shipments", "shipment"))
"""Figures a report's totals may carry, named in the success message when present."""


@click.group("export")
def export_group() -> None:
    """Write a bookkeeping report or a shipment's packing list to an .xlsx file."""


def exporting_user(email: str | None, permission: Permission) -> User:
    """The user whose scope, language and name the file carries."""
    return acting_user(email, permission, refusal="make this export")


def organisation_named(name: str) -> Organisation:
    organisation = db.session.scalar(select(Organisation).filter_by(name=name.strip()))
    if organisation is None:
        raise click.ClickException(f"no organisation is named '{name}'")
    return organisation


def city_named(name_or_code: str) -> City:
    """A city by its three-letter code or its name; a name two countries share needs the code."""
    wanted = name_or_code.strip()
    cities = db.session.scalars(
        select(City).where(or_(City.code == wanted.upper(), City.name == wanted)).order_by(City.id)
    ).all()
    by_code = [city for city in cities if city.code == wanted.upper()]
    if by_code:
        return by_code[0]
    if not cities:
        raise click.ClickException(f"no city is named or coded '{name_or_code}'")
    if len(cities) > 1:
        codes = ", ".join(city.code for city in cities)
        raise click.ClickException(
            f"several cities are named '{name_or_code}'; give a code: {codes}"
        )
    return cities[0]


def currency_code(value: str | None) -> str:
    if value is None:
        return base_currency()
    code = value.strip().upper()
    if code not in known_currencies():
        raise click.ClickException(f"'{value}' is not an ISO 4217 currency code")
    return code


def write_replacing(target: Path, write: Callable[[BinaryIO], Result]) -> Result:
    """Run `write` on a new file beside `target` and rename it into place only when it succeeded:
    a refused or failed export leaves no file, and a file already at `target` stays as it was."""
    directory = target.parent
    if not directory.is_dir():
        raise click.ClickException(f"cannot write {target}: there is no folder {directory}")
    partial = directory / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
    try:
        # O_EXCL: never follow or reuse somebody else's file; 0o666 lets the umask decide.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(partial, flags, 0o666)
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            result = write(handle)
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return result


def refused(error: ExportRefused) -> click.ClickException:
    """Every reason on its own line; exit code 1."""
    return click.ClickException("\n".join(error.messages))


def counts(totals) -> str:
    """' (6 lines, 3 shipments)' from whichever of those figures the report's totals carry."""
    parts = []
    for attribute, singular in COUNTED:
        number = getattr(totals, attribute, None)
        if isinstance(number, int) and not isinstance(number, bool):
            parts.append(f"{number:,} {singular if number == 1 else attribute}")
    return f" ({', '.join(parts)})" if parts else ""


def output_option(default_help: str):
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"The .xlsx file to write (replaced if it exists); default: {default_help}.",
    )


def user_option(what: str):
    return click.option(
        "--user",
        "email",
        metavar="EMAIL",
        help=f"The user whose {what} the file carries; default: the first active administrator.",
    )


def report_command(kind: ReportKind) -> click.Command:
    """`export <kind>`: one command per bookkeeping report, all with the web page's parameters."""

    @click.command(kind.value, help=REPORT_HELP.get(kind))
    @click.option(
        "--from",
        "date_from",
        type=DAY,
        metavar="YYYY-MM-DD",
        required=True,
        help="First day of the period.",
    )
    @click.option(
        "--to",
        "date_to",
        type=DAY,
        metavar="YYYY-MM-DD",
        required=True,
        help="Last day of the period.",
    )
    @click.option("--currency", metavar="XXX", help="Reporting currency; default: the base one.")
    @click.option("--donor", metavar="NAME", help="Only the lines this organisation gave.")
    @click.option(
        "--destination", metavar="CITY", help="Only shipments to this city (name or code)."
    )
    @click.option("--category", type=click.Choice([category.value for category in Category]))
    @click.option("--status", type=click.Choice([status.value for status in DISPATCHED_OR_LATER]))
    @click.option("--hxl", is_flag=True, help="Add the HXL hashtag row under the header.")
    @user_option("scope, language and name")
    @output_option("the web page's file name, in the current folder")
    @with_appcontext
    def command(
        date_from: datetime,
        date_to: datetime,
        currency: str | None,
        donor: str | None,
        destination: str | None,
        category: str | None,
        status: str | None,
        hxl: bool,
        email: str | None,
        output: Path | None,
    ) -> None:
        parameters = ReportParameters(
            date_from=date_from.date(),
            date_to=date_to.date(),
            currency=currency_code(currency),
            donor_id=organisation_named(donor).id if donor else None,
            destination_city_id=city_named(destination).id if destination else None,
            category=category or "",
            status=status or "",
            hxl=hxl,
        )
        problems = parameters.problems()
        if problems:
            raise click.ClickException(" ".join(problems.values()))
        user = exporting_user(email, Permission.EXPORT_REPORTS)
        target = output or Path(file_name(kind, parameters))
        with force_locale(user.language):
            title = kind.title
            try:
                totals = write_replacing(
                    target, lambda handle: export_report(kind, handle, user, parameters)
                )
            except ExportRefused as error:
                raise refused(error) from None
        click.echo(f"{title} written to {click.format_filename(target)}{counts(totals)}.")

    return command


for report_kind in ReportKind:
    export_group.add_command(report_command(report_kind))


@export_group.command("packing-list")
@click.argument("reference")
@user_option("scope, language and name")
@output_option("the web page's file name, in the current folder")
@with_appcontext
def packing_list_command(reference: str, email: str | None, output: Path | None) -> None:
    """The packing list / customs manifest of the shipment REFERENCE (e.g. LUB-KRR-2023-0001)."""
    user = exporting_user(email, Permission.EXPORT_PACKING_LIST)
    shipment = shipment_by_reference(user, reference)
    if shipment is None:
        # Absent or out of the user's scope: the same answer, as on the web (404).
        raise click.ClickException(f"no shipment {reference.strip().upper()} for {user.email}")
    target = output or Path(packing_list_file_name(shipment))
    with force_locale(user.language):
        try:
            write_replacing(target, lambda handle: write_packing_list(handle, user, shipment))
        except ExportRefused as error:
            raise refused(error) from None
    click.echo(f"Packing list of {shipment.reference} written to {click.format_filename(target)}.")
