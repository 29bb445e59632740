"""The OpenAPI 3.1 description of the API, built from the same lists the views check against."""

from functools import cache

from aidtracker.catalogue.models import Category
from aidtracker.shipments import lifecycle
from aidtracker.shipments.models import CustomsStatus, EventKind, ShipmentStatus
from aidtracker.shipments.queries import SORT_ORDERS

SHIPMENT_STATUSES = [status.value for status in ShipmentStatus]
CUSTOMS_STATUSES = [status.value for status in CustomsStatus]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


STRING = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "An exact decimal."}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


ERRORS = {
    "400": _error("The body is not valid JSON."),
    "401": {
        **_error("No token, or an unknown, expired or revoked one, or an inactive user."),
        "headers": {"WWW-Authenticate": {"schema": STRING}},
    },
    "403": _error("The user's role or organisation does not allow this."),
    "404": _error("No such shipment among those the user may see."),
    "405": _error("This address does not accept this method."),
    "409": _error("The shipment is not in a state that allows this, or it changed meanwhile."),
    "413": _error("The body is larger than the site accepts."),
    "415": _error("The body is not JSON."),
    "422": _error("Some fields are wrong; `fields` says which and why."),
    "429": _error("Too many requests for this token; wait a minute."),
}


def _errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in codes}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 32},
    "description": "The shipment's reference, e.g. LUB-KRR-2023-0002.",
    "example": "LUB-KRR-2023-0002",
}


def _schemas() -> dict:
    organisation = _object({"id": {"type": "integer"}, "name": STRING})
    city = _object({"id": {"type": "integer"}, "name": STRING, "country": STRING})
    summary_properties = {
        "reference": STRING,
        "status": {"type": "string", "enum": SHIPMENT_STATUSES},
        "customs_status": {"type": "string", "enum": CUSTOMS_STATUSES},
        "origin_city": _ref("City"),
        "destination_city": _ref("City"),
        "recipient": _nullable(_ref("Organisation")),
        "carrier": _nullable(_ref("Organisation")),
        "planned_departure": _nullable(DATE),
        "dispatch_date": _nullable(DATE),
        "delivery_date": _nullable(DATE),
    }
    line = _object(
        {
            "id": {"type": "integer"},
            "position": {"type": "integer"},
            "item": _object(
                {
                    "id": {"type": "integer"},
                    "name": STRING,
                    "category": {"type": "string", "enum": [c.value for c in Category]},
                    "hs_code": _nullable(STRING),
                }
            ),
            "quantity": DECIMAL,
            "unit": STRING,
            "gross_weight_kg": _nullable(DECIMAL),
            "donor": _nullable(_ref("Organisation")),
            "funding": STRING,
            "lot": _nullable(STRING),
            "expiry": _nullable(DATE),
            "unit_value": {**_nullable(DECIMAL), "description": "null when the user sees no value"},
            "value": {**_nullable(DECIMAL), "description": "null when the user sees no value"},
            "currency": _nullable(STRING),
            "received_quantity": _nullable(DECIMAL),
            "condition": _nullable({"type": "string", "enum": list(lifecycle.CONDITIONS)}),
            "receipt_note": _nullable(STRING),
        }
    )
    event = _object(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [kind.value for kind in EventKind]},
            "from_status": _nullable(STRING),
            "to_status": STRING,
            "occurred_at": {"type": "string", "format": "date-time"},
            "location": _nullable(STRING),
            "note": _nullable(STRING),
            "by": _nullable(STRING),
        }
    )
    detail = _object(
        {
            **summary_properties,
            "sender": _ref("Organisation"),
            "transport_mode": STRING,
            "customs_declaration_number": _nullable(STRING),
            "border_crossing": _nullable(STRING),
            "all_lines_shown": {
                "type": "boolean",
                "description": "false for a donor-only partner, who sees its own lines",
            },
            "values_shown": {"type": "boolean"},
            "lines": {"type": "array", "items": _ref("Line")},
            "events": {"type": "array", "items": _ref("Event")},
        }
    )
    from aidtracker.api.views import EVENT_ACTIONS, TEXT_LIMITS

    def text(name: str) -> dict:
        return {"type": "string", "maxLength": TEXT_LIMITS[name]}

    event_request = _object(
        {
            "action": {
                "type": "string",
                "enum": list(EVENT_ACTIONS),
                "description": "A lifecycle action (staff), or report_location (the carrier).",
            },
            "on": {**DATE, "description": "Effective date; today when omitted."},
            "location": text("location"),
            "note": {**text("note"), "description": "The reason, where the action needs one."},
            "target": {**text("target"), "description": "Where a release from hold goes."},
            "declaration_number": text("declaration_number"),
            "border_crossing": text("border_crossing"),
        },
        required=["action"],
    )
    receipt_request = _object(
        {
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    {
                        "line_id": {"type": "integer", "minimum": 1},
                        "received_quantity": {
                            "oneOf": [{"type": "number", "minimum": 0}, DECIMAL],
                        },
                        "condition": {"type": "string", "enum": list(lifecycle.CONDITIONS)},
                        "note": {"type": "string", "maxLength": 2000},
                    },
                    required=["line_id", "received_quantity", "condition"],
                ),
                "description": "Every line of the shipment, once.",
            },
            "received_on": DATE,
            "location": {"type": "string", "maxLength": 200},
            "note": {"type": "string", "maxLength": 2000},
        },
        required=["lines"],
    )
    change = _object(
        {
            "event": _ref("Event"),
            "status": {"type": "string", "enum": SHIPMENT_STATUSES},
            "customs_status": {"type": "string", "enum": CUSTOMS_STATUSES},
        }
    )
    error = _object(
        {
            "error": _object(
                {
                    "status": {"type": "integer"},
                    "message": STRING,
                    "fields": {
                        "type": "object",
                        "description": "Field name → message (for receipt lines: line → field → "
                        "message).",
                    },
                },
                required=["status", "message"],
            )
        }
    )
    return {
        "Error": error,
        "Organisation": organisation,
        "City": city,
        "ShipmentSummary": _object(summary_properties),
        "ShipmentPage": _object(
            {
                "items": {"type": "array", "items": _ref("ShipmentSummary")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                "total": {"type": "integer", "minimum": 0},
                "pages": {"type": "integer", "minimum": 1},
            }
        ),
        "Line": line,
        "Event": event,
        "ShipmentDetail": detail,
        "EventRequest": event_request,
        "ReceiptRequest": receipt_request,
        "Change": change,
    }


@cache
def openapi_document() -> dict:
    """The whole document (built once per process: it depends on code, not on data)."""
    list_parameters = [
        _query("text", {"type": "string", "maxLength": 200}, "Reference, item or donor."),
        _query("status", {"type": "string", "enum": SHIPMENT_STATUSES}, "Shipment status."),
        _query("customs_status", {"type": "string", "enum": CUSTOMS_STATUSES}, "Customs status."),
        _query(
            "destination_city_id",
            {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "Destination city.",
        ),
        _query("category", {"type": "string", "enum": [c.value for c in Category]}, "A line's."),
        _query("departure_from", DATE, "Departure (or planned departure) on or after."),
        _query("departure_to", DATE, "Departure (or planned departure) on or before."),
        _query("sort", {"type": "string", "enum": list(SORT_ORDERS)}, "Order; newest first."),
        _query("page", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "From 1."),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "At most 100."),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AidTracker API",
            "version": "1.0.0",
            "description": "Shipments of humanitarian aid, seen as on their pages: partners see "
            "the shipments their organisation is party to, a donor-only partner its own lines, "
            "a carrier no values. Authenticate with a personal token from "
            "/account/api-tokens: `Authorization: Bearer at_…`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_errors("405"),
                    },
                }
            },
            "/shipments": {
                "get": {
                    "operationId": "listShipments",
                    "summary": "The shipments the user may see, filtered and paginated.",
                    "parameters": list_parameters,
                    "responses": {
                        "200": _json(_ref("ShipmentPage"), "One page of shipments."),
                        **_errors("401", "405", "422", "429"),
                    },
                }
            },
            "/shipments/{reference}": {
                "parameters": [REFERENCE],
                "get": {
                    "operationId": "getShipment",
                    "summary": "One shipment with the lines and values the user may see, and "
                    "its history.",
                    "responses": {
                        "200": _json(_ref("ShipmentDetail"), "The shipment."),
                        **_errors("401", "404", "405", "429"),
                    },
                },
            },
            "/shipments/{reference}/events": {
                "parameters": [REFERENCE],
                "post": {
                    "operationId": "addShipmentEvent",
                    "summary": "Move the shipment (staff) or report where it is (its carrier).",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("EventRequest")}},
                    },
                    "responses": {
                        "201": {
                            **_json(_ref("Change"), "The event was recorded."),
                            "headers": {"Location": {"schema": STRING}},
                        },
                        **_errors(
                            "400", "401", "403", "404", "405", "409", "413", "415", "422", "429"
                        ),
                    },
                },
            },
            "/shipments/{reference}/receipt": {
                "parameters": [REFERENCE],
                "post": {
                    "operationId": "confirmReceipt",
                    "summary": "Confirm, line by line, what arrived (recipient or staff).",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ReceiptRequest")}},
                    },
                    "responses": {
                        "201": {
                            **_json(_ref("Change"), "Receipt confirmed."),
                            "headers": {"Location": {"schema": STRING}},
                        },
                        **_errors(
                            "400", "401", "403", "404", "405", "409", "413", "415", "422", "429"
                        ),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (at_…), made on /account/api-tokens.",
                }
            },
            "schemas": _schemas(),
        },
    }
