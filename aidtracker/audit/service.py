"""Recording the audit trail: once, here, for every way the application writes.

Two doors lead to the audited tables, and both are watched:

- the unit of work (objects added, changed and deleted, then flushed): mapper events note each
  row as it is written, with its values before and after;
- statements run through the session, such as the bulk insert of imported lines or the update
  of a tracking link: ``do_orm_execute`` reads the rows they touch, before and after.

Notes pile up per transaction and are written together just before it commits, in the same
transaction: a change rolled back leaves no entry, and an entry never outlives its change. On the
way, notes about the same record are merged (created then changed is one creation), and a line
that a shipment edit replaced at the same position is recorded as a change of that line, or not
at all if nothing in it changed.

Who acted: the logged-in user (or the API token's), else the user a command acts as
(``act_as``), else nobody. Entries are never changed or deleted through the application:
``AuditTrailReadOnly`` is raised instead.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import Flask, g, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import Numeric, Table, event, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, object_session
from sqlalchemy.orm.attributes import instance_state

from aidtracker.audit.models import AuditAction, AuditedEntity, AuditEntry
from aidtracker.auth.models import User
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, Fund
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import Organisation
from aidtracker.shipments.models import Document, Shipment, ShipmentLine, ShipmentStatus

HIDDEN = "(hidden)"
"""Stored instead of a secret's value: the trail shows that it changed, never what it is."""

_NOTES = "audit_notes"
_KNOWN_BEFORE = "audit_known_before"
_LOOKUP_CHUNK = 500


class AuditTrailReadOnly(Exception):
    """Audit entries are written by this module only, and never changed or deleted."""

    def __init__(self) -> None:
        super().__init__("the audit trail cannot be changed or deleted from the application")


@dataclass(frozen=True)
class AuditedModel:
    """How one model is audited.

    `key`: columns that tell its rows apart, to find the ids of rows a statement inserted.
    `naming`: columns its label is made of. `ignored`: bookkeeping that changes with every save
    (versions, last logins). `secret`: columns whose values are never stored.
    """

    entity: AuditedEntity
    model: type
    key: tuple[str, ...]
    naming: tuple[str, ...]
    ignored: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def scales(self) -> dict[str, Decimal]:
        """The exponent each decimal column keeps, e.g. Decimal("0.001") for quantities."""
        return {
            column.key: Decimal(1).scaleb(-column.type.scale)
            for column in self.table.columns
            if isinstance(column.type, Numeric) and column.type.scale is not None
        }

    @property
    def columns(self) -> list[str]:
        """The recorded columns, in table order."""
        return [
            column.key
            for column in self.table.columns
            if not column.primary_key and column.key not in self.ignored
        ]


AUDITED = (
    AuditedModel(
        AuditedEntity.SHIPMENT,
        Shipment,
        key=("reference",),
        naming=("reference",),
        ignored=frozenset({"version", "updated_at"}),
        secret=frozenset({"tracking_token"}),
    ),
    AuditedModel(
        AuditedEntity.SHIPMENT_LINE,
        ShipmentLine,
        key=("shipment_id", "position"),
        naming=("shipment_id", "position"),
    ),
    AuditedModel(
        AuditedEntity.DOCUMENT,
        Document,
        key=("storage_name",),
        naming=("shipment_id", "filename"),
    ),
    AuditedModel(AuditedEntity.ORGANISATION, Organisation, key=("name",), naming=("name",)),
    AuditedModel(
        AuditedEntity.EXCHANGE_RATE,
        ExchangeRate,
        key=("currency", "rate_date"),
        naming=("currency", "rate_date"),
    ),
    AuditedModel(
        AuditedEntity.USER,
        User,
        key=("email",),
        naming=("email",),
        ignored=frozenset({"last_login_at"}),
        secret=frozenset({"password_hash"}),
    ),
    AuditedModel(AuditedEntity.FUND, Fund, key=("name",), naming=("name",)),
    AuditedModel(
        AuditedEntity.CASH_DONATION,
        CashDonation,
        key=("fund_id", "donor_id", "donated_on", "amount", "currency"),
        naming=("amount", "currency", "donated_on"),
    ),
)
AUDITED_BY_ENTITY = {audited.entity: audited for audited in AUDITED}
_AUDITED_BY_TABLE = {audited.table.name: audited for audited in AUDITED}
_AUDITED_BY_MODEL = {audited.model: audited for audited in AUDITED}


@dataclass
class _Note:
    """One row created, changed or deleted in the current transaction (raw Python values)."""

    audited: AuditedModel
    entity_id: int
    action: AuditAction
    before: dict | None
    after: dict | None
    naming: dict = field(default_factory=dict)


# --- who acts -----------------------------------------------------------------------------------


def act_as(user: User | None) -> None:
    """Record what follows in this application context (a command) as done by `user`."""
    g.audit_actor = user


def current_actor() -> User | None:
    """The logged-in user (or the API token's) in a request, else whom a command acts as."""
    if has_request_context():
        user = current_user._get_current_object()
        if user is not None and user.is_authenticated:
            return user
    if has_app_context():
        return g.get("audit_actor")
    return None


# --- noting what the unit of work writes ---------------------------------------------------------


def _notes(session: Session) -> list[_Note]:
    return session.info.setdefault(_NOTES, [])


def _after_insert(mapper, connection, target) -> None:
    audited = _AUDITED_BY_MODEL[mapper.class_]
    values = instance_state(target).dict
    after = {column: values.get(column) for column in audited.columns}
    _note(
        target, _Note(audited, target.id, AuditAction.CREATE, None, after, _naming(audited, values))
    )


def _after_update(mapper, connection, target) -> None:
    audited = _AUDITED_BY_MODEL[mapper.class_]
    state = instance_state(target)
    known = object_session(target).info.get(_KNOWN_BEFORE, {}).get(state.key, {})
    before, after = {}, {}
    for column in audited.columns:
        history = state.attrs[column].history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else known.get(column)
        new = history.added[0]
        if not _same_value(old, new):
            before[column], after[column] = old, new
    if after:
        naming = _naming(audited, state.dict)
        _note(target, _Note(audited, target.id, AuditAction.CHANGE, before, after, naming))


def _after_delete(mapper, connection, target) -> None:
    audited = _AUDITED_BY_MODEL[mapper.class_]
    values = instance_state(target).dict
    before = {column: values.get(column) for column in audited.columns}
    _note(
        target,
        _Note(audited, target.id, AuditAction.DELETE, before, None, _naming(audited, values)),
    )


def _note(target, note: _Note) -> None:
    session = object_session(target)
    if session is not None:
        _notes(session).append(note)


def _naming(audited: AuditedModel, values: dict) -> dict:
    return {column: values[column] for column in audited.naming if column in values}


def _same_value(old, new) -> bool:
    """Whether two values of a column are the same: 5.6 and 5.60 are, so are an enum and its
    stored text."""
    return old == new or _plain(old) == _plain(new)


def _before_flush(session: Session, flush_context, instances) -> None:
    """Refuse changes to the trail; make sure old values are at hand before rows change."""
    session.info.pop(_KNOWN_BEFORE, None)
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            raise AuditTrailReadOnly()
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditTrailReadOnly()
        audited = _AUDITED_BY_MODEL.get(type(obj))
        if audited is not None:
            # A deleted row's values are recorded: load those that were expired, now that
            # the row can still be read.
            unloaded = instance_state(obj).unloaded
            for column in audited.columns:
                if column in unloaded:
                    getattr(obj, column)
    for obj in session.dirty:
        if isinstance(obj, AuditEntry):
            if session.is_modified(obj):
                raise AuditTrailReadOnly()
            continue
        audited = _AUDITED_BY_MODEL.get(type(obj))
        if audited is not None:
            _remember_unknown_before(session, audited, obj)


def _remember_unknown_before(session: Session, audited: AuditedModel, obj) -> None:
    """A column set while expired has no old value in its history: read it from the database."""
    state = instance_state(obj)
    if state.key is None:
        return
    unknown = [
        column
        for column in audited.columns
        if (history := state.attrs[column].history).added and not history.deleted
    ]
    if not unknown:
        return
    table = audited.table
    row = (
        session.connection()
        .execute(select(*(table.c[column] for column in unknown)).where(table.c.id == obj.id))
        .first()
    )
    if row is not None:
        session.info.setdefault(_KNOWN_BEFORE, {})[state.key] = dict(zip(unknown, row, strict=True))


# --- noting what statements write ----------------------------------------------------------------


def _watch_statement(execution: ORMExecuteState):
    """Note the rows an INSERT, UPDATE or DELETE run through the session writes."""
    if execution.is_select or not (
        execution.is_insert or execution.is_update or execution.is_delete
    ):
        return None
    table_name = getattr(execution.statement.table, "name", None)
    if table_name == AuditEntry.__tablename__:
        raise AuditTrailReadOnly()
    audited = _AUDITED_BY_TABLE.get(table_name)
    if audited is None:
        return None
    session = execution.session
    if execution.is_insert:
        result = execution.invoke_statement()
        _note_inserted(session, audited, _inserted_values(execution))
        return result
    where = execution.statement.whereclause
    if isinstance(execution.parameters, list):  # an UPDATE or DELETE by primary key, in bulk
        where = audited.table.c.id.in_([values["id"] for values in execution.parameters])
    before = _read_rows(session, audited, where)
    result = execution.invoke_statement()
    if execution.is_delete:
        for row_id, values in before.items():
            note = _Note(
                audited, row_id, AuditAction.DELETE, values, None, _naming(audited, values)
            )
            _notes(session).append(note)
        return result
    table = audited.table
    after = {}
    for chunk in _chunks(list(before)):
        after.update(_read_rows(session, audited, table.c.id.in_(chunk)))
    for row_id, old in before.items():
        new = after.get(row_id, old)
        changed = [
            column for column in audited.columns if not _same_value(old[column], new[column])
        ]
        if changed:
            _notes(session).append(
                _Note(
                    audited,
                    row_id,
                    AuditAction.CHANGE,
                    {column: old[column] for column in changed},
                    {column: new[column] for column in changed},
                    _naming(audited, new),
                )
            )
    return result


def _inserted_values(execution: ORMExecuteState) -> list[dict]:
    parameters = execution.parameters
    if isinstance(parameters, dict):
        return [parameters]
    if parameters:
        return list(parameters)
    return [execution.statement.compile().params]


def _note_inserted(session: Session, audited: AuditedModel, inserted: list[dict]) -> None:
    """Find the rows a statement inserted by their key, and note each as created."""
    table = audited.table
    first = audited.key[0]
    wanted = {tuple(_plain(values.get(column)) for column in audited.key) for values in inserted}
    firsts = sorted({values.get(first) for values in inserted}, key=repr)
    for chunk in _chunks(firsts):
        rows = _read_rows(session, audited, table.c[first].in_(chunk))
        for row_id, values in rows.items():
            if tuple(_plain(values[column]) for column in audited.key) in wanted:
                note = _Note(
                    audited, row_id, AuditAction.CREATE, None, values, _naming(audited, values)
                )
                _notes(session).append(note)


def _read_rows(session: Session, audited: AuditedModel, where) -> dict[int, dict]:
    table = audited.table
    statement = select(table.c.id, *(table.c[column] for column in audited.columns))
    if where is not None:
        statement = statement.where(where)
    rows = session.connection().execute(statement.order_by(table.c.id))
    return {row[0]: dict(zip(audited.columns, row[1:], strict=True)) for row in rows}


def _chunks(values: Sequence) -> Iterable[Sequence]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


# --- writing the entries -------------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    """Flush what is pending, then write the transaction's entries in one statement."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    notes = session.info.pop(_NOTES, None)
    session.info.pop(_KNOWN_BEFORE, None)
    if not notes:
        return
    notes = _pair_rewritten_lines(_merged(notes))
    if not notes:
        return
    labels = _labels(session, notes)
    actor = current_actor()
    now = utcnow()
    session.connection().execute(
        insert(AuditEntry.__table__),
        [
            {
                "occurred_at": now,
                "user_id": actor.id if actor else None,
                "user_email": actor.email if actor else None,
                "user_name": actor.name if actor else None,
                "action": _action(note),
                "entity_type": note.audited.entity,
                "entity_id": note.entity_id,
                "entity_label": labels[id(note)][:300],
                "before": _stored(note.audited, note.before),
                "after": _stored(note.audited, note.after),
            }
            for note in notes
        ],
    )


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, committed or rolled back
        session.info.pop(_NOTES, None)
        session.info.pop(_KNOWN_BEFORE, None)


def _merged(notes: list[_Note]) -> list[_Note]:
    """One note per record: what it was before the transaction and what it is after.

    A record deleted and then created under the same id (SQLite reuses the highest ids) is two
    records, and keeps two notes.
    """
    kept: list[_Note] = []
    latest: dict[tuple, _Note] = {}
    gone: set[int] = set()
    for note in notes:
        key = (note.audited.entity, note.entity_id)
        earlier = latest.get(key)
        if earlier is None or earlier.action is AuditAction.DELETE:
            kept.append(note)
            latest[key] = note
            continue
        earlier.naming.update(note.naming)
        if note.action is AuditAction.DELETE:
            if earlier.action is AuditAction.CREATE:
                gone.add(id(earlier))  # it never existed outside this transaction
                del latest[key]
                continue
            earlier.before = {**note.before, **earlier.before}
            earlier.after = None
            earlier.action = AuditAction.DELETE
        elif earlier.action is AuditAction.CREATE:
            earlier.after = {**earlier.after, **note.after}
        else:
            earlier.before = {**note.before, **earlier.before}
            earlier.after = {**earlier.after, **note.after}
            _drop_unchanged(earlier)
            if not earlier.after:
                gone.add(id(earlier))
                del latest[key]
    return [note for note in kept if id(note) not in gone]


def _drop_unchanged(note: _Note) -> None:
    for column in list(note.after):
        if _same_value(note.before.get(column), note.after[column]):
            del note.before[column], note.after[column]


def _pair_rewritten_lines(notes: list[_Note]) -> list[_Note]:
    """A shipment edit replaces the line at a position whose item changed (and, after a line is
    removed, those renumbered into its place): a line deleted and created at the same position of
    the same shipment is a change of that line (or no change at all)."""
    lines = AUDITED_BY_ENTITY[AuditedEntity.SHIPMENT_LINE]
    deleted = {
        (note.before["shipment_id"], note.before["position"]): note
        for note in notes
        if note.audited is lines and note.action is AuditAction.DELETE
    }
    if not deleted:
        return notes
    kept: set[int] = set()
    dropped: set[int] = set()
    for note in notes:
        if note.audited is not lines or note.action is not AuditAction.CREATE:
            continue
        old = deleted.get((note.after["shipment_id"], note.after["position"]))
        if old is None:
            continue
        dropped.update((id(old), id(note)))
        changed = [
            column
            for column in lines.columns
            if not _same_value(old.before[column], note.after[column])
        ]
        if changed:
            note.action = AuditAction.CHANGE
            note.before = {column: old.before[column] for column in changed}
            note.after = {column: note.after[column] for column in changed}
            kept.add(id(note))
    return [note for note in notes if id(note) not in dropped or id(note) in kept]


def _action(note: _Note) -> AuditAction:
    if (
        note.action is AuditAction.CHANGE
        and note.audited.entity is AuditedEntity.SHIPMENT
        and _plain(note.after.get("status")) == ShipmentStatus.CANCELLED.value
    ):
        return AuditAction.CANCEL
    return note.action


def _stored(audited: AuditedModel, values: dict | None) -> dict | None:
    """`values` as they are stored: decimals to the places their column keeps ("1000.000" for
    1000 kits, as the database has it), secrets hidden."""
    if values is None:
        return None
    scales = audited.scales
    stored = {}
    for column, value in values.items():
        if column in audited.secret:
            stored[column] = HIDDEN if value is not None else None
        elif column in scales and isinstance(value, Decimal | int) and not isinstance(value, bool):
            stored[column] = str(Decimal(value).quantize(scales[column]))
        else:
            stored[column] = _plain(value)
    return stored


def _plain(value):
    """A column value as JSON can hold it: enums by value, dates in ISO 8601, decimals as text."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- labels --------------------------------------------------------------------------------------


def _labels(session: Session, notes: list[_Note]) -> dict[int, str]:
    """Each note's label: a shipment's reference, "REF #2" for a line, "REF: file.pdf" for a
    document, an organisation's name, "EUR 2023-03-30" for a rate, a user's e-mail."""
    _complete_naming(session, notes)
    references = _shipment_references(session, notes)
    labels = {}
    for note in notes:
        naming = note.naming
        entity = note.audited.entity
        if entity is AuditedEntity.SHIPMENT_LINE:
            label = f"{references.get(naming['shipment_id'], '?')} #{naming['position']}"
        elif entity is AuditedEntity.DOCUMENT:
            label = f"{references.get(naming['shipment_id'], '?')}: {naming['filename']}"
        elif entity is AuditedEntity.EXCHANGE_RATE:
            label = f"{naming['currency']} {_plain(naming['rate_date'])}"
        elif entity is AuditedEntity.CASH_DONATION:
            amount, day = _plain(naming["amount"]), _plain(naming["donated_on"])
            label = f"{amount} {naming['currency']} {day}"
        else:
            label = str(naming[note.audited.naming[0]])
        labels[id(note)] = label
    return labels


def _complete_naming(session: Session, notes: list[_Note]) -> None:
    """Fill naming columns a note lacks (they were not loaded) from its values or the row."""
    missing: dict[AuditedModel, list[_Note]] = {}
    for note in notes:
        for column in note.audited.naming:
            if column not in note.naming:
                known = (note.after or {}).get(column, (note.before or {}).get(column))
                if known is not None or column in (note.after or note.before or {}):
                    note.naming[column] = known
                else:
                    missing.setdefault(note.audited, []).append(note)
                    break
    for audited, lacking in missing.items():
        table = audited.table
        ids = [note.entity_id for note in lacking]
        rows = {}
        for chunk in _chunks(ids):
            rows.update(_read_rows(session, audited, table.c.id.in_(chunk)))
        for note in lacking:
            values = rows.get(note.entity_id, {})
            for column in audited.naming:
                note.naming.setdefault(column, values.get(column))


def _shipment_references(session: Session, notes: list[_Note]) -> dict[int, str]:
    """The references of the shipments that lines and documents belong to: from the notes and
    the session where known, else read in one query."""
    references = {
        note.entity_id: note.naming["reference"]
        for note in notes
        if note.audited.entity is AuditedEntity.SHIPMENT and note.naming.get("reference")
    }
    wanted = (
        {
            note.naming.get("shipment_id")
            for note in notes
            if note.audited.entity in (AuditedEntity.SHIPMENT_LINE, AuditedEntity.DOCUMENT)
        }
        - set(references)
        - {None}
    )
    for shipment_id in list(wanted):
        shipment = session.identity_map.get(session.identity_key(Shipment, shipment_id))
        reference = instance_state(shipment).dict.get("reference") if shipment else None
        if reference:
            references[shipment_id] = reference
            wanted.discard(shipment_id)
    for chunk in _chunks(sorted(wanted)):
        table = Shipment.__table__
        rows = session.connection().execute(
            select(table.c.id, table.c.reference).where(table.c.id.in_(chunk))
        )
        references.update((row_id, reference) for row_id, reference in rows)
    return references


# --- switching it on -----------------------------------------------------------------------------


def init_audit(app: Flask) -> None:
    """Record every change of the audited models made through the application's session.

    The listeners belong to the session and the models, which outlive one app: they are added
    once per process, whatever the number of apps (tests build one per test).
    """
    session_class = db.session
    listeners = [
        (session_class, "before_flush", _before_flush),
        (session_class, "do_orm_execute", _watch_statement),
        (session_class, "before_commit", _before_commit),
        (session_class, "after_transaction_end", _after_transaction_end),
    ]
    for audited in AUDITED:
        listeners += [
            (audited.model, "after_insert", _after_insert),
            (audited.model, "after_update", _after_update),
            (audited.model, "after_delete", _after_delete),
        ]
    for target, name, listener in listeners:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
