"""The JSON API, version 1: shipments, their events and receipt, for programs with a token.

Views are thin: they read the query or the JSON body, call the same services as the pages
(``shipment_page``, ``shipment_by_reference``, ``status.apply``, ``receipt.confirm_receipt``) and
turn their named exceptions into JSON errors. Scope is the pages' scope: a shipment the token's
user may not see answers 404.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from aidtracker.api.errors import json_error
from aidtracker.api.location import LocationErrors, NotOnTheWay, report_location
from aidtracker.api.openapi import openapi_document
from aidtracker.api.serialise import event_json, shipment_detail, shipment_summary
from aidtracker.api.tokens import bearer_secret, hash_token
from aidtracker.auth.access import public
from aidtracker.auth.permissions import Permission, has_permission, requires
from aidtracker.catalogue.models import Category
from aidtracker.extensions import csrf, limiter
from aidtracker.shipments import lifecycle, receipt, status
from aidtracker.shipments.lifecycle import LifecycleError
from aidtracker.shipments.models import CustomsStatus, Shipment, ShipmentStatus
from aidtracker.shipments.queries import SORT_ORDERS, ShipmentFilters, shipment_by_reference
from aidtracker.shipments.queries import shipment_page as list_page
from aidtracker.shipments.status import NotPermitted, ShipmentChanged

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(blueprint)  # authenticated by a header a page cannot make a browser send

MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1
"""Larger ids cannot exist (INTEGER keys) and would overflow PostgreSQL's parameter."""
LOCATION_ACTION = "report_location"
MOVE_ACTIONS = tuple(action for action in lifecycle.ACTIONS if action != "confirm_receipt")
EVENT_ACTIONS = (*MOVE_ACTIONS, LOCATION_ACTION)
TEXT_LIMITS = {
    "location": 200,
    "note": 2000,
    "declaration_number": 60,
    "border_crossing": 120,
    "target": 32,
}


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "120/minute")


def _rate_key() -> str:
    """Per token (whoever holds it, wherever from); per address for calls without one."""
    secret = bearer_secret()
    return f"api-token:{hash_token(secret)}" if secret else f"api-address:{get_remote_address()}"


rate_limited = limiter.shared_limit(_rate_limit, scope="api", key_func=_rate_key)
"""One budget per token for the whole API, not per endpoint."""


class Invalid(Exception):
    """The request's parameters or body are wrong: ``fields`` says which and why."""

    def __init__(self, fields: dict, status_code: int = 422):
        super().__init__("invalid request")
        self.fields = fields
        self.status_code = status_code


@blueprint.errorhandler(Invalid)
def _invalid(error: Invalid):
    return json_error(error.status_code, None, error.fields)


def _clean_text(value, field: str, errors: dict, *, required: bool = False) -> str | None:
    """A string field: a string, within its length, without NUL (PostgreSQL refuses it)."""
    if value is None:
        if required:
            errors[field] = _("This field is required.")
        return None
    if not isinstance(value, str):
        errors[field] = _("Must be a string.")
        return None
    if "\x00" in value:
        errors[field] = _("Must not contain NUL characters.")
        return None
    limit = TEXT_LIMITS.get(field, 200)
    if len(value) > limit:
        errors[field] = _("At most %(limit)d characters.", limit=limit)
        return None
    if required and not value.strip():
        errors[field] = _("This field is required.")
        return None
    return value


def _parse_date(value, field: str, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = _("Use a date written YYYY-MM-DD.")
    return None


def _choice(value: str, field: str, choices, errors: dict) -> str:
    if value and value not in choices:
        errors[field] = _("Choose one of: %(choices)s.", choices=", ".join(choices))
        return ""
    return value


def _positive_int(raw: str | None, field: str, errors: dict, *, default, maximum=MAX_ID):
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        errors[field] = _("Use a whole number from 1 to %(maximum)d.", maximum=maximum)
        return default
    return int(raw)


def _filters_from_query() -> tuple[ShipmentFilters, int, int]:
    """The list's filters and page from the query string; anything wrong is a 422."""
    args = request.args
    errors: dict[str, str] = {}
    for name, value in args.items(multi=True):
        if "\x00" in value:
            errors[name] = _("Must not contain NUL characters.")
    if errors:
        raise Invalid(errors)
    text = _clean_text(args.get("text", ""), "text", errors) or ""
    filters = ShipmentFilters(
        text=text,
        status=_choice(args.get("status", ""), "status", [s.value for s in ShipmentStatus], errors),
        customs_status=_choice(
            args.get("customs_status", ""),
            "customs_status",
            [s.value for s in CustomsStatus],
            errors,
        ),
        destination_city_id=_positive_int(
            args.get("destination_city_id"), "destination_city_id", errors, default=None
        ),
        category=_choice(args.get("category", ""), "category", [c.value for c in Category], errors),
        departure_from=_parse_date(args.get("departure_from"), "departure_from", errors),
        departure_to=_parse_date(args.get("departure_to"), "departure_to", errors),
        sort=_choice(args.get("sort", ""), "sort", list(SORT_ORDERS), errors) or "newest",
    )
    page = _positive_int(args.get("page"), "page", errors, default=1)
    default_size = min(current_app.config["PAGE_SIZE"], MAX_PER_PAGE)
    per_page = _positive_int(
        args.get("per_page"), "per_page", errors, default=default_size, maximum=MAX_PER_PAGE
    )
    if errors:
        raise Invalid(errors)
    return filters, page, per_page


def _json_body() -> dict:
    """The request's JSON object: 415 if it is not JSON, 400 if it cannot be read."""
    if not request.is_json:
        abort(415)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        body = None
    if body is None:
        abort(400, _("The body is not valid JSON."))
    if not isinstance(body, dict):
        raise Invalid({"body": _("Send a JSON object.")})
    return body


def _shipment_or_404(reference: str) -> Shipment:
    if "\x00" in reference:
        abort(404)
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    return shipment


def _lifecycle_refusal(error: LifecycleError):
    """422 for a value the rules refuse (it names its field), 409 for the shipment's state."""
    if error.field:
        return json_error(
            422, status.user_message(error), {error.field: status.user_message(error)}
        )
    if isinstance(error, lifecycle.UnknownAction):
        return json_error(422, status.user_message(error), {"action": status.user_message(error)})
    return json_error(409, status.user_message(error))


@blueprint.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API; public, like any API's documentation."""
    return jsonify(openapi_document())


@blueprint.get("/shipments")
@rate_limited
@requires(Permission.VIEW_SHIPMENTS)
def list_shipments():
    filters, page, per_page = _filters_from_query()
    result = list_page(current_user, page, per_page, filters)
    return jsonify(
        {
            "items": [shipment_summary(shipment) for shipment in result.items],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        }
    )


@blueprint.get("/shipments/<reference>")
@rate_limited
@requires(Permission.VIEW_SHIPMENTS)
def show_shipment(reference: str):
    return jsonify(shipment_detail(current_user, _shipment_or_404(reference)))


@blueprint.post("/shipments/<reference>/events")
@rate_limited
@requires(Permission.VIEW_SHIPMENTS)  # moves need EDIT_SHIPMENTS, location reports a carrier
def add_event(reference: str):
    shipment = _shipment_or_404(reference)
    body = _json_body()
    errors: dict[str, str] = {}
    action = body.get("action")
    if not isinstance(action, str) or action not in EVENT_ACTIONS:
        errors["action"] = _("Choose one of: %(choices)s.", choices=", ".join(EVENT_ACTIONS))
    texts = {
        name: _clean_text(
            body.get(name), name, errors, required=name == "location" and action == LOCATION_ACTION
        )
        for name in TEXT_LIMITS
    }
    on = _parse_date(body.get("on"), "on", errors)
    if errors:
        raise Invalid(errors)
    try:
        if action == LOCATION_ACTION:
            event = report_location(
                shipment, by=current_user, location=texts["location"], note=texts["note"]
            )
        else:
            if not has_permission(current_user, Permission.EDIT_SHIPMENTS):
                abort(403)
            event = status.apply(
                shipment,
                action,
                by=current_user,
                on=on,
                location=texts["location"],
                note=texts["note"],
                target=texts["target"] or None,
                declaration_number=texts["declaration_number"],
                border_crossing=texts["border_crossing"],
            )
    except NotPermitted:
        abort(403)
    except (ShipmentChanged, NotOnTheWay) as error:
        return json_error(409, str(error))
    except LocationErrors as error:
        return json_error(422, str(error), error.errors)
    except LifecycleError as error:
        return _lifecycle_refusal(error)
    response = jsonify(
        {
            "event": event_json(event),
            "status": shipment.status.value,
            "customs_status": shipment.customs_status.value,
        }
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.show_shipment", reference=shipment.reference)
    return response


def _received_lines(raw, errors: dict) -> dict[int, receipt.ReceivedLine]:
    """``lines`` of the receipt body: a list of {line_id, received_quantity, condition, note}."""
    if not isinstance(raw, list) or not raw:
        errors["lines"] = _("Send a list with one entry for every line of the shipment.")
        return {}
    lines: dict[int, receipt.ReceivedLine] = {}
    line_errors: dict[str, dict[str, str]] = {}
    for index, entry in enumerate(raw):
        problems: dict[str, str] = {}
        if not isinstance(entry, dict):
            line_errors[str(index)] = {"line": _("Each line is a JSON object.")}
            continue
        line_id = entry.get("line_id")
        if isinstance(line_id, bool) or not isinstance(line_id, int) or not 1 <= line_id <= MAX_ID:
            problems["line_id"] = _("The id of a line of the shipment.")
        elif line_id in lines:
            problems["line_id"] = _("Each line is confirmed once.")
        quantity = entry.get("received_quantity")
        amount = None
        if isinstance(quantity, bool) or not isinstance(quantity, (int, float, str)):
            problems["received_quantity"] = _("Enter a number.")
        else:
            try:
                amount = Decimal(str(quantity).strip())
            except InvalidOperation:
                problems["received_quantity"] = _("Enter a number.")
            else:
                if not amount.is_finite():
                    problems["received_quantity"] = _("Enter a number.")
                    amount = None
        condition = entry.get("condition")
        if not isinstance(condition, str) or condition not in lifecycle.CONDITIONS:
            problems["condition"] = _(
                "Choose one of: %(choices)s.", choices=", ".join(lifecycle.CONDITIONS)
            )
        note = _clean_text(entry.get("note"), "note", problems)
        if problems:
            line_errors[str(index)] = problems
        else:
            lines[line_id] = receipt.ReceivedLine(amount, condition, note)
    if line_errors:
        errors["lines"] = line_errors
    return lines


@blueprint.post("/shipments/<reference>/receipt")
@rate_limited
@requires(Permission.CONFIRM_RECEIPT)
def confirm_receipt(reference: str):
    shipment = _shipment_or_404(reference)
    body = _json_body()
    errors: dict = {}
    lines = _received_lines(body.get("lines"), errors)
    received_on = _parse_date(body.get("received_on"), "received_on", errors)
    location = _clean_text(body.get("location"), "location", errors)
    note = _clean_text(body.get("note"), "note", errors)
    if errors:
        raise Invalid(errors)
    try:
        event = receipt.confirm_receipt(
            shipment, by=current_user, lines=lines, on=received_on, location=location, note=note
        )
    except NotPermitted:
        abort(403)
    except receipt.ReceiptErrors as error:
        by_line = {str(line_id): fields for line_id, fields in error.errors.items()}
        return json_error(422, str(error), {"lines": by_line})
    except receipt.ReceiptIncomplete as error:
        return json_error(422, str(error), {"lines": str(error)})
    except ShipmentChanged as error:
        return json_error(409, str(error))
    except lifecycle.DateNotAllowed as error:
        return json_error(
            422, status.user_message(error), {"received_on": status.user_message(error)}
        )
    except LifecycleError as error:
        return _lifecycle_refusal(error)
    response = jsonify(
        {
            "event": event_json(event),
            "status": shipment.status.value,
            "customs_status": shipment.customs_status.value,
        }
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.show_shipment", reference=shipment.reference)
    return response
