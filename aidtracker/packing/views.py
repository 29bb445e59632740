"""The units of a shipment: packing them, their labels, receipt by unit, and each unit's public
page (what the QR code on its label opens)."""

from dataclasses import dataclass
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from aidtracker.auth.access import public
from aidtracker.auth.permissions import Permission, ShipmentAccess, requires
from aidtracker.i18n import current_language
from aidtracker.packing import rules, service
from aidtracker.packing.forms import (
    BulkPackingForm,
    ContentForm,
    UnitForm,
    receipt_form_for,
)
from aidtracker.packing.labels import labels_for
from aidtracker.packing.models import PackingUnit
from aidtracker.packing.service import (
    CountedPart,
    PackingError,
    PackingFieldErrors,
    UnitNotFound,
)
from aidtracker.shipments import receipt
from aidtracker.shipments.lifecycle import GOOD, LifecycleError
from aidtracker.shipments.models import Shipment
from aidtracker.shipments.queries import shipment_by_reference
from aidtracker.shipments.status import (
    NotPermitted,
    ShipmentChanged,
    local_today,
    may_confirm_receipt_now,
    user_message,
)
from aidtracker.shipments.status_forms import expected_version
from aidtracker.tracking.service import shipment_by_token

blueprint = Blueprint("packing", __name__)
blueprint.record_once(lambda _state: service.keep_packing_within_lines())

LAYOUTS = ("sheet", "single")
"""Labels print on A4 sheets, six to a page, or one per page on a label printer."""


def _shipment(reference: str) -> tuple[Shipment, ShipmentAccess]:
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    return shipment, ShipmentAccess(current_user, shipment)


def _units_page(reference: str):
    return redirect(url_for("packing.units_page", reference=reference))


def _unit_page(reference: str, number: int):
    return redirect(url_for("packing.unit_page", reference=reference, number=number))


def _show_errors(form, error: PackingFieldErrors) -> None:
    for name, message in error.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "danger")


# The units page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    unit: PackingUnit
    number: str
    on: str | None
    held: dict
    weight_kg: Decimal | None
    volume_m3: Decimal | None


def _rows(units: list[PackingUnit], every_unit: list[PackingUnit]) -> list[UnitRow]:
    children = service.children_of(every_unit)
    total = len(every_unit)
    by_id = {unit.id: unit for unit in every_unit}
    return [
        UnitRow(
            unit=unit,
            number=service.label_of(unit, total),
            on=service.label_of(by_id[unit.parent_id], total) if unit.parent_id else None,
            held=service.held_in(unit, children),
            weight_kg=service.unit_weight(unit, children),
            volume_m3=service.unit_volume(unit, children),
        )
        for unit in units
    ]


def _render_units(shipment, access, *, bulk=None, new_unit=None, status: int = 200):
    every_unit = service.units_of(shipment)
    units = service.visible_units(every_unit, access)
    packed = service.packed_by_line(every_unit)
    may_pack = service.may_pack(shipment, current_user)
    if may_pack:
        bulk = bulk or BulkPackingForm(formdata=None, prefix="bulk")
        bulk.fill_choices(shipment.lines, current_language())
        new_unit = new_unit or UnitForm(formdata=None, prefix="unit")
        new_unit.fill_choices(every_unit)
    return render_template(
        "packing/units.html",
        shipment=shipment,
        access=access,
        rows=_rows(units, every_unit),
        totals=service.packing_totals(units),
        lines=[(line, packed.get(line.id, Decimal(0))) for line in access.lines],
        may_pack=may_pack,
        may_receive=may_confirm_receipt_now(shipment, current_user) and bool(every_unit),
        bulk=bulk,
        new_unit=new_unit,
    ), status


def _answer_form(reference: str, form, *, change, refused: str, again, back):
    """A packing form, checked and its `change` made (it flashes what happened and returns the
    page to go to). Refused, the page is drawn `again(form)` with the messages (422); a change
    made stale or forbidden meanwhile lands on `back()`, and one whose unit is gone on the units
    page."""
    if form.validate_on_submit():
        try:
            return change(form)
        except PackingFieldErrors as error:
            _show_errors(form, error)
            refused = str(error)
        except UnitNotFound as error:
            flash(str(error), "danger")
            return _units_page(reference)
        except (PackingError, NotPermitted, ShipmentChanged) as error:
            flash(str(error), "danger")
            return back()
    flash(refused, "danger")
    return again(form)


@blueprint.get("/shipments/<reference>/units")
@requires(Permission.VIEW_SHIPMENTS)
def units_page(reference: str):
    shipment, access = _shipment(reference)
    return _render_units(shipment, access)


@blueprint.post("/shipments/<reference>/units/bulk")
@requires(Permission.EDIT_SHIPMENTS)
def pack_in_bulk(reference: str):
    shipment, access = _shipment(reference)
    form = BulkPackingForm(prefix="bulk")
    form.fill_choices(shipment.lines, current_language())

    def change(form):
        result = service.pack_line(shipment, form.order(), by=current_user)
        boxes, pallets = len(result.boxes), len(result.pallets)
        if pallets:
            message = ngettext(
                "Packed into %(num)d unit on %(pallets)s.",
                "Packed into %(num)d units on %(pallets)s.",
                boxes,
                pallets=ngettext("%(num)d pallet", "%(num)d pallets", pallets),
            )
        else:
            message = ngettext("Packed into %(num)d unit.", "Packed into %(num)d units.", boxes)
        flash(message, "success")
        return _units_page(reference)

    return _answer_form(
        reference,
        form,
        change=change,
        refused=_("Nothing was packed; see the messages next to the fields."),
        again=lambda form: _render_units(shipment, access, bulk=form, status=422),
        back=lambda: _units_page(reference),
    )


@blueprint.post("/shipments/<reference>/units/new")
@requires(Permission.EDIT_SHIPMENTS)
def new_unit(reference: str):
    shipment, access = _shipment(reference)
    form = UnitForm(prefix="unit")
    form.fill_choices(service.units_of(shipment))

    def change(form):
        unit = service.add_unit(shipment, form.details(), by=current_user)
        flash(_("Unit %(number)d added.", number=unit.number), "success")
        return _unit_page(reference, unit.number)

    return _answer_form(
        reference,
        form,
        change=change,
        refused=_("The unit was not added; see the messages next to the fields."),
        again=lambda form: _render_units(shipment, access, new_unit=form, status=422),
        back=lambda: _units_page(reference),
    )


@blueprint.post("/shipments/<reference>/units/unpack")
@requires(Permission.EDIT_SHIPMENTS)
def unpack_all(reference: str):
    shipment, _access = _shipment(reference)
    try:
        count = service.remove_all_units(shipment, by=current_user)
    except (PackingError, NotPermitted, ShipmentChanged) as error:
        flash(str(error), "danger")
        return _units_page(reference)
    flash(
        ngettext(
            "%(num)d unit removed: nothing is packed now.",
            "All %(num)d units removed: nothing is packed now.",
            count,
        ),
        "success",
    )
    return _units_page(reference)


# One unit ---------------------------------------------------------------------------------------


def _render_unit(shipment, access, number, *, edit=None, content=None, status: int = 200):
    every_unit = service.units_of(shipment)
    unit = next((u for u in service.visible_units(every_unit, access) if u.number == number), None)
    if unit is None:
        abort(404)
    visible_lines = {line.id for line in access.lines}
    may_pack = service.may_pack(shipment, current_user)
    if may_pack:
        if edit is None:
            edit = UnitForm(
                formdata=None,
                prefix="unit",
                kind=unit.kind,
                parent=_number_of(every_unit, unit.parent_id),
                gross_weight_kg=unit.gross_weight_kg,
                length_cm=unit.length_cm,
                width_cm=unit.width_cm,
                height_cm=unit.height_cm,
            )
        edit.fill_choices(every_unit)
        edit.parent.choices = [c for c in edit.parent.choices if c.value != str(unit.number)]
        content = content or ContentForm(formdata=None, prefix="content")
        content.fill_choices(shipment.lines, current_language())
    return render_template(
        "packing/unit.html",
        shipment=shipment,
        access=access,
        row=_rows([unit], every_unit)[0],
        contents=[c for c in unit.contents if c.line_id in visible_lines],
        may_pack=may_pack,
        edit=edit,
        content=content,
    ), status


def _number_of(units: list[PackingUnit], unit_id: int | None) -> int | None:
    return next((u.number for u in units if u.id == unit_id), None)


@blueprint.get("/shipments/<reference>/units/<int:number>")
@requires(Permission.VIEW_SHIPMENTS)
def unit_page(reference: str, number: int):
    shipment, access = _shipment(reference)
    return _render_unit(shipment, access, number)


@blueprint.post("/shipments/<reference>/units/<int:number>/edit")
@requires(Permission.EDIT_SHIPMENTS)
def edit_unit(reference: str, number: int):
    shipment, access = _shipment(reference)
    form = UnitForm(prefix="unit")
    form.fill_choices(service.units_of(shipment))

    def change(form):
        service.change_unit(shipment, number, form.details(), by=current_user)
        flash(_("Unit %(number)d saved.", number=number), "success")
        return _unit_page(reference, number)

    return _answer_form(
        reference,
        form,
        change=change,
        refused=_("The unit was not changed; see the messages next to the fields."),
        again=lambda form: _render_unit(shipment, access, number, edit=form, status=422),
        back=lambda: _unit_page(reference, number),
    )


@blueprint.post("/shipments/<reference>/units/<int:number>/contents")
@requires(Permission.EDIT_SHIPMENTS)
def add_content(reference: str, number: int):
    shipment, access = _shipment(reference)
    form = ContentForm(prefix="content")
    form.fill_choices(shipment.lines, current_language())

    def change(form):
        service.put_in_unit(
            shipment, number, by=current_user, line_id=form.line.data, quantity=form.quantity.data
        )
        flash(_("Packed in unit %(number)d.", number=number), "success")
        return _unit_page(reference, number)

    return _answer_form(
        reference,
        form,
        change=change,
        refused=_("Nothing was packed; see the messages next to the fields."),
        again=lambda form: _render_unit(shipment, access, number, content=form, status=422),
        back=lambda: _unit_page(reference, number),
    )


@blueprint.post("/shipments/<reference>/units/<int:number>/contents/<int:content_id>/remove")
@requires(Permission.EDIT_SHIPMENTS)
def remove_content(reference: str, number: int, content_id: int):
    shipment, _access = _shipment(reference)
    try:
        service.take_out(shipment, number, content_id, by=current_user)
    except (PackingError, NotPermitted, ShipmentChanged) as error:
        flash(str(error), "danger")
        return _unit_page(reference, number)
    flash(_("Taken out of unit %(number)d: no longer packed.", number=number), "success")
    return _unit_page(reference, number)


@blueprint.post("/shipments/<reference>/units/<int:number>/remove")
@requires(Permission.EDIT_SHIPMENTS)
def remove_unit(reference: str, number: int):
    shipment, _access = _shipment(reference)
    try:
        service.remove_unit(shipment, number, by=current_user)
    except (PackingError, NotPermitted, ShipmentChanged) as error:
        flash(str(error), "danger")
        return _units_page(reference)
    flash(_("Unit removed; the units after it were numbered anew."), "success")
    return _units_page(reference)


# Labels -----------------------------------------------------------------------------------------


@blueprint.get("/shipments/<reference>/units/labels")
@requires(Permission.VIEW_SHIPMENTS)
def labels(reference: str):
    shipment, access = _shipment(reference)
    if not access.sees_all_lines:
        abort(404)  # a label sums up everything in a unit: for those who see all of it
    every_unit = service.units_of(shipment)
    selected = every_unit
    only = request.args.get("unit", type=int)
    if only is not None:
        selected = [unit for unit in every_unit if unit.number == only]
        if not selected:
            abort(404)
    layout = request.args.get("layout")
    return render_template(
        "packing/labels.html",
        shipment=shipment,
        labels=labels_for(shipment, every_unit, selected),
        layout=layout if layout in LAYOUTS else LAYOUTS[0],
        only=only,
    )


# Receipt by unit --------------------------------------------------------------------------------


@blueprint.route("/shipments/<reference>/units/receipt", methods=["GET", "POST"])
@requires(Permission.CONFIRM_RECEIPT)
def receipt_by_unit(reference: str):
    shipment, access = _shipment(reference)
    if not access.may_confirm_receipt:
        abort(403)
    units = service.units_of(shipment)
    if not may_confirm_receipt_now(shipment, current_user) or not units:
        flash(
            _("Receipt by unit is for a delivered shipment packed in units."),
            "warning",
        )
        return _units_page(reference)
    packed = service.packed_by_line(units)
    unpacked = [
        (line, line.quantity - packed.get(line.id, Decimal(0)))
        for line in shipment.lines
        if line.quantity > packed.get(line.id, Decimal(0))
    ]
    if request.method == "GET":
        defaults = {"version": str(shipment.version), "received_on": local_today()}
        for unit in units:
            defaults[f"unit_{unit.number}"] = (
                rules.AS_CONTAINER if unit.parent_id else rules.ARRIVED_WHOLE
            )
            for content in unit.contents:
                defaults[f"content_{content.id}_quantity"] = content.quantity
                defaults[f"content_{content.id}_condition"] = GOOD
        for line, left in unpacked:
            defaults[f"line_{line.id}_quantity"] = left
            defaults[f"line_{line.id}_condition"] = GOOD
        form = receipt_form_for(units, [line.id for line, _left in unpacked], data=defaults)
        return _render_receipt(shipment, units, unpacked, form)
    form = receipt_form_for(units, [line.id for line, _left in unpacked])
    if not form.validate():
        flash(_("Receipt was not confirmed; see the messages next to the fields."), "danger")
        return _render_receipt(shipment, units, unpacked, form, 422)

    def counted(prefix: str) -> CountedPart:
        return CountedPart(form[f"{prefix}_quantity"].data, form[f"{prefix}_condition"].data)

    try:
        service.confirm_receipt_by_unit(
            shipment,
            by=current_user,
            states={unit.number: form[f"unit_{unit.number}"].data for unit in units},
            opened={
                content.id: counted(f"content_{content.id}")
                for unit in units
                for content in unit.contents
            },
            unpacked={line.id: counted(f"line_{line.id}") for line, _left in unpacked},
            on=form.received_on.data,
            note=form.note.data,
            expected_version=expected_version(form),
        )
    except NotPermitted:
        abort(403)
    except PackingFieldErrors as error:
        _show_errors(form, error)
        flash(_("Receipt was not confirmed; see the messages next to the fields."), "danger")
        return _render_receipt(shipment, units, unpacked, form, 422)
    except (receipt.ReceiptIncomplete, receipt.ReceiptErrors, ShipmentChanged) as error:
        flash(str(error), "danger")
        return _render_receipt(shipment, units, unpacked, form, 409)
    except LifecycleError as error:
        if error.field == "on":
            form.received_on.errors = [*form.received_on.errors, user_message(error)]
            flash(_("Receipt was not confirmed; see the messages next to the fields."), "danger")
            return _render_receipt(shipment, units, unpacked, form, 422)
        flash(user_message(error), "danger")
        return _units_page(reference)
    flash(
        _(
            "Receipt confirmed: %(reference)s is %(status)s.",
            reference=shipment.reference,
            status=shipment.status.label.lower(),
        ),
        "success",
    )
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference))


def _render_receipt(shipment, units, unpacked, form, status: int = 200):
    return render_template(
        "packing/receipt.html",
        shipment=shipment,
        rows=_rows(units, units),
        unpacked=unpacked,
        form=form,
    ), status


# The public page of a unit ----------------------------------------------------------------------


@blueprint.get("/track/<token>/units/<int:number>")
@public
def track_unit(token: str, number: int):
    """What a unit's QR code opens: where it goes and how its shipment stands, never what it
    holds. Unknown, renewed or revoked tokens, and unit numbers the shipment does not have, get
    the site's ordinary 404, as on the tracking page."""
    shipment = shipment_by_token(token)
    if shipment is None:
        abort(404)
    found = service.unit_by_token(token, number)
    if found is None:
        abort(404)
    unit, total = found
    response = make_response(
        render_template(
            "packing/track_unit.html",
            shipment=shipment,
            unit=unit,
            number=service.label_of(unit, total),
            token=token,
        )
    )
    # As on the tracking page: the token must not leak, be indexed, or stay in a shared cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


# The shipment page's summary --------------------------------------------------------------------


@blueprint.app_template_global()
def packing_summary(access: ShipmentAccess) -> dict:
    """What the shipment page's header shows of the packing: the totals of the units the user
    sees, and whether they may pack or print labels."""
    units = service.visible_units(service.units_of(access.shipment), access)
    return {
        "totals": service.packing_totals(units),
        "may_pack": service.may_pack(access.shipment, access.user),
        "may_print": access.sees_all_lines and bool(units),
        "may_confirm_by_unit": bool(units)
        and access.may_confirm_receipt
        and may_confirm_receipt_now(access.shipment, access.user),
    }
