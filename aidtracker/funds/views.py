"""Funds and cash donations: the list, a fund's page with its balance, recording donations,
moving them forward, allowing an overdraft, and the fund ledger download."""

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from aidtracker.auth.permissions import (
    Permission,
    requires,
    sees_every_shipment,
    visible_donations_clause,
    visible_funds_clause,
)
from aidtracker.extensions import db
from aidtracker.formviews import show_error
from aidtracker.funds.forms import (
    AdvanceForm,
    DonationForm,
    FundForm,
    OverdraftForm,
    StatementCommitForm,
    StatementImportForm,
)
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.funds.service import (
    NEXT_STATUSES,
    FundRefusal,
    advance_donation,
    allow_overdraft,
    create_fund,
    fund_balances,
    fund_ledger,
    record_donation,
    update_fund,
)
from aidtracker.funds.statement import (
    StatementRefused,
    check_statement,
    record_statement,
    statement_total,
)
from aidtracker.i18n import current_language
from aidtracker.imports.reader import MAX_BYTES, ImportFileError
from aidtracker.imports.uploads import discard_upload, store_upload, upload_path
from aidtracker.money.rates import MissingRate
from aidtracker.money.service import base_currency, missing_rate_message
from aidtracker.parties.models import Organisation
from aidtracker.reports.fund_ledger import ledger_file_name, write_fund_ledger
from aidtracker.reports.views import send_xlsx

blueprint = Blueprint("funds", __name__, url_prefix="/funds")


def visible_fund(fund_id: int) -> Fund:
    """The fund, if the user may see it; 404 otherwise (never 403)."""
    fund = db.session.scalar(
        select(Fund).where(Fund.id == fund_id, visible_funds_clause(current_user))
    )
    if fund is None:
        abort(404)
    return fund


def _balances(funds: list[Fund]) -> tuple[dict, str | None]:
    """The balances, or none and the message naming the missing rate."""
    try:
        return fund_balances(funds), None
    except MissingRate as missing:
        return {}, missing_rate_message(missing)


@blueprint.get("/")
@requires(Permission.VIEW_FUNDS)
def list_funds():
    funds = db.session.scalars(
        select(Fund).where(visible_funds_clause(current_user)).order_by(Fund.name)
    ).all()
    balances, missing = _balances(funds)
    return render_template(
        "funds/list.html", funds=funds, balances=balances, missing=missing, base=base_currency()
    )


@blueprint.get("/<int:fund_id>")
@requires(Permission.VIEW_FUNDS)
def show_fund(fund_id: int):
    fund = visible_fund(fund_id)
    balances, missing = _balances([fund])
    entries = []
    if missing is None:
        entries = fund_ledger(
            fund,
            language=current_language(),
            donations_of=visible_donations_clause(current_user),
        )
    donations = db.session.scalars(
        select(CashDonation)
        .where(CashDonation.fund_id == fund.id, visible_donations_clause(current_user))
        .order_by(CashDonation.donated_on.desc(), CashDonation.id.desc())
    ).all()
    return render_template(
        "funds/detail.html",
        fund=fund,
        balance=balances.get(fund.id),
        missing=missing,
        donations=donations,
        purchases=[e for e in entries if e.kind == "purchase"]
        if sees_every_shipment(current_user)
        else [],
        next_statuses=NEXT_STATUSES,
        advance_form=AdvanceForm(),
        today=date.today().isoformat(),
        base=base_currency(),
    )


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.RECORD_DONATIONS)
def new_fund():
    form = FundForm()
    if form.validate_on_submit():
        try:
            fund = create_fund(
                name=form.name.data,
                currency=form.currency.data,
                owner=_organisation(form.owner.data),
                purpose=form.purpose.data,
                by=current_user,
            )
        except FundRefusal as refusal:
            db.session.rollback()
            show_error(form, refusal)
        else:
            flash(_("Fund “%(name)s” opened.", name=fund.name), "success")
            return redirect(url_for("funds.show_fund", fund_id=fund.id))
    return _form_page("funds/fund_form.html", form=form, fund=None)


@blueprint.route("/<int:fund_id>/edit", methods=["GET", "POST"])
@requires(Permission.RECORD_DONATIONS)
def edit_fund(fund_id: int):
    fund = visible_fund(fund_id)
    form = FundForm(obj=fund)
    if request.method == "GET":
        form.owner.data = fund.owner_id
    if form.validate_on_submit():
        try:
            update_fund(
                fund,
                name=form.name.data,
                owner=_organisation(form.owner.data),
                purpose=form.purpose.data,
                is_open=form.is_open.data,
                by=current_user,
            )
        except FundRefusal as refusal:
            db.session.rollback()
            show_error(form, refusal)
        else:
            flash(_("Fund “%(name)s” saved.", name=fund.name), "success")
            return redirect(url_for("funds.show_fund", fund_id=fund.id))
    return _form_page("funds/fund_form.html", form=form, fund=fund)


@blueprint.route("/<int:fund_id>/donations/new", methods=["GET", "POST"])
@requires(Permission.RECORD_DONATIONS)
def new_donation(fund_id: int):
    fund = visible_fund(fund_id)
    form = DonationForm()
    if request.method == "GET":
        form.currency.data = fund.currency
    if form.validate_on_submit():
        try:
            record_donation(
                fund=fund,
                donor=_organisation(form.donor.data),
                amount=form.amount.data,
                currency=form.currency.data,
                donated_on=form.donated_on.data,
                status=form.status.data,
                reference=form.reference.data,
                by=current_user,
            )
        except FundRefusal as refusal:
            db.session.rollback()
            show_error(form, refusal)
        else:
            flash(_("Donation recorded."), "success")
            return redirect(url_for("funds.show_fund", fund_id=fund.id))
    return _form_page("funds/donation_form.html", form=form, fund=fund)


@blueprint.post("/donations/<int:donation_id>/advance")
@requires(Permission.RECORD_DONATIONS)
def advance(donation_id: int):
    donation = db.session.scalar(
        select(CashDonation).where(
            CashDonation.id == donation_id, visible_donations_clause(current_user)
        )
    )
    if donation is None:
        abort(404)
    form = AdvanceForm()
    form.status.choices = [(status.value, status.label) for status in DonationStatus]
    if form.validate_on_submit():
        try:
            advance_donation(donation, to=form.status.data, on=form.on.data, by=current_user)
        except FundRefusal as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
        else:
            flash(
                _("The donation is now %(status)s.", status=donation.status.label.lower()),
                "success",
            )
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(url_for("funds.show_fund", fund_id=donation.fund_id))


@blueprint.route("/<int:fund_id>/overdraft", methods=["GET", "POST"])
@requires(Permission.ALLOW_OVERDRAFT)
def overdraft(fund_id: int):
    fund = visible_fund(fund_id)
    form = OverdraftForm()
    if request.method == "GET":
        form.limit.data = fund.overdraft_limit
        form.reason.data = fund.overdraft_reason
    if form.validate_on_submit():
        try:
            allow_overdraft(fund, limit=form.limit.data, reason=form.reason.data, by=current_user)
        except FundRefusal as refusal:
            db.session.rollback()
            show_error(form, refusal)
        else:
            flash(_("The overdraft of “%(name)s” is recorded.", name=fund.name), "success")
            return redirect(url_for("funds.show_fund", fund_id=fund.id))
    return _form_page("funds/overdraft_form.html", form=form, fund=fund)


@blueprint.get("/<int:fund_id>/ledger.xlsx")
@requires(Permission.EXPORT_REPORTS)
def ledger(fund_id: int):
    fund = visible_fund(fund_id)
    buffer = io.BytesIO()
    try:
        write_fund_ledger(buffer, current_user, fund)
    except MissingRate as missing:
        flash(missing_rate_message(missing), "danger")
        return redirect(url_for("funds.show_fund", fund_id=fund.id))
    buffer.seek(0)
    return send_xlsx(buffer, ledger_file_name(fund))


@blueprint.route("/<int:fund_id>/import", methods=["GET", "POST"])
@requires(Permission.RECORD_DONATIONS)
def import_statement(fund_id: int):
    """Upload a bank statement: every row is checked and shown before anything is recorded."""
    fund = visible_fund(fund_id)
    form = StatementImportForm()
    context = {"fund": fund, "form": form, "rows": [], "problems": [], "token": None}
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("funds/import.html", **context), status
    content = form.file.data.stream.read(MAX_BYTES + 1)
    try:
        rows, problems = check_statement(fund, content)
        token = (
            None if problems else store_upload(content, user_id=current_user.id, kind="donations")
        )
    except ImportFileError as error:
        form.file.errors = [error.message]
        return render_template("funds/import.html", **context), 422
    context.update(
        rows=rows,
        problems=problems,
        token=token,
        totals=statement_total(rows),
        commit_form=StatementCommitForm(formdata=None, token=token),
    )
    return render_template("funds/import.html", **context), (422 if problems else 200)


@blueprint.post("/<int:fund_id>/import/commit")
@requires(Permission.RECORD_DONATIONS)
def commit_statement(fund_id: int):
    fund = visible_fund(fund_id)
    form = StatementCommitForm()
    path = upload_path(form.token.data, user_id=current_user.id) if form.validate() else None
    if path is None:
        flash(_("The checked file is no longer there: upload it again."), "warning")
        return redirect(url_for("funds.import_statement", fund_id=fund.id))
    try:
        added = record_statement(fund, path, by=current_user)
    except (StatementRefused, ImportFileError, FundRefusal) as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("funds.import_statement", fund_id=fund.id))
    discard_upload(form.token.data, user_id=current_user.id)
    flash(ngettext("%(num)d donation recorded.", "%(num)d donations recorded.", added), "success")
    return redirect(url_for("funds.show_fund", fund_id=fund.id))


def _organisation(organisation_id: int | None) -> Organisation | None:
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def _form_page(template: str, **context):
    """The form again: 422 when it was posted (only a refused or invalid form is shown again)."""
    return render_template(template, **context), (422 if request.method == "POST" else 200)
