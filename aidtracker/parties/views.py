"""Pages for organisations, cities and partnerships (with their steps)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from aidtracker.auth.permissions import Permission, requires
from aidtracker.dashboard.queries import aid_sent
from aidtracker.extensions import db
from aidtracker.formviews import submitted
from aidtracker.parties import service
from aidtracker.parties.forms import (
    PART_LABELS,
    CityFilterForm,
    CityForm,
    OrganisationFilterForm,
    OrganisationForm,
    PartnershipFilterForm,
    PartnershipForm,
    StepForm,
)
from aidtracker.parties.models import City, Organisation, PartnershipLevel, PartnershipStep

organisations = Blueprint("organisations", __name__, url_prefix="/organisations")
cities = Blueprint("cities", __name__, url_prefix="/cities")
partnerships = Blueprint("partnerships", __name__, url_prefix="/partnerships")
blueprints = (organisations, cities, partnerships)


@organisations.app_template_filter("country_name")
def country_name(code: str | None) -> str:
    """The country's name in the user's language: ``{{ city.country | country_name }}``."""
    return service.country_name(code, get_locale())


def _saved(form, save):
    """What `save()` returns once the posted `form` is valid and the rules agree; else None."""
    return submitted(form, save, service.PartiesError)


def _page_number() -> int:
    return request.args.get("page", default=1, type=int) or 1


# -- organisations ----------------------------------------------------------------------------


@organisations.get("/")
@requires(Permission.VIEW_REFERENCE_DATA)
def list_organisations():
    filters = OrganisationFilterForm(request.args)
    result = service.organisation_page(
        text=filters.q.data,
        kind=filters.chosen_kind,
        part=filters.chosen_part,
        page=_page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "parties/organisation_list.html", result=result, filters=filters, parts=PART_LABELS
    )


@organisations.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def new_organisation():
    return _organisation_form(None)


@organisations.get("/<int:organisation_id>")
@requires(Permission.VIEW_REFERENCE_DATA)
def show_organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template(
        "parties/organisation_detail.html",
        organisation=organisation,
        use=service.organisation_use(organisation),
        parts=PART_LABELS,
    )


@organisations.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def edit_organisation(organisation_id: int):
    return _organisation_form(db.get_or_404(Organisation, organisation_id))


def _organisation_form(organisation: Organisation | None):
    """The form that adds an organisation (`organisation` None) or changes one."""
    form = OrganisationForm(obj=organisation)
    if organisation is None:
        saved = _saved(form, lambda: service.add_organisation(details=form.details()))
    else:
        saved = _saved(
            form,
            lambda: service.change_organisation(organisation=organisation, details=form.details()),
        )
    if saved is not None:
        if organisation is None:
            flash(_("“%(name)s” was added.", name=saved.name), "success")
        else:
            flash(_("“%(name)s” was saved.", name=saved.name), "success")
        return redirect(url_for("organisations.show_organisation", organisation_id=saved.id))
    return render_template("parties/organisation_form.html", form=form, organisation=organisation)


# -- cities -----------------------------------------------------------------------------------


@cities.get("/")
@requires(Permission.VIEW_REFERENCE_DATA)
def list_cities():
    filters = CityFilterForm(request.args)
    result = service.city_page(
        text=filters.q.data, page=_page_number(), per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template("parties/city_list.html", result=result, filters=filters)


@cities.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def new_city():
    return _city_form(None)


@cities.route("/<int:city_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def edit_city(city_id: int):
    return _city_form(db.get_or_404(City, city_id))


def _city_form(city: City | None):
    """The form that adds a city (`city` None) or changes one; a used city keeps its code."""
    form = CityForm(obj=city)
    if city is None:
        saved = _saved(form, lambda: service.add_city(details=form.details()))
    else:
        saved = _saved(form, lambda: service.change_city(city=city, details=form.details()))
    if saved is not None:
        if city is None:
            flash(_("%(name)s (%(code)s) was added.", name=saved.name, code=saved.code), "success")
        else:
            flash(_("%(name)s (%(code)s) was saved.", name=saved.name, code=saved.code), "success")
        return redirect(url_for("cities.list_cities"))
    return render_template(
        "parties/city_form.html",
        form=form,
        city=city,
        code_locked=city is not None and service.shipments_of_city(city) > 0,
    )


# -- partnerships -----------------------------------------------------------------------------


@partnerships.get("/")
@requires(Permission.VIEW_REFERENCE_DATA)
def list_partnerships():
    filters = PartnershipFilterForm(request.args)
    result = service.partnership_page(
        text=filters.q.data, page=_page_number(), per_page=current_app.config["PAGE_SIZE"]
    )
    aid = aid_sent(current_user, [(p.city_id, p.partner_city_id) for p in result.items])
    return render_template("parties/partnership_list.html", result=result, filters=filters, aid=aid)


@partnerships.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def new_partnership():
    form = PartnershipForm()
    partnership = _saved(
        form,
        lambda: service.add_partnership(
            city_id=form.city_id.data, partner_city_id=form.partner_city_id.data
        ),
    )
    if partnership is not None:
        flash(
            _(
                "The partnership of %(city)s and %(partner)s was recorded. Now add its first step.",
                city=partnership.city.name,
                partner=partnership.partner_city.name,
            ),
            "success",
        )
        return redirect(url_for("partnerships.show_partnership", partnership_id=partnership.id))
    return render_template("parties/partnership_form.html", form=form)


def _partnership_or_404(partnership_id: int):
    partnership = service.partnership_with_steps(partnership_id)
    if partnership is None:
        abort(404)
    return partnership


def _next_level(partnership) -> PartnershipLevel:
    recorded = {step.level for step in partnership.steps}
    return next(
        (level for level in PartnershipLevel if level not in recorded), PartnershipLevel.MEMORANDUM
    )


def _render_partnership(partnership, step_form):
    return render_template(
        "parties/partnership_detail.html", partnership=partnership, step_form=step_form
    )


@partnerships.get("/<int:partnership_id>")
@requires(Permission.VIEW_REFERENCE_DATA)
def show_partnership(partnership_id: int):
    partnership = _partnership_or_404(partnership_id)
    return _render_partnership(partnership, StepForm(level=_next_level(partnership)))


@partnerships.post("/<int:partnership_id>/steps")
@requires(Permission.MANAGE_REFERENCE_DATA)
def add_step(partnership_id: int):
    partnership = _partnership_or_404(partnership_id)
    form = StepForm()
    step = _saved(
        form,
        lambda: service.add_step(
            partnership=partnership,
            level=form.level.data,
            signed_on=form.signed_on.data,
            act=form.act.data,
        ),
    )
    if step is not None:
        flash(_("“%(step)s” was recorded.", step=step.level.label), "success")
        return redirect(url_for("partnerships.show_partnership", partnership_id=partnership_id))
    return _render_partnership(partnership, form)


def _step_or_404(partnership_id: int, step_id: int) -> PartnershipStep:
    step = db.session.get(PartnershipStep, step_id)
    if step is None or step.partnership_id != partnership_id:
        abort(404)
    return step


@partnerships.route("/<int:partnership_id>/steps/<int:step_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def edit_step(partnership_id: int, step_id: int):
    step = _step_or_404(partnership_id, step_id)
    form = StepForm(obj=step)
    saved = _saved(
        form,
        lambda: service.change_step(
            step=step, level=form.level.data, signed_on=form.signed_on.data, act=form.act.data
        ),
    )
    if saved is not None:
        flash(_("The step was saved."), "success")
        return redirect(url_for("partnerships.show_partnership", partnership_id=partnership_id))
    return render_template("parties/step_form.html", form=form, step=step)


@partnerships.post("/<int:partnership_id>/steps/<int:step_id>/delete")
@requires(Permission.MANAGE_REFERENCE_DATA)
def delete_step(partnership_id: int, step_id: int):
    step = _step_or_404(partnership_id, step_id)
    label = step.level.label
    service.remove_step(step=step)
    flash(_("The step “%(step)s” was removed.", step=label), "success")
    return redirect(url_for("partnerships.show_partnership", partnership_id=partnership_id))
