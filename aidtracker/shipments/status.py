"""Moving shipments through their lifecycle: the service that pages (and later the API) call.

Each function takes the shipment and keyword arguments in the users' words, locks the shipment's
row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writes one at a time anyway), asks
``aidtracker.shipments.lifecycle`` whether the move is allowed now, sets the dates it brings,
records a ``StatusEvent`` (who, when, from, to, where, why) and commits once. A refused move
raises a named exception (``TransitionNotAllowed``, ``MissingReason``, … from lifecycle, or
``ShipmentChanged`` / ``NotPermitted`` from here) after rolling back, so nothing is half-written.

``effective date``: a change can be recorded on the day it happened (``on``), today or earlier
but not before the change recorded last. Today's changes are stamped with the current time;
earlier ones with noon of that day in the installation's time zone, kept after the last event so
that the history stays in order.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import format_date, gettext, to_user_timezone, to_utc
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, ShipmentAccess, has_permission
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.notifications.service import notify_partners
from aidtracker.shipments import lifecycle
from aidtracker.shipments.lifecycle import (
    CUSTOMS,
    STATUS,
    ActionRef,
    LifecycleError,
    ShipmentFacts,
    StatusRef,
    Transition,
)
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Shipment,
    ShipmentStatus,
    StatusEvent,
)

ACTION_LABELS = {
    "mark_ready": _l("Mark ready"),
    "return_to_draft": _l("Back to draft"),
    "dispatch": _l("Dispatch"),
    "deliver": _l("Mark delivered"),
    "confirm_receipt": _l("Confirm receipt"),
    "cancel": _l("Cancel shipment"),
    "mark_returned": _l("Mark returned"),
    "mark_lost": _l("Mark lost"),
    "declare_customs": _l("Declare at customs"),
    "start_inspection": _l("Start inspection"),
    "clear_customs": _l("Clear customs"),
    "hold_at_customs": _l("Hold at customs"),
    "release_from_hold": _l("Release from hold"),
    "reject_at_customs": _l("Rejected by customs"),
}

_ENUMS = {STATUS: ShipmentStatus, CUSTOMS: CustomsStatus}
_FIELD_ENUMS = {"status": ShipmentStatus, "customs_status": CustomsStatus}


class NotPermitted(Exception):
    """The user's role or organisation does not allow this change."""

    def __init__(self):
        super().__init__(gettext("You may not change this shipment."))


class ShipmentChanged(Exception):
    """Someone changed the shipment after this user opened it: act on what is there now."""

    def __init__(self, shipment: Shipment | None = None):
        if shipment is None:
            message = gettext("This shipment was changed or removed meanwhile.")
        else:
            message = gettext(
                "Someone changed this shipment while you had it open: it is now %(status)s "
                "(customs: %(customs)s). Nothing was saved; check it and try again.",
                status=shipment.status.label.lower(),
                customs=shipment.customs_status.label.lower(),
            )
        super().__init__(message)


def user_message(error: LifecycleError) -> str:
    """The refusal in the user's language, with statuses, actions and dates as they read them."""
    params = {key: _render(value) for key, value in error.params.items()}
    return gettext(error.template, **params)


def _render(value) -> str:
    if isinstance(value, StatusRef):
        return status_label(value.kind, value.value).lower()
    if isinstance(value, ActionRef):
        return str(ACTION_LABELS.get(value.action, value.action))
    if isinstance(value, tuple):
        return gettext(" or ").join(_render(item) for item in value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def status_label(kind: str, value: str) -> str:
    return _ENUMS[kind](value).label


def action_label(action: str) -> str:
    return str(ACTION_LABELS[action])


# Facts, dates, locking --------------------------------------------------------------------------


def local_today() -> date:
    """Today in the installation's time zone (where users live), not in UTC."""
    return to_user_timezone(utcnow()).date()


def _local_day(moment: datetime | None) -> date | None:
    return to_user_timezone(moment).date() if moment else None


def facts_of(shipment: Shipment) -> ShipmentFacts:
    """What the lifecycle rules need to know about `shipment`, read from the loaded object."""
    events = shipment.events
    last_event_at = max((event.occurred_at for event in events), default=None)
    held_from = next(
        (
            event.from_status
            for event in reversed(events)
            if event.kind is EventKind.CUSTOMS and event.to_status == lifecycle.HELD
        ),
        None,
    )
    return ShipmentFacts(
        status=shipment.status.value,
        customs_status=shipment.customs_status.value,
        has_recipient=shipment.recipient_id is not None,
        line_count=len(shipment.lines),
        left_draft_before=shipment.status is not ShipmentStatus.DRAFT
        or any(
            event.kind is EventKind.STATUS and event.to_status != lifecycle.DRAFT
            for event in events
        ),
        document_count=len(shipment.documents),
        destination_country=shipment.destination_city.country,
        last_change_on=_local_day(last_event_at),
        held_from=held_from,
        cleared_on=shipment.customs_cleared_on,
        report_due_on=shipment.distribution_report_due_on,
        report_submitted_on=shipment.distribution_report_submitted_on,
    )


def lock_for_change(shipment: Shipment, expected_version: int | None) -> None:
    """Reload the shipment under a row lock, so that the rules judge its current state."""
    locked = db.session.scalar(
        select(Shipment)
        .where(Shipment.id == shipment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # deleted by someone else meanwhile
        raise ShipmentChanged()
    db.session.expire(shipment, ["lines", "events", "documents"])
    if expected_version is not None and shipment.version != expected_version:
        raise ShipmentChanged(shipment)


def _moment(on: date, last_event_at: datetime | None) -> datetime:
    """When an event dated `on` happened: now for today, else noon local time that day."""
    now = utcnow()
    if on >= local_today():
        return now
    moment = to_utc(datetime.combine(on, time(12))).replace(tzinfo=UTC)
    return max(moment, last_event_at) if last_event_at else moment


def _require(user: User, permission: Permission) -> None:
    if not has_permission(user, permission):
        raise NotPermitted()


def in_one_transaction(work):
    """Run `work()` and commit; on any refusal roll back (releasing the lock) and re-raise."""
    try:
        result = work()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ShipmentChanged() from None
    except Exception:
        db.session.rollback()
        raise
    return result


def default_location(shipment: Shipment, transition: Transition) -> str | None:
    """Where a change usually happens: the border for customs, else the city it is in."""
    if transition.kind == CUSTOMS:
        return shipment.border_crossing
    if transition.target in (lifecycle.DELIVERED, *lifecycle.RECEIVED_STATUSES):
        return shipment.destination_city.name
    if transition.target in (
        lifecycle.DRAFT,
        lifecycle.READY,
        lifecycle.DISPATCHED,
        lifecycle.CANCELLED,
    ):
        return shipment.origin_city.name
    return None


def record_transition(
    shipment: Shipment,
    transition: Transition,
    facts: ShipmentFacts,
    *,
    by: User,
    on: date,
    location: str | None,
    note: str | None,
    changes: dict[str, object],
) -> StatusEvent:
    """Set the fields the move changes and append its event (the caller commits)."""
    last_event_at = max((event.occurred_at for event in shipment.events), default=None)
    for name, value in changes.items():
        setattr(shipment, name, _FIELD_ENUMS[name](value) if name in _FIELD_ENUMS else value)
    event = StatusEvent(
        kind=EventKind(transition.kind),
        from_status=facts.state(transition.kind),
        to_status=transition.target,
        occurred_at=_moment(on, last_event_at),
        user=by,
        location=(location or "").strip() or default_location(shipment, transition),
        note=(note or "").strip() or None,
    )
    shipment.events.append(event)
    return event


# Moves -------------------------------------------------------------------------------------------


def apply(
    shipment: Shipment,
    action: str,
    *,
    by: User,
    on: date | None = None,
    location: str | None = None,
    note: str | None = None,
    target: str | None = None,
    declaration_number: str | None = None,
    border_crossing: str | None = None,
    expected_version: int | None = None,
) -> StatusEvent:
    """Make `action` (a lifecycle action name) happen to `shipment`, recorded as done by `by`.

    `on` is the effective date (today when omitted); `note` is the reason where one is needed;
    `target` chooses between two destinations (a release from hold); `expected_version` is the
    version the user saw. Raises NotPermitted, ShipmentChanged, or a LifecycleError; nothing is
    written then.
    """
    _require(by, Permission.EDIT_SHIPMENTS)

    def work():
        lock_for_change(shipment, expected_version)
        facts = facts_of(shipment)
        today = local_today()
        effective = on or today
        transition = lifecycle.check(
            facts,
            action,
            target=target,
            reason=note,
            declaration_number=declaration_number,
            on=effective,
            today=today,
        )
        changes = lifecycle.effects(
            transition,
            facts,
            on=effective,
            declaration_number=declaration_number,
            border_crossing=border_crossing,
        )
        return record_transition(
            shipment,
            transition,
            facts,
            by=by,
            on=effective,
            location=location,
            note=note,
            changes=changes,
        )

    event = in_one_transaction(work)
    notify_partners(shipment, event, by=by)  # after the commit; never raises
    return event


def mark_ready(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """Packed and documents prepared: draft → ready. Needs a recipient and a line."""
    return apply(shipment, "mark_ready", by=by, **details)


def return_to_draft(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """Back to editing: ready → draft."""
    return apply(shipment, "return_to_draft", by=by, **details)


def dispatch(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """The goods left: ready → dispatched; sets the dispatch date."""
    return apply(shipment, "dispatch", by=by, **details)


def deliver(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """The goods arrived: dispatched → delivered, once customs cleared them (if needed)."""
    return apply(shipment, "deliver", by=by, **details)


def cancel(shipment: Shipment, *, by: User, reason: str, **details) -> StatusEvent:
    """Draft or ready → cancelled, with the reason."""
    return apply(shipment, "cancel", by=by, note=reason, **details)


def mark_returned(shipment: Shipment, *, by: User, reason: str, **details) -> StatusEvent:
    """The goods came back: dispatched → returned, with the reason."""
    return apply(shipment, "mark_returned", by=by, note=reason, **details)


def mark_lost(shipment: Shipment, *, by: User, reason: str, **details) -> StatusEvent:
    """Dispatched → lost, with the reason."""
    return apply(shipment, "mark_lost", by=by, note=reason, **details)


def declare_customs(
    shipment: Shipment, *, by: User, declaration_number: str, **details
) -> StatusEvent:
    """Documents pending → declared, recording the declaration number (and border crossing)."""
    return apply(
        shipment, "declare_customs", by=by, declaration_number=declaration_number, **details
    )


def start_inspection(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """Declared → under inspection."""
    return apply(shipment, "start_inspection", by=by, **details)


def hold_at_customs(shipment: Shipment, *, by: User, reason: str, **details) -> StatusEvent:
    """Declared or under inspection → held: action is needed, and the reason says which."""
    return apply(shipment, "hold_at_customs", by=by, note=reason, **details)


def release_from_hold(
    shipment: Shipment, *, by: User, to: str | None = None, **details
) -> StatusEvent:
    """Held → declared or under inspection (`to`; by default where it was before the hold)."""
    return apply(shipment, "release_from_hold", by=by, target=to, **details)


def clear_customs(shipment: Shipment, *, by: User, **details) -> StatusEvent:
    """Declared or under inspection → cleared; starts the distribution report's 90 days for UA."""
    return apply(shipment, "clear_customs", by=by, **details)


def reject_at_customs(shipment: Shipment, *, by: User, reason: str, **details) -> StatusEvent:
    """Customs refused the goods (final), with the reason."""
    return apply(shipment, "reject_at_customs", by=by, note=reason, **details)


# Details that are not moves ---------------------------------------------------------------------


class DetailErrors(Exception):
    """Some fields are wrong: ``errors[field]`` is the message to show next to each."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(gettext("Some fields need correcting; see the messages next to them."))
        self.errors = errors


def record_customs_details(
    shipment: Shipment,
    *,
    by: User,
    aid_recognition_code: str | None,
    aid_recognition_code_issued_on: date | None,
    border_crossing: str | None,
    expected_version: int | None = None,
) -> None:
    """Keep the recognition code, its issue date and the border crossing while customs is open.

    Raises NotPermitted, ShipmentChanged, CustomsDetailsLocked or DetailErrors.
    """
    _require(by, Permission.EDIT_SHIPMENTS)
    code = (aid_recognition_code or "").strip() or None

    def work():
        lock_for_change(shipment, expected_version)
        lifecycle.check_customs_details_editable(facts_of(shipment))
        problems = lifecycle.customs_details_problems(
            code, aid_recognition_code_issued_on, today=local_today()
        )
        if problems:
            raise DetailErrors({error.field: user_message(error) for error in problems})
        shipment.aid_recognition_code = code
        shipment.aid_recognition_code_issued_on = aid_recognition_code_issued_on
        shipment.border_crossing = (border_crossing or "").strip() or None

    in_one_transaction(work)


def record_distribution_report(
    shipment: Shipment, *, by: User, submitted_on: date | None, expected_version: int | None = None
) -> None:
    """The recipient reported the aid's distribution to the Ukrainian authorities on a date.

    Recorded once, for received aid cleared into Ukraine, by staff or the recipient organisation.
    Raises NotPermitted, ShipmentChanged, ReportNotExpected or DateNotAllowed.
    """
    if not ShipmentAccess(by, shipment).may_confirm_receipt:
        raise NotPermitted()

    def work():
        lock_for_change(shipment, expected_version)
        lifecycle.check_distribution_report(
            facts_of(shipment), on=submitted_on, today=local_today()
        )
        shipment.distribution_report_submitted_on = submitted_on

    in_one_transaction(work)


def delete_draft(shipment: Shipment, *, by: User, expected_version: int | None = None) -> str:
    """Delete a draft that never left draft (entered by mistake); returns its reference.

    Raises NotPermitted, ShipmentChanged or NotDeletable: anything that ever left draft stays.
    """
    _require(by, Permission.EDIT_SHIPMENTS)

    def work():
        lock_for_change(shipment, expected_version)
        lifecycle.check_deletable(facts_of(shipment))
        reference = shipment.reference
        db.session.delete(shipment)
        return reference

    return in_one_transaction(work)


# What a user may do now --------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A move the page offers: one small form each."""

    action: str
    kind: str
    targets: tuple[str, ...]
    default_target: str | None
    reason_required: bool
    needs_declaration_number: bool
    default_location: str | None = None

    @property
    def label(self) -> str:
        return action_label(self.action)


def allowed_actions(shipment: Shipment, user: User) -> list[Offer]:
    """The moves `user` may make on `shipment` now (receipt excluded: it has its own form)."""
    if not has_permission(user, Permission.EDIT_SHIPMENTS):
        return []
    facts = facts_of(shipment)
    offers: dict[str, Offer] = {}
    for transition in lifecycle.available(facts):
        if transition.action in offers:
            continue
        offers[transition.action] = Offer(
            action=transition.action,
            kind=transition.kind,
            targets=tuple(lifecycle.targets(facts, transition.action)),
            default_target=lifecycle.default_target(facts, transition.action),
            reason_required=transition.reason_required,
            needs_declaration_number=transition.needs_declaration_number,
            default_location=default_location(shipment, transition),
        )
    return list(offers.values())


def blocked_actions(shipment: Shipment, user: User) -> list[tuple[str, str]]:
    """(action label, why not yet) for status moves a guard holds back, for users who move."""
    if not has_permission(user, Permission.EDIT_SHIPMENTS):
        return []
    facts = facts_of(shipment)
    seen: dict[str, str] = {}
    for transition, guard in lifecycle.blocked(facts):
        seen.setdefault(
            action_label(transition.action),
            user_message(LifecycleError(guard.message)),
        )
    return list(seen.items())


def may_confirm_receipt_now(shipment: Shipment, user: User) -> bool:
    return (
        shipment.status is ShipmentStatus.DELIVERED
        and ShipmentAccess(user, shipment).may_confirm_receipt
    )


def may_record_distribution_report(shipment: Shipment, user: User) -> bool:
    if not ShipmentAccess(user, shipment).may_confirm_receipt:
        return False
    try:
        lifecycle.check_distribution_report(facts_of(shipment), on=None, today=local_today())
    except lifecycle.DateNotAllowed:
        return True  # everything but the date, which the form asks for
    except LifecycleError:
        return False
    return True


def may_edit_customs_details(shipment: Shipment, user: User) -> bool:
    if not has_permission(user, Permission.EDIT_SHIPMENTS):
        return False
    try:
        lifecycle.check_customs_details_editable(facts_of(shipment))
    except LifecycleError:
        return False
    return True


def may_delete(shipment: Shipment, user: User) -> bool:
    if not has_permission(user, Permission.EDIT_SHIPMENTS):
        return False
    try:
        lifecycle.check_deletable(facts_of(shipment))
    except LifecycleError:
        return False
    return True


def report_state(shipment: Shipment) -> lifecycle.ReportState | None:
    return lifecycle.distribution_report_state(facts_of(shipment), local_today())
