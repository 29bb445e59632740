"""The shipment lifecycle: which status and customs moves are allowed, and when (DESIGN.md).

Pure rules: nothing here knows Flask or the database, so they are tested without an app and the
service (``aidtracker.shipments.status``), the pages and any future API ask the same questions.
Statuses are the plain string values of ``ShipmentStatus`` and ``CustomsStatus`` (the enums compare
equal to them); the rules read a ``ShipmentFacts`` snapshot and answer with a ``Transition`` or a
named exception.

Shipment status::

    draft -> ready -> dispatched -> delivered -> received | received_with_discrepancy
    ready -> draft                      (back to editing)
    draft | ready -> cancelled          (with a reason)
    dispatched -> returned | lost       (with a reason)

- A shipment *leaves draft* only with a recipient and at least one line. That holds for every way
  out of draft, cancelling included: a draft entered by mistake that has never left draft is
  deleted instead (``check_deletable``). Dispatching asks again, because a ready shipment can
  still be edited.
- ``delivered`` needs customs ``cleared`` (or ``not_required``).
- ``received`` and ``received_with_discrepancy`` are reached only by confirming receipt line by
  line (``receipt_outcome`` decides which); the generic move refuses them (``ReceiptOnly``).
- Nothing that ever left draft can be deleted.

Customs status, for shipments that cross a customs border (``not_required`` otherwise)::

    documents_pending -> declared -> under_inspection -> cleared
    declared -> cleared                  (no inspection)
    declared | under_inspection -> held  (with a reason) -> declared | under_inspection
    documents_pending | declared | under_inspection | held -> rejected (with a reason; final)

``documents_pending`` is where a crossing shipment starts. Every customs move happens at the
border, so it needs the shipment ``dispatched``: customs cannot be declared for a shipment still
being packed, nor moved once it was delivered, returned or lost.

After clearance in Ukraine the recipient owes a distribution report within 90 days (Cabinet of
Ministers Resolution No. 953): clearing customs of a shipment bound for Ukraine sets the deadline.

Messages are English templates marked with ``N_`` for extraction; the service translates them
(``aidtracker.shipments.status.user_message``), rendering status, action and date parameters in the
user's language.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


def N_(message: str) -> str:  # noqa: N802  (gettext_noop's customary name)
    """Mark a message for translation; it is translated where it is shown."""
    return message


STATUS = "status"
CUSTOMS = "customs"

DRAFT = "draft"
READY = "ready"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
RECEIVED = "received"
RECEIVED_WITH_DISCREPANCY = "received_with_discrepancy"
CANCELLED = "cancelled"
RETURNED = "returned"
LOST = "lost"
STATUSES = frozenset(
    {
        DRAFT,
        READY,
        DISPATCHED,
        DELIVERED,
        RECEIVED,
        RECEIVED_WITH_DISCREPANCY,
        CANCELLED,
        RETURNED,
        LOST,
    }
)
RECEIVED_STATUSES = frozenset({RECEIVED, RECEIVED_WITH_DISCREPANCY})

NOT_REQUIRED = "not_required"
DOCUMENTS_PENDING = "documents_pending"
DECLARED = "declared"
UNDER_INSPECTION = "under_inspection"
HELD = "held"
CLEARED = "cleared"
REJECTED = "rejected"
CUSTOMS_STATUSES = frozenset(
    {NOT_REQUIRED, DOCUMENTS_PENDING, DECLARED, UNDER_INSPECTION, HELD, CLEARED, REJECTED}
)
OPEN_CUSTOMS_STATUSES = frozenset({DOCUMENTS_PENDING, DECLARED, UNDER_INSPECTION, HELD})

GOOD = "good"
DAMAGED = "damaged"
MISSING = "missing"
CONDITIONS = (GOOD, DAMAGED, MISSING)

RECOGNITION_CODE_VALID_DAYS = 90
"""Ukraine's humanitarian aid recognition code is valid 90 days from its issue."""
DECLARATION_VALID_DAYS = 30
"""The customs declaration that carries the recognition code is valid 30 days."""
DISTRIBUTION_REPORT_DAYS = 90
"""Resolution No. 953: the distribution report is due 90 days after customs clearance."""
DISTRIBUTION_REPORT_COUNTRIES = frozenset({"UA"})
REPORT_DUE_SOON_DAYS = 14
"""A distribution report due within this many days is shown as coming close."""

QUANTITY_PLACES = 3
QUANTITY_LIMIT = Decimal(10) ** 11
"""Quantities are NUMERIC(14, 3): below 10^11, to three decimals."""


@dataclass(frozen=True)
class ShipmentFacts:
    """What the rules need to know about one shipment, as plain values."""

    status: str
    customs_status: str = NOT_REQUIRED
    has_recipient: bool = False
    line_count: int = 0
    left_draft_before: bool = False
    """True once any status event moved it out of draft (even if it came back)."""
    document_count: int = 0
    destination_country: str | None = None
    last_change_on: date | None = None
    """The day of the latest status or customs event; a new one cannot be dated earlier."""
    held_from: str | None = None
    """For a shipment held at customs: the customs status it was in before."""
    cleared_on: date | None = None
    report_due_on: date | None = None
    report_submitted_on: date | None = None

    @property
    def needs_customs(self) -> bool:
        return self.customs_status != NOT_REQUIRED

    def state(self, kind: str) -> str:
        return self.status if kind == STATUS else self.customs_status


# Parameters of messages: rendered as labels in the user's language by the service.
@dataclass(frozen=True)
class StatusRef:
    kind: str
    value: str

    def __str__(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class ActionRef:
    action: str

    def __str__(self) -> str:
        return self.action.replace("_", " ")


class LifecycleError(Exception):
    """A move or a value the rules refuse.

    ``template % params`` is the message for the user (English here; the service translates the
    template and renders each parameter). ``field`` names the form field the message belongs
    next to, or is None for the page as a whole.
    """

    field: str | None = None

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(template % {key: _plain(value) for key, value in params.items()})


def _plain(value) -> str:
    if isinstance(value, tuple):
        return " or ".join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class UnknownAction(LifecycleError):
    def __init__(self, action: str):
        self.action = action
        super().__init__(N_("There is no such action: %(action)s."), action=action)


class TransitionNotAllowed(LifecycleError):
    """The shipment is not in a state this action starts from."""

    def __init__(self, action: str, kind: str, current: str, allowed_from: Iterable[str]):
        self.action = action
        self.kind = kind
        self.current = current
        self.allowed_from = tuple(sorted(allowed_from))
        template = (
            N_("%(action)s is not possible now: the shipment is %(current)s, not %(allowed)s.")
            if kind == STATUS
            else N_(
                "%(action)s is not possible now: customs status is %(current)s, not %(allowed)s."
            )
        )
        super().__init__(
            template,
            action=ActionRef(action),
            current=StatusRef(kind, current),
            allowed=tuple(StatusRef(kind, value) for value in self.allowed_from),
        )


class GuardFailed(TransitionNotAllowed):
    """The shipment is in the right state, but a condition of the move does not hold."""

    def __init__(self, transition: "Transition", guard: "Guard", current: str):
        self.action = transition.action
        self.kind = transition.kind
        self.current = current
        self.allowed_from = tuple(sorted(transition.sources))
        self.guard = guard
        LifecycleError.__init__(self, guard.message)


class ReceiptOnly(LifecycleError):
    def __init__(self):
        super().__init__(
            N_("Receipt is confirmed line by line, on the receipt form of a delivered shipment.")
        )


class MissingReason(LifecycleError):
    field = "note"

    def __init__(self, action: str):
        self.action = action
        super().__init__(N_("Give the reason for this change."))


class MissingDeclarationNumber(LifecycleError):
    field = "declaration_number"

    def __init__(self):
        super().__init__(N_("Enter the customs declaration number."))


class DateNotAllowed(LifecycleError):
    field = "on"


class NotDeletable(LifecycleError):
    pass


class ReportNotExpected(LifecycleError):
    pass


class CustomsDetailsLocked(LifecycleError):
    pass


@dataclass(frozen=True)
class Guard:
    """A named condition of a move, with the message shown when it does not hold."""

    name: str
    message: str
    holds: Callable[[ShipmentFacts], bool]


def while_in_draft(guard: Guard) -> Guard:
    """The guard applies only when the move starts from draft (leaving draft needs it)."""
    return Guard(
        f"{guard.name}_to_leave_draft",
        guard.message,
        lambda facts: facts.status != DRAFT or guard.holds(facts),
    )


HAS_RECIPIENT = Guard(
    "has_recipient",
    N_("Choose the recipient first: a shipment leaves draft only with a recipient."),
    lambda facts: facts.has_recipient,
)
HAS_LINES = Guard(
    "has_lines",
    N_("Add at least one line first: a shipment leaves draft only with something in it."),
    lambda facts: facts.line_count > 0,
)
CUSTOMS_DONE = Guard(
    "customs_cleared_or_not_required",
    N_("A shipment that crosses a customs border can be delivered only once customs cleared it."),
    lambda facts: facts.customs_status in (NOT_REQUIRED, CLEARED),
)
AT_THE_BORDER = Guard(
    "dispatched",
    N_("Customs deals with a shipment at the border: it must be dispatched first."),
    lambda facts: facts.status == DISPATCHED,
)


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of ``sources`` to ``target`` of ``kind`` (status or customs)."""

    action: str
    kind: str
    sources: frozenset[str]
    target: str
    guards: tuple[Guard, ...] = ()
    reason_required: bool = False
    needs_declaration_number: bool = False
    via_receipt: bool = False


def _move(action, kind, sources, target, *guards, reason=False, declaration=False, receipt=False):
    return Transition(
        action,
        kind,
        frozenset(sources),
        target,
        tuple(guards),
        reason_required=reason,
        needs_declaration_number=declaration,
        via_receipt=receipt,
    )


TRANSITIONS: tuple[Transition, ...] = (
    _move("mark_ready", STATUS, {DRAFT}, READY, HAS_RECIPIENT, HAS_LINES),
    _move("return_to_draft", STATUS, {READY}, DRAFT),
    _move("dispatch", STATUS, {READY}, DISPATCHED, HAS_RECIPIENT, HAS_LINES),
    _move("deliver", STATUS, {DISPATCHED}, DELIVERED, CUSTOMS_DONE),
    _move("confirm_receipt", STATUS, {DELIVERED}, RECEIVED, receipt=True),
    _move("confirm_receipt", STATUS, {DELIVERED}, RECEIVED_WITH_DISCREPANCY, receipt=True),
    _move(
        "cancel",
        STATUS,
        {DRAFT, READY},
        CANCELLED,
        while_in_draft(HAS_RECIPIENT),
        while_in_draft(HAS_LINES),
        reason=True,
    ),
    _move("mark_returned", STATUS, {DISPATCHED}, RETURNED, reason=True),
    _move("mark_lost", STATUS, {DISPATCHED}, LOST, reason=True),
    _move(
        "declare_customs", CUSTOMS, {DOCUMENTS_PENDING}, DECLARED, AT_THE_BORDER, declaration=True
    ),
    _move("start_inspection", CUSTOMS, {DECLARED}, UNDER_INSPECTION, AT_THE_BORDER),
    _move("clear_customs", CUSTOMS, {DECLARED, UNDER_INSPECTION}, CLEARED, AT_THE_BORDER),
    _move(
        "hold_at_customs", CUSTOMS, {DECLARED, UNDER_INSPECTION}, HELD, AT_THE_BORDER, reason=True
    ),
    _move("release_from_hold", CUSTOMS, {HELD}, DECLARED, AT_THE_BORDER),
    _move("release_from_hold", CUSTOMS, {HELD}, UNDER_INSPECTION, AT_THE_BORDER),
    _move(
        "reject_at_customs",
        CUSTOMS,
        {DOCUMENTS_PENDING, DECLARED, UNDER_INSPECTION, HELD},
        REJECTED,
        AT_THE_BORDER,
        reason=True,
    ),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def _from_here(facts: ShipmentFacts, transitions: Iterable[Transition]) -> list[Transition]:
    return [t for t in transitions if facts.state(t.kind) in t.sources]


def _failed_guard(facts: ShipmentFacts, transition: Transition) -> Guard | None:
    return next((guard for guard in transition.guards if not guard.holds(facts)), None)


def available(facts: ShipmentFacts) -> list[Transition]:
    """The moves allowed now, in table order (receipt, which has its own form, excluded)."""
    return [
        t
        for t in _from_here(facts, TRANSITIONS)
        if not t.via_receipt and _failed_guard(facts, t) is None
    ]


def blocked(facts: ShipmentFacts) -> list[tuple[Transition, Guard]]:
    """Status moves that start from here but are held back by a guard, with the first that fails.

    Pages show them as hints ("Add at least one line first…"). Customs moves held back only
    because the shipment has not left yet are not worth a hint.
    """
    result = []
    for transition in _from_here(facts, TRANSITIONS):
        guard = _failed_guard(facts, transition)
        if guard is not None and transition.kind == STATUS and not transition.via_receipt:
            result.append((transition, guard))
    return result


def targets(facts: ShipmentFacts, action: str) -> list[str]:
    """Where `action` may lead from here (two places for a release from hold)."""
    return [t.target for t in available(facts) if t.action == action]


def default_target(facts: ShipmentFacts, action: str) -> str | None:
    """The usual target: back to where a held shipment came from, else the only one."""
    choices = targets(facts, action)
    if facts.held_from in choices and action == "release_from_hold":
        return facts.held_from
    return choices[0] if choices else None


def check(
    facts: ShipmentFacts,
    action: str,
    *,
    target: str | None = None,
    reason: str | None = None,
    declaration_number: str | None = None,
    on: date | None = None,
    today: date | None = None,
    via_receipt: bool = False,
) -> Transition:
    """The transition `action` makes from the shipment's current state, if the rules allow it.

    Raises UnknownAction, ReceiptOnly (receipt has its own form), TransitionNotAllowed (wrong
    state, or the chosen target is not one this action reaches from here), GuardFailed,
    MissingReason, MissingDeclarationNumber and DateNotAllowed, in that order.
    """
    candidates = [t for t in TRANSITIONS if t.action == action]
    if not candidates:
        raise UnknownAction(action)
    if any(t.via_receipt for t in candidates) and not via_receipt:
        raise ReceiptOnly()
    kind = candidates[0].kind
    current = facts.state(kind)
    from_here = _from_here(facts, candidates)
    sources = {source for t in candidates for source in t.sources}
    if not from_here:
        raise TransitionNotAllowed(action, kind, current, sources)
    if target is None:
        target = facts.held_from if action == "release_from_hold" else None
        chosen = next((t for t in from_here if t.target == target), from_here[0])
    else:
        chosen = next((t for t in from_here if t.target == target), None)
        if chosen is None:
            raise TransitionNotAllowed(action, kind, current, sources)
    guard = _failed_guard(facts, chosen)
    if guard is not None:
        raise GuardFailed(chosen, guard, current)
    if chosen.reason_required and not (reason or "").strip():
        raise MissingReason(action)
    if chosen.needs_declaration_number and not (declaration_number or "").strip():
        raise MissingDeclarationNumber()
    if on is not None:
        check_effective_date(on, today=today, not_before=facts.last_change_on)
    return chosen


def check_effective_date(on: date, *, today: date | None, not_before: date | None) -> None:
    """A change is dated today or earlier, and not before the change recorded last."""
    if today is not None and on > today:
        raise DateNotAllowed(N_("The date cannot be in the future."))
    if not_before is not None and on < not_before:
        raise DateNotAllowed(
            N_("The date cannot be before the last recorded change, %(date)s."), date=not_before
        )


def effects(
    transition: Transition,
    facts: ShipmentFacts,
    *,
    on: date,
    declaration_number: str | None = None,
    border_crossing: str | None = None,
) -> dict[str, object]:
    """The shipment fields a move sets besides its status, as {field name: value}."""
    changes: dict[str, object] = {
        "customs_status" if transition.kind == CUSTOMS else "status": (transition.target)
    }
    if transition.kind == STATUS and transition.target == DISPATCHED:
        changes["dispatch_date"] = on
    elif transition.kind == STATUS and transition.target == DELIVERED:
        changes["delivery_date"] = on
    elif transition.kind == CUSTOMS and transition.target == DECLARED:
        if declaration_number:
            changes["customs_declaration_number"] = declaration_number.strip()
        changes["customs_declared_on"] = on
        if border_crossing:
            changes["border_crossing"] = border_crossing.strip()
    elif transition.kind == CUSTOMS and transition.target == CLEARED:
        changes["customs_cleared_on"] = on
        changes["distribution_report_due_on"] = distribution_report_due(
            on, facts.destination_country
        )
    return changes


# Documents and deadlines ---------------------------------------------------------------------


def distribution_report_due(cleared_on: date | None, destination_country: str | None):
    """The distribution report deadline of aid cleared into Ukraine; None elsewhere."""
    if cleared_on is None or destination_country not in DISTRIBUTION_REPORT_COUNTRIES:
        return None
    return cleared_on + timedelta(days=DISTRIBUTION_REPORT_DAYS)


def recognition_code_valid_until(issued_on: date | None) -> date | None:
    return issued_on + timedelta(days=RECOGNITION_CODE_VALID_DAYS) if issued_on else None


def declaration_valid_until(declared_on: date | None) -> date | None:
    return declared_on + timedelta(days=DECLARATION_VALID_DAYS) if declared_on else None


@dataclass(frozen=True)
class ReportState:
    """Where a shipment's distribution report stands: due, due_soon, overdue or submitted."""

    state: str
    due_on: date
    submitted_on: date | None
    days_left: int


def distribution_report_state(facts: ShipmentFacts, today: date) -> ReportState | None:
    """The report's state for a shipment that owes one (cleared into Ukraine), else None."""
    if facts.report_due_on is None:
        return None
    days_left = (facts.report_due_on - today).days
    if facts.report_submitted_on is not None:
        state = "submitted"
    elif days_left < 0:
        state = "overdue"
    elif days_left <= REPORT_DUE_SOON_DAYS:
        state = "due_soon"
    else:
        state = "due"
    return ReportState(state, facts.report_due_on, facts.report_submitted_on, days_left)


def check_distribution_report(facts: ShipmentFacts, *, on: date | None, today: date) -> None:
    """The report is recorded once, for received aid that owes one, on a plausible date."""
    if facts.report_due_on is None:
        raise ReportNotExpected(
            N_("This shipment owes no distribution report: it was not cleared into Ukraine.")
        )
    if facts.status not in RECEIVED_STATUSES:
        raise ReportNotExpected(
            N_("The distribution report is recorded once the recipient confirmed receipt.")
        )
    if facts.report_submitted_on is not None:
        raise ReportNotExpected(
            N_("The distribution report was already recorded as submitted on %(date)s."),
            date=facts.report_submitted_on,
        )
    if on is None:
        raise DateNotAllowed(N_("Enter the day the report was submitted."))
    check_effective_date(on, today=today, not_before=facts.cleared_on)


def check_customs_details_editable(facts: ShipmentFacts) -> None:
    """The recognition code and border crossing are kept up to date while customs is open."""
    if not facts.needs_customs:
        raise CustomsDetailsLocked(N_("This shipment crosses no customs border."))
    if facts.customs_status not in OPEN_CUSTOMS_STATUSES or facts.status not in (
        DRAFT,
        READY,
        DISPATCHED,
    ):
        raise CustomsDetailsLocked(
            N_("Customs details are on record once customs is finished or the shipment ended.")
        )


def customs_details_problems(
    aid_recognition_code: str | None, issued_on: date | None, *, today: date
) -> list[LifecycleError]:
    """What is wrong with a recognition code and its issue date; each error names its field."""
    problems: list[LifecycleError] = []
    if aid_recognition_code and issued_on is None:
        problems.append(
            _field_error(
                "aid_recognition_code_issued_on",
                N_("Enter the day the code was issued: its 90 days of validity run from then."),
            )
        )
    if issued_on is not None and not aid_recognition_code:
        problems.append(
            _field_error("aid_recognition_code", N_("Enter the code, or leave its date empty."))
        )
    if issued_on is not None and issued_on > today:
        problems.append(
            _field_error("aid_recognition_code_issued_on", N_("The date cannot be in the future."))
        )
    return problems


def check_deletable(facts: ShipmentFacts) -> None:
    """Only a draft that never left draft may be deleted; nothing else ever is."""
    if facts.status != DRAFT or facts.left_draft_before:
        raise NotDeletable(
            N_("Only a draft that never left draft can be deleted; this one is on record.")
        )
    if facts.document_count:
        raise NotDeletable(N_("Remove the documents of this draft before deleting it."))


# Receipt ---------------------------------------------------------------------------------------


def line_differs(sent: Decimal, received: Decimal | None, condition: str | None) -> bool:
    """A discrepancy: another quantity arrived than was sent, or not in good condition."""
    return received is None or received != sent or condition != GOOD


def receipt_outcome(lines: Iterable[tuple[Decimal, Decimal, str]]) -> str:
    """``received`` when every line arrived whole and good, else ``received_with_discrepancy``."""
    differs = any(line_differs(sent, got, condition) for sent, got, condition in lines)
    return RECEIVED_WITH_DISCREPANCY if differs else RECEIVED


def received_line_problems(received: Decimal | None, condition: str | None) -> list[LifecycleError]:
    """What is wrong with one confirmed line; each error names its field."""
    problems: list[LifecycleError] = []
    if received is None:
        problems.append(
            _field_error(
                "received_quantity", N_("Enter the quantity received (0 if nothing arrived).")
            )
        )
    elif not received.is_finite():
        problems.append(_field_error("received_quantity", N_("Enter a number.")))
    elif received < 0:
        problems.append(
            _field_error("received_quantity", N_("The quantity received cannot be negative."))
        )
    elif received >= QUANTITY_LIMIT:
        problems.append(_field_error("received_quantity", N_("This quantity is too large.")))
    elif received != received.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        problems.append(_field_error("received_quantity", N_("Use at most three decimals.")))
    if condition not in CONDITIONS:
        problems.append(_field_error("condition", N_("Choose the condition it arrived in.")))
    elif condition == MISSING and received is not None and received > 0:
        problems.append(
            _field_error(
                "condition",
                N_("Goods marked missing did not arrive: enter 0 or choose another condition."),
            )
        )
    return problems


def _field_error(field: str, template: str, **params) -> LifecycleError:
    error = LifecycleError(template, **params)
    error.field = field
    return error
