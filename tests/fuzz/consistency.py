"""The database's invariants, checked over a snapshot of every table.

``read_contents`` reads every table once; ``inconsistencies`` lists what in those rows breaks a
rule, as sentences (empty: consistent). Two kinds of rule:

- generic ones, over the metadata, so that a new table is covered without a word here: foreign
  keys resolve, enum columns hold known values, text fits its column and holds no NUL, numbers fit
  their precision, ids fit an INTEGER. SQLite stores a 10,000-character name in a VARCHAR(200)
  without complaint; PostgreSQL would not, so both must be caught here.
- the domain's: shipment references and line numbers, positive quantities, money that is not
  negative, a status history that leads to the shipment's status, files behind documents...
"""

import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, Enum, Integer, Numeric, String, select, type_coerce

from aidtracker.auth.models import Role
from aidtracker.extensions import db
from aidtracker.input_guard import LARGEST_ID
from aidtracker.shipments.models import CustomsStatus, EventKind, ShipmentStatus

Contents = dict[str, list[dict]]
"""Rows of every table by table name, each a dict of column name to value, in primary-key order."""

REFERENCE = re.compile(r"[A-Z]{3}-[A-Z]{3}-\d{4}-\d{4,}")
CURRENCY = re.compile(r"[A-Z]{3}")
COUNTRY = re.compile(r"[A-Z]{2}")
HS_CODE = re.compile(r"\d{6,10}")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def read_contents(connection: Connection | None = None) -> Contents:
    """Every row of every table, through `connection` (default: a new one of the app's engine).

    Enum columns are read as the stored text, so that an unknown value is reported rather than
    failing the read.
    """
    if connection is None:
        with db.engine.connect() as connection:
            return read_contents(connection)
    contents = {}
    for table in db.metadata.sorted_tables:
        columns = [
            type_coerce(column, String).label(column.name)
            if isinstance(column.type, Enum)
            else column
            for column in table.columns
        ]
        query = select(*columns).order_by(*table.primary_key.columns)
        contents[table.name] = [dict(row._mapping) for row in connection.execute(query)]
    return contents


def inconsistencies(contents: Contents, *, upload_folder: Path | None = None) -> list[str]:
    """What in `contents` breaks an invariant; `upload_folder` also checks documents' files."""
    problems = _generic_problems(contents)
    for check in (_shipment_problems, _line_problems, _event_problems, _reference_data_problems):
        problems.extend(check(contents))
    if upload_folder is not None:
        problems.extend(_document_file_problems(contents, upload_folder))
    return problems


# -- generic rules, from the metadata ------------------------------------------------------------


def _generic_problems(contents: Contents) -> list[str]:
    problems = []
    for table in db.metadata.sorted_tables:
        rows = contents.get(table.name, [])
        for column in table.columns:
            check = _column_check(column)
            if check is None:
                continue
            for row in rows:
                value = row[column.name]
                if value is not None and (problem := check(value)):
                    problems.append(f"{table.name} {_key(table, row)}: {column.name} {problem}")
        for key in table.foreign_keys:
            problems.extend(_dangling(contents, table, key))
    return problems


def _column_check(column):
    """A function telling what is wrong with a value of `column` (None: nothing)."""
    kind = column.type
    if isinstance(kind, Enum):
        allowed = set(kind.enums)
        return lambda value: None if value in allowed else f"holds unknown value {value!r}"
    if isinstance(kind, String):  # also Text
        return lambda value: _text_problem(value, kind.length)
    if isinstance(kind, Numeric):
        return lambda value: _number_problem(value, kind.precision, kind.scale)
    if isinstance(kind, Integer):
        return lambda value: (
            f"is {value}, beyond a 32-bit integer" if abs(value) > LARGEST_ID else None
        )
    return None


def _text_problem(value, length: int | None) -> str | None:
    if not isinstance(value, str):
        return f"holds {type(value).__name__} {value!r}, not text"
    if "\x00" in value:
        return "contains a NUL character"
    if length is not None and len(value) > length:
        return f"has {len(value)} characters, more than its {length}"
    return None


def _number_problem(value, precision: int | None, scale: int | None) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"is {value!r}, not a finite decimal"
    if precision is not None and abs(value) >= Decimal(10) ** (precision - (scale or 0)):
        return f"is {value}, too large for NUMERIC({precision}, {scale})"
    return None


def _dangling(contents: Contents, table, key) -> list[str]:
    target = key.column
    present = {row[target.name] for row in contents.get(target.table.name, [])}
    return [
        f"{table.name} {_key(table, row)}: {key.parent.name} {row[key.parent.name]} "
        f"names no row of {target.table.name}"
        for row in contents.get(table.name, [])
        if row[key.parent.name] is not None and row[key.parent.name] not in present
    ]


def _key(table, row: dict) -> str:
    return "#" + "/".join(str(row[column.name]) for column in table.primary_key.columns)


# -- the domain's rules ---------------------------------------------------------------------------


def _shipment_problems(contents: Contents) -> list[str]:
    problems = []
    cities = {city["id"]: city for city in contents["cities"]}
    for shipment in contents["shipments"]:
        name = f"shipment {shipment['reference']!r}"
        origin = cities.get(shipment["origin_city_id"], {}).get("code")
        destination = cities.get(shipment["destination_city_id"], {}).get("code")
        expected = f"{origin}-{destination}-{shipment['reference_year']}-{shipment['sequence']:04d}"
        if not REFERENCE.fullmatch(shipment["reference"]):
            problems.append(f"{name} is not ORIGIN-DESTINATION-YEAR-NUMBER")
        elif shipment["reference"] != expected:
            problems.append(f"{name} does not match its route, year and number ({expected})")
        if shipment["origin_city_id"] == shipment["destination_city_id"]:
            problems.append(f"{name} goes from a city to itself")
        if shipment["sequence"] < 1 or shipment["version"] < 1:
            problems.append(f"{name} has a number or version below 1")
    return problems


def _line_problems(contents: Contents) -> list[str]:
    problems = []
    positions = defaultdict(list)
    for line in contents["shipment_lines"]:
        positions[line["shipment_id"]].append(line["position"])
        name = f"line {line['position']} of shipment #{line['shipment_id']}"
        if line["quantity"] <= 0:
            problems.append(f"{name} has quantity {line['quantity']}")
        for money in ("unit_value", "gross_weight_kg", "received_quantity"):
            if line[money] is not None and line[money] < 0:
                problems.append(f"{name} has a negative {money}: {line[money]}")
        if not CURRENCY.fullmatch(line["currency"]):
            problems.append(f"{name} has currency {line['currency']!r}")
    for shipment_id, numbers in positions.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            problems.append(f"lines of shipment #{shipment_id} are numbered {sorted(numbers)}")
    return problems


def _event_problems(contents: Contents) -> list[str]:
    """Every shipment's status history starts at draft, each move starts where the last ended,
    and the last one is the shipment's status."""
    problems = []
    statuses = {status.value for status in ShipmentStatus}
    customs = {status.value for status in CustomsStatus}
    history = defaultdict(list)
    for event in sorted(contents["status_events"], key=lambda e: (e["occurred_at"], e["id"])):
        known = customs if event["kind"] == EventKind.CUSTOMS.value else statuses
        for end in ("from_status", "to_status"):
            if event[end] is not None and event[end] not in known:
                problems.append(f"status event #{event['id']} has {end} {event[end]!r}")
        if event["kind"] == EventKind.STATUS.value:
            history[event["shipment_id"]].append(event)
    for shipment in contents["shipments"]:
        name = f"shipment {shipment['reference']!r}"
        events = history.get(shipment["id"], [])
        if not events:
            problems.append(f"{name} has no status history")
            continue
        previous = None
        for event in events:
            if event["from_status"] != previous:
                problems.append(
                    f"{name}: event #{event['id']} moves from {event['from_status']!r}, "
                    f"but the shipment was {previous!r}"
                )
            previous = event["to_status"]
        if previous != shipment["status"]:
            problems.append(f"{name} is {shipment['status']!r}, its history ends at {previous!r}")
    return problems


def _reference_data_problems(contents: Contents) -> list[str]:
    problems = []
    for item in contents["catalogue_items"]:
        name = f"catalogue item #{item['id']}"
        if item["default_unit_value"] is not None and item["default_unit_value"] < 0:
            problems.append(f"{name} has a negative value")
        if item["default_currency"] is not None and not CURRENCY.fullmatch(
            item["default_currency"]
        ):
            problems.append(f"{name} has currency {item['default_currency']!r}")
        if item["hs_code"] is not None and not HS_CODE.fullmatch(item["hs_code"]):
            problems.append(f"{name} has HS code {item['hs_code']!r}")
    for rate in contents["exchange_rates"]:
        if rate["rate"] <= 0 or not CURRENCY.fullmatch(rate["currency"]):
            problems.append(f"exchange rate #{rate['id']}: {rate['rate']} {rate['currency']!r}")
    for city in contents["cities"]:
        if not (CURRENCY.fullmatch(city["code"]) and COUNTRY.fullmatch(city["country"])):
            problems.append(f"city #{city['id']} has code {city['code']!r}, {city['country']!r}")
    for organisation in contents["organisations"]:
        if not COUNTRY.fullmatch(organisation["country"]):
            problems.append(f"organisation #{organisation['id']}: {organisation['country']!r}")
    for partnership in contents["partnerships"]:
        if partnership["city_id"] == partnership["partner_city_id"]:
            problems.append(f"partnership #{partnership['id']} joins a city to itself")
    emails = Counter(user["email"].strip().lower() for user in contents["users"])
    for user in contents["users"]:
        name = f"user #{user['id']}"
        if user["email"] != user["email"].strip().lower() or emails[user["email"]] > 1:
            problems.append(f"{name} has e-mail {user['email']!r}, not normalised or not unique")
        if user["role"] == Role.PARTNER.value and user["organisation_id"] is None:
            problems.append(f"{name} is a partner of no organisation")
    for token in contents["api_tokens"]:
        if not HEX_DIGEST.fullmatch(token["token_hash"]):
            problems.append(f"API token #{token['id']} has no SHA-256 hash")
    return problems


def _document_file_problems(contents: Contents, folder: Path) -> list[str]:
    problems = []
    for document in contents["documents"]:
        path = folder / document["storage_name"]
        if not path.is_file():
            problems.append(f"document #{document['id']} has no file")
        elif path.stat().st_size != document["size_bytes"]:
            problems.append(f"document #{document['id']} is not {document['size_bytes']} bytes")
    return problems
