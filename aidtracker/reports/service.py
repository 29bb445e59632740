"""The bookkeeping reports by name: what pages, background jobs and the command line call.

Each report is one module with a ``write_*(target, user, parameters, progress=None)`` function;
this module names them, titles them, and says what their files are called.
"""

from collections.abc import Callable
from enum import StrEnum

from aidtracker.auth.models import User
from aidtracker.reports.donors import donor_statement_title, write_donor_statement
from aidtracker.reports.register import register_title, write_register
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.summary import period_summary_title, write_period_summary


class ReportKind(StrEnum):
    REGISTER = "register"
    DONORS = "donors"
    SUMMARY = "summary"

    @property
    def title(self) -> str:
        return str(REPORT_TITLES[self]())


REPORT_TITLES: dict[ReportKind, Callable[[], str]] = {
    ReportKind.REGISTER: register_title,
    ReportKind.DONORS: donor_statement_title,
    ReportKind.SUMMARY: period_summary_title,
}

REPORT_WRITERS: dict[ReportKind, Callable] = {
    ReportKind.REGISTER: write_register,
    ReportKind.DONORS: write_donor_statement,
    ReportKind.SUMMARY: write_period_summary,
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
