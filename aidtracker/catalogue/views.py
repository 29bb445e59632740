"""Catalogue pages: the list, an item's page, adding and changing items, the picker's JSON."""

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from aidtracker.auth.permissions import Permission, requires
from aidtracker.catalogue import service
from aidtracker.catalogue.forms import (
    COMMON_CURRENCIES,
    DAC_SECTOR_LABELS,
    ItemFilterForm,
    ItemForm,
)
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.formviews import submitted

blueprint = Blueprint("catalogue", __name__, url_prefix="/catalogue")

SEARCH_LIMIT_MAX = 50


def _item_or_404(item_id: int) -> CatalogueItem:
    return db.get_or_404(CatalogueItem, item_id)


def _item_form(item: CatalogueItem | None):
    """The form that adds an item (`item` None) or changes one, and what follows its saving."""
    form = ItemForm(obj=item)
    if item is None:
        saved = submitted(
            form, lambda: service.add_item(details=form.details()), service.CatalogueError
        )
    else:
        saved = submitted(
            form,
            lambda: service.change_item(item=item, details=form.details()),
            service.CatalogueError,
        )
    if saved is not None:
        if item is None:
            flash(_("“%(name)s” was added to the catalogue.", name=saved.name_en), "success")
        else:
            flash(_("“%(name)s” was saved.", name=saved.name_en), "success")
        return redirect(url_for("catalogue.show_item", item_id=saved.id))
    return render_template(
        "catalogue/form.html", form=form, item=item, currencies=COMMON_CURRENCIES
    )


@blueprint.get("/")
@requires(Permission.VIEW_REFERENCE_DATA)
def list_items():
    filters = ItemFilterForm(request.args)
    result = service.item_page(
        text=filters.q.data,
        category=filters.chosen_category,
        active=filters.chosen_activity,
        page=request.args.get("page", default=1, type=int) or 1,
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("catalogue/list.html", result=result, filters=filters)


@blueprint.get("/search.json")
@requires(Permission.VIEW_REFERENCE_DATA)
def search_json():
    limit = request.args.get("limit", default=20, type=int) or 20
    items = service.search_items(
        request.args.get("q", ""), limit=min(max(limit, 1), SEARCH_LIMIT_MAX)
    )
    return jsonify([service.item_as_json(item) for item in items])


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def new_item():
    return _item_form(None)


@blueprint.get("/<int:item_id>")
@requires(Permission.VIEW_REFERENCE_DATA)
def show_item(item_id: int):
    item = _item_or_404(item_id)
    return render_template(
        "catalogue/detail.html",
        item=item,
        lines=service.lines_using(item),
        sector_label=DAC_SECTOR_LABELS[item.dac_sector],
    )


@blueprint.route("/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def edit_item(item_id: int):
    return _item_form(_item_or_404(item_id))


@blueprint.post("/<int:item_id>/deactivate")
@requires(Permission.MANAGE_REFERENCE_DATA)
def deactivate_item(item_id: int):
    item = _item_or_404(item_id)
    service.deactivate_item(item=item)
    flash(
        _("“%(name)s” is inactive: it is no longer offered for new lines.", name=item.name_en),
        "success",
    )
    return redirect(url_for("catalogue.show_item", item_id=item.id))


@blueprint.post("/<int:item_id>/reactivate")
@requires(Permission.MANAGE_REFERENCE_DATA)
def reactivate_item(item_id: int):
    item = _item_or_404(item_id)
    service.reactivate_item(item=item)
    flash(_("“%(name)s” is offered for new lines again.", name=item.name_en), "success")
    return redirect(url_for("catalogue.show_item", item_id=item.id))


@blueprint.post("/<int:item_id>/delete")
@requires(Permission.MANAGE_REFERENCE_DATA)
def delete_item(item_id: int):
    item = _item_or_404(item_id)
    name = item.name_en
    try:
        service.delete_item(item=item)
    except service.ItemInUse as error:
        flash(str(error), "danger")
        return redirect(url_for("catalogue.show_item", item_id=item_id))
    flash(_("“%(name)s” was deleted from the catalogue.", name=name), "success")
    return redirect(url_for("catalogue.list_items"))
