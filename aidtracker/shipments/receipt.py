"""Confirming receipt line by line, and the discrepancies it brings to light.

The recipient organisation (or city staff) confirms, for every line of a delivered shipment, the
quantity that arrived and its condition. The shipment becomes ``received`` when everything arrived
whole and in good condition, ``received_with_discrepancy`` otherwise; lines that differ are listed
on the shipment and in the Discrepancies view, which each user sees within their own scope.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext, ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from aidtracker.auth.models import User
from aidtracker.auth.permissions import (
    ShipmentAccess,
    visible_lines_clause,
    visible_shipments_clause,
)
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.notifications.service import notify_partners
from aidtracker.pagination import Page, paginate
from aidtracker.search import text_matches
from aidtracker.shipments import lifecycle
from aidtracker.shipments.models import (
    LineCondition,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusEvent,
)
from aidtracker.shipments.status import (
    NotPermitted,
    facts_of,
    in_one_transaction,
    local_today,
    lock_for_change,
    record_transition,
    user_message,
)


@dataclass(frozen=True)
class ReceivedLine:
    """What the recipient says about one line."""

    received_quantity: Decimal | None
    condition: str | None
    note: str | None = None


class ReceiptIncomplete(Exception):
    """Receipt is confirmed for every line at once."""

    def __init__(self):
        super().__init__(
            gettext(
                "Confirm every line of the shipment; the list of lines changed, so reload the "
                "page and try again."
            )
        )


class ReceiptErrors(Exception):
    """``errors[line_id][field]`` is the message to show next to that field of that line."""

    def __init__(self, errors: dict[int, dict[str, str]]):
        super().__init__(gettext("Some lines need correcting; see the messages next to them."))
        self.errors = errors


def confirm_receipt(
    shipment: Shipment,
    *,
    by: User,
    lines: Mapping[int, ReceivedLine | tuple],
    on=None,
    location: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> StatusEvent:
    """Record what arrived, line by line (`lines`: line id → received quantity, condition, note).

    Only for a delivered shipment, by staff or the recipient organisation, for every line at once.
    Raises NotPermitted, ShipmentChanged, TransitionNotAllowed, DateNotAllowed, ReceiptIncomplete
    or ReceiptErrors; nothing is written then.
    """
    if not ShipmentAccess(by, shipment).may_confirm_receipt:
        raise NotPermitted()
    confirmed = {
        line_id: value if isinstance(value, ReceivedLine) else ReceivedLine(*value)
        for line_id, value in lines.items()
    }

    def work():
        lock_for_change(shipment, expected_version)
        facts = facts_of(shipment)
        today = local_today()
        effective = on or today
        # The state first: a shipment that is not delivered has nothing to confirm yet.
        lifecycle.check(facts, "confirm_receipt", via_receipt=True, on=effective, today=today)
        by_id = {line.id: line for line in shipment.lines}
        if set(confirmed) != set(by_id):
            raise ReceiptIncomplete()
        errors = {}
        for line_id, received in confirmed.items():
            problems = lifecycle.received_line_problems(
                received.received_quantity, received.condition
            )
            if problems:
                errors[line_id] = {error.field: user_message(error) for error in problems}
        if errors:
            raise ReceiptErrors(errors)
        outcome = lifecycle.receipt_outcome(
            (by_id[line_id].quantity, received.received_quantity, received.condition)
            for line_id, received in confirmed.items()
        )
        transition = lifecycle.check(facts, "confirm_receipt", target=outcome, via_receipt=True)
        differing = 0
        for line_id, received in confirmed.items():
            line = by_id[line_id]
            line.received_quantity = received.received_quantity
            line.condition = LineCondition(received.condition)
            line.receipt_note = (received.note or "").strip() or None
            differing += lifecycle.line_differs(
                line.quantity, received.received_quantity, received.condition
            )
        summary = (
            ngettext(
                "%(num)d line differs from what was sent.",
                "%(num)d lines differ from what was sent.",
                differing,
            )
            if differing
            else None
        )
        return record_transition(
            shipment,
            transition,
            facts,
            by=by,
            on=effective,
            location=location,
            note=" ".join(part for part in ((note or "").strip(), summary) if part) or None,
            changes=lifecycle.effects(transition, facts, on=effective),
        )

    event = in_one_transaction(work)
    notify_partners(shipment, event, by=by)  # after the commit; never raises
    return event


# Discrepancies -----------------------------------------------------------------------------------


def discrepancy_clause():
    """The SQL twin of ``lifecycle.line_differs``, for lines of received shipments."""
    return (
        Shipment.status.in_([ShipmentStatus.RECEIVED, ShipmentStatus.RECEIVED_WITH_DISCREPANCY])
    ) & or_(
        ShipmentLine.received_quantity.is_(None),
        ShipmentLine.received_quantity != ShipmentLine.quantity,
        ShipmentLine.condition.is_(None),
        ShipmentLine.condition != LineCondition.GOOD,
    )


def shipment_discrepancies(shipment: Shipment, user: User) -> list[ShipmentLine]:
    """The lines of a received shipment that `user` sees and that differ from what was sent."""
    if shipment.status.value not in lifecycle.RECEIVED_STATUSES:
        return []
    return [
        line
        for line in ShipmentAccess(user, shipment).lines
        if lifecycle.line_differs(
            line.quantity,
            line.received_quantity,
            line.condition.value if line.condition else None,
        )
    ]


def discrepancy_page(user: User, page: int, per_page: int, text: str = "") -> Page:
    """Lines that arrived short, damaged or missing, among those `user` may see; newest first.

    `text` narrows to a shipment reference or an item name (in any language).
    """
    # The shipment scope goes in a subquery: its donor test correlates on shipment_lines, which
    # this query already selects from.
    conditions = [
        Shipment.id.in_(select(Shipment.id).where(visible_shipments_clause(user))),
        visible_lines_clause(user),
        discrepancy_clause(),
    ]
    text = text.strip()
    if text:
        conditions.append(
            or_(
                text_matches(Shipment.reference, text),
                text_matches(CatalogueItem.name_en, text),
                text_matches(CatalogueItem.name_pl, text),
                text_matches(CatalogueItem.name_uk, text),
            )
        )

    def joined(statement):
        return (
            statement.join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
            .where(*conditions)
        )

    return paginate(
        joined(select(ShipmentLine))
        .options(
            contains_eager(ShipmentLine.shipment).joinedload(Shipment.destination_city),
            contains_eager(ShipmentLine.shipment).joinedload(Shipment.recipient),
            contains_eager(ShipmentLine.item),
        )
        .order_by(
            func.coalesce(Shipment.delivery_date, Shipment.dispatch_date).desc().nulls_last(),
            Shipment.reference.desc(),
            ShipmentLine.position,
        ),
        page,
        per_page,
        joined(select(func.count(ShipmentLine.id))),
    )
