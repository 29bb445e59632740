"""The bookkeeping reports by name: what pages, background jobs and the command line call.

Each report is one module with a ``write_*(target, user, parameters, progress=None)`` function;
this module names them, titles them, and says what their files are called.
"""

from collections.abc import Callable
from enum import StrEnum

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.reports.register import register_title, write_register
from aidtracker.reports.scope import ReportParameters


class ReportKind(StrEnum):
    REGISTER = "register"
    DONORS = "donors"
    SUMMARY = "summary"

    @property
    def title(self) -> str:
        return str(REPORT_TITLES[self]())


REPORT_TITLES: dict[ReportKind, Callable[[], str]] = {
    ReportKind.REGISTER: register_title,
    ReportKind.DONORS: lambda: _("Donor statement"),
    ReportKind.SUMMARY: lambda: _("Period summary"),
}

REPORT_WRITERS: dict[ReportKind, Callable] = {
    ReportKind.REGISTER: write_register,
}


def file_name(kind: ReportKind, parameters: ReportParameters) -> str:
    """What the download is called: aidtracker-register-2023-01-01_2023-12-31-PLN.xlsx."""
    return (
        f"aidtracker-{kind.value}-{parameters.date_from.isoformat()}_"
        f"{parameters.date_to.isoformat()}-{parameters.currency}.xlsx"
    )


def export_report(
    kind: ReportKind,
    target,
    user: User,
    parameters: ReportParameters,
    progress: Callable[[int], None] | None = None,
):
    """Write report `kind` into `target`; raises ExportRefused (nothing written) when it cannot."""
    return REPORT_WRITERS[kind](target, user, parameters, progress)
