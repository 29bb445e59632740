"""Exchange rates: the list, entering one, importing a CSV file."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from aidtracker.auth.permissions import Permission, requires
from aidtracker.extensions import db
from aidtracker.money.forms import RateFilterForm, RateForm, RateImportForm
from aidtracker.money.models import ExchangeRate
from aidtracker.money.service import (
    RateError,
    base_currency,
    import_rates_csv,
    rate_rule,
    save_rate,
)
from aidtracker.pagination import paginate

blueprint = Blueprint("rates", __name__, url_prefix="/rates")


@blueprint.get("/")
@requires(Permission.VIEW_RATES)
def list_rates():
    filters = RateFilterForm(request.args)
    filters.validate()
    conditions = []
    if filters.currency.data:
        conditions.append(ExchangeRate.currency == filters.currency.data)
    if filters.date_from.data and not filters.date_from.errors:
        conditions.append(ExchangeRate.rate_date >= filters.date_from.data)
    if filters.date_to.data and not filters.date_to.errors:
        conditions.append(ExchangeRate.rate_date <= filters.date_to.data)
    per_page = current_app.config["PAGE_SIZE"]
    result = paginate(
        select(ExchangeRate)
        .where(*conditions)
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.currency),
        request.args.get("page", 1, type=int),
        per_page,
        select(func.count(ExchangeRate.id)).where(*conditions),
    )
    return render_template(
        "money/rates.html",
        result=result,
        filters=filters,
        filter_args={key: value for key, value in request.args.items() if key != "page"},
        import_form=RateImportForm(),
        base=base_currency(),
        rule=rate_rule(),
    )


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_RATES)
def new_rate():
    return _rate_form(None)


@blueprint.route("/<int:rate_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_RATES)
def edit_rate(rate_id: int):
    rate = db.session.get(ExchangeRate, rate_id)
    if rate is None:
        abort(404)
    return _rate_form(rate)


def _rate_form(existing: ExchangeRate | None):
    form = RateForm(obj=existing)
    if form.validate_on_submit():
        try:
            rate = save_rate(
                currency=form.currency.data,
                rate_date=form.rate_date.data,
                rate=form.rate.data,
                source=form.source.data,
                existing=existing,
            )
        except RateError as error:
            db.session.rollback()
            for field_name, message in error.problems.items():
                form[field_name].errors.append(message)
        else:
            flash(
                _(
                    "Rate of %(currency)s on %(date)s saved.",
                    currency=rate.currency,
                    date=rate.rate_date.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("rates.list_rates", currency=rate.currency))
    status = 422 if form.errors else 200
    return render_template(
        "money/rate_form.html", form=form, rate=existing, base=base_currency()
    ), status


@blueprint.post("/import")
@requires(Permission.MANAGE_RATES)
def import_rates():
    form = RateImportForm()
    if not form.validate_on_submit():
        return render_template("money/import_result.html", form=form, result=None), 422
    result = import_rates_csv(
        form.file.data.read(), replace=form.replace.data, source=form.source.data
    )
    if result.problems:
        db.session.rollback()
        return render_template("money/import_result.html", form=form, result=result), 422
    flash(
        ngettext("%(num)d rate added", "%(num)d rates added", result.added)
        + "; "
        + ngettext("%(num)d replaced", "%(num)d replaced", result.replaced)
        + "; "
        + ngettext("%(num)d unchanged", "%(num)d unchanged", result.unchanged)
        + ".",
        "success",
    )
    return redirect(url_for("rates.list_rates"))
