"""Reading the audit trail: filters, pages, and each entry's changes in words.

The page and the Excel export use the same filters and the same wording, so a file shows what the
page showed.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import format_date, format_datetime, get_locale, to_utc
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Enum, Numeric, Select, select
from sqlalchemy.types import TypeDecorator

from aidtracker.audit.models import AuditAction, AuditedEntity, AuditEntry
from aidtracker.audit.service import AUDITED_BY_ENTITY, HIDDEN
from aidtracker.auth.models import User
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.i18n import current_language
from aidtracker.pagination import Page, paginate
from aidtracker.parties.models import City, Organisation
from aidtracker.search import text_matches
from aidtracker.shipments.models import Shipment

FIELD_LABELS = {
    # shipments
    "reference": _l("Reference"),
    "reference_year": _l("Reference year"),
    "sequence": _l("Sequence number"),
    "origin_city_id": _l("Origin"),
    "destination_city_id": _l("Destination"),
    "sender_id": _l("Sender"),
    "recipient_id": _l("Recipient"),
    "carrier_id": _l("Carrier"),
    "transport_mode": _l("Transport"),
    "vehicle_registration": _l("Vehicle registration"),
    "driver_name": _l("Driver"),
    "cmr_number": _l("CMR number"),
    "planned_departure": _l("Planned departure"),
    "dispatch_date": _l("Dispatch date"),
    "delivery_date": _l("Delivery date"),
    "status": _l("Status"),
    "customs_status": _l("Customs status"),
    "customs_declaration_number": _l("Declaration number"),
    "customs_declared_on": _l("Declared to customs on"),
    "customs_cleared_on": _l("Cleared by customs on"),
    "border_crossing": _l("Border crossing"),
    "aid_recognition_code": _l("Aid recognition code"),
    "aid_recognition_code_issued_on": _l("Code issued on"),
    "distribution_report_due_on": _l("Distribution report due on"),
    "distribution_report_submitted_on": _l("Report submitted on"),
    "notes": _l("Notes"),
    "tracking_token": _l("Tracking link"),
    "created_at": _l("Created at"),
    "created_by_id": _l("Created by"),
    # shipment lines
    "shipment_id": _l("Shipment"),
    "position": _l("Line"),
    "catalogue_item_id": _l("Item"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "unit_value": _l("Unit value"),
    "currency": _l("Currency"),
    "donor_id": _l("Donor"),
    "funding": _l("Funding"),
    "lot": _l("Lot"),
    "expiry": _l("Expiry"),
    "gross_weight_kg": _l("Gross weight (kg)"),
    "received_quantity": _l("Received quantity"),
    "condition": _l("Condition"),
    "receipt_note": _l("Note on the receipt"),
    # documents
    "kind": _l("Kind"),
    "filename": _l("File name"),
    "storage_name": _l("Stored as"),
    "content_type": _l("File type"),
    "size_bytes": _l("Size (bytes)"),
    "sha256": _l("SHA-256 checksum"),
    "uploaded_at": _l("Uploaded"),
    "uploaded_by_id": _l("Uploaded by"),
    # organisations
    "name": _l("Name"),
    "country": _l("Country"),
    "city_id": _l("City"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("E-mail"),
    "contact_phone": _l("Phone"),
    "address": _l("Address"),
    "is_sender": _l("Usually a sender"),
    "is_recipient": _l("Usually a recipient"),
    "is_carrier": _l("Usually a carrier"),
    "is_donor": _l("Usually a donor"),
    # exchange rates
    "rate_date": _l("Rate date"),
    "rate": _l("Rate"),
    "source": _l("Source"),
    # users
    "email": _l("E-mail"),
    "password_hash": _l("Password"),
    "role": _l("Role"),
    "organisation_id": _l("Organisation"),
    "language": _l("Language"),
    "active": _l("Active"),
    "notifications_enabled": _l("E-mail notifications"),
    # funds and cash donations
    "fund_id": _l("Fund"),
    "purpose": _l("Purpose"),
    "owner_id": _l("Held by"),
    "is_open": _l("Open"),
    "overdraft_limit": _l("Allowed overdraft"),
    "overdraft_reason": _l("Reason for the overdraft"),
    "overdraft_allowed_by_id": _l("Overdraft allowed by"),
    "overdraft_allowed_at": _l("Overdraft allowed at"),
    "amount": _l("Amount"),
    "donated_on": _l("Date of the donation"),
    "recorded_by_id": _l("Recorded by"),
    "recorded_at": _l("Recorded at"),
}
"""What each recorded column is called on the page and in the export."""

_NAMES = {
    "cities": lambda: (City.id, City.name),
    "organisations": lambda: (Organisation.id, Organisation.name),
    "users": lambda: (User.id, User.email),
    "shipments": lambda: (Shipment.id, Shipment.reference),
    "catalogue_items": lambda: (CatalogueItem.id, CatalogueItem.name_in_sql(current_language())),
    "funds": lambda: (Fund.id, Fund.name),
}
"""How a record that a column points to is named, by table."""


@dataclass(frozen=True)
class AuditFilters:
    entity: AuditedEntity | None = None
    action: AuditAction | None = None
    user: str = ""
    """Part of the acting user's e-mail address."""
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    """Part of the record's label: a reference, a name, a currency."""


def _start_of_local_day(day: date) -> datetime:
    """Midnight of `day` in the installation's time zone, in UTC; far-off days are clamped."""
    day = min(max(day, date(1900, 1, 1)), date(9999, 12, 30))
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def _conditions(filters: AuditFilters) -> list:
    conditions = []
    if filters.entity:
        conditions.append(AuditEntry.entity_type == filters.entity)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.user.strip():
        conditions.append(text_matches(AuditEntry.user_email, filters.user.strip()))
    if filters.text.strip():
        conditions.append(text_matches(AuditEntry.entity_label, filters.text.strip()))
    if filters.date_from:
        conditions.append(AuditEntry.occurred_at >= _start_of_local_day(filters.date_from))
    if filters.date_to:
        day_after = min(filters.date_to, date(9999, 12, 29)) + timedelta(days=1)
        conditions.append(AuditEntry.occurred_at < _start_of_local_day(day_after))
    return conditions


def _newest_first(filters: AuditFilters) -> Select:
    return (
        select(AuditEntry)
        .where(*_conditions(filters))
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    )


def audit_page(filters: AuditFilters, page: int, per_page: int) -> Page:
    """The entries matching `filters`, newest first, one page of them (two queries)."""
    return paginate(_newest_first(filters), page, per_page)


def audit_entries(filters: AuditFilters, batch: int = 1000) -> Iterator[list[AuditEntry]]:
    """Every entry matching `filters`, newest first, in batches: an export of a long trail
    never holds all of it in memory."""
    result = db.session.scalars(_newest_first(filters).execution_options(yield_per=batch))
    yield from result.partitions()


# --- changes in words ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of an entry. `before` is None for a creation and `after` None for a deletion;
    otherwise both are shown, "before → after"."""

    label: str
    before: str | None
    after: str | None


def changes_of(entries: Iterable[AuditEntry]) -> dict[int, list[FieldChange]]:
    """Each entry's fields in words, by entry id: labels translated, statuses by their names,
    organisations, cities, items and users by name rather than by id, secrets as "changed".

    A creation or deletion lists the fields that had a value; a change lists every changed
    field. Names are read in one query per kind of record for all `entries`.
    """
    entries = list(entries)
    names = _names_pointed_to(entries)
    labels = {column: str(label) for column, label in FIELD_LABELS.items()}
    locale = get_locale()
    separators = {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale)}
    shown_before: dict[tuple, str] = {}  # values repeat down a long trail: word each once

    def shown(audited, column: str, value) -> str:
        key = (audited.entity, column, value)
        if key not in shown_before:
            shown_before[key] = _shown(audited, column, value, names, separators)
        return shown_before[key]

    described = {}
    for entry in entries:
        audited = AUDITED_BY_ENTITY[entry.entity_type]
        before, after = entry.before or {}, entry.after or {}
        fields = []
        for column in _ordered_columns(audited, before, after):
            label = labels.get(column, column)
            if column in audited.secret:
                fields.append(FieldChange(label, None, _secret_change(before, after, column)))
            elif entry.action is AuditAction.CREATE:
                if after.get(column) is not None:
                    fields.append(FieldChange(label, None, shown(audited, column, after[column])))
            elif entry.action is AuditAction.DELETE:
                if before.get(column) is not None:
                    fields.append(FieldChange(label, shown(audited, column, before[column]), None))
            else:
                fields.append(
                    FieldChange(
                        label,
                        shown(audited, column, before.get(column)),
                        shown(audited, column, after.get(column)),
                    )
                )
        described[entry.id] = fields
    return described


def change_text(change: FieldChange) -> str:
    """One field on one line, for the export: "Status: Draft → Cancelled"."""
    if change.before is not None and change.after is not None:
        return f"{change.label}: {change.before} → {change.after}"
    return f"{change.label}: {change.after if change.after is not None else change.before}"


def _ordered_columns(audited, before: dict, after: dict) -> list[str]:
    """The entry's columns in the table's order; columns since dropped from the model last."""
    present = set(before) | set(after)
    known = [column for column in audited.columns if column in present]
    return known + sorted(present - set(known))


def _secret_change(before: dict, after: dict, column: str) -> str:
    had, has = before.get(column) == HIDDEN, after.get(column) == HIDDEN
    if had and has:
        return _("changed")
    if has:
        return _("set")
    return _("removed") if had else "—"


def _shown(audited, column: str, value, names: dict, separators: dict) -> str:
    """A stored value as people read it; `separators` turn "1,234.5" into the language's
    digit grouping and decimal sign (Babel's own formatting costs too much over a long export)."""
    if value is None or value == "":
        return "—"
    table_column = audited.table.c.get(column)
    if table_column is None:
        return str(value)
    for key in table_column.foreign_keys:
        named = names.get(key.column.table.name, {}).get(value)
        return named if named is not None else f"#{value}"
    kind = table_column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    try:
        if isinstance(kind, Enum) and kind.enum_class is not None:
            member = kind.enum_class(value)
            return str(getattr(member, "label", member.value))
        if isinstance(kind, Boolean):
            return _("Yes") if value else _("No")
        if isinstance(kind, DateTime):
            return format_datetime(datetime.fromisoformat(value), "short")
        if isinstance(kind, Date):
            return format_date(date.fromisoformat(value))
        if isinstance(kind, Numeric):
            return f"{Decimal(value):,}".translate(separators)
    except (ValueError, TypeError, InvalidOperation):
        pass  # a value an older version stored differently: shown as it is
    return str(value)


def _names_pointed_to(entries: list[AuditEntry]) -> dict[str, dict[int, str]]:
    """For each table that recorded columns point to, the names of the rows the entries use."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        table = AUDITED_BY_ENTITY[entry.entity_type].table
        for values in (entry.before, entry.after):
            for column, value in (values or {}).items():
                table_column = table.c.get(column)
                if table_column is None or value is None:
                    continue
                for key in table_column.foreign_keys:
                    wanted.setdefault(key.column.table.name, set()).add(value)
    names = {}
    for table_name, ids in wanted.items():
        id_column, name_column = _NAMES[table_name]()
        rows = db.session.execute(select(id_column, name_column).where(id_column.in_(ids)))
        names[table_name] = dict(rows.all())
    return names
