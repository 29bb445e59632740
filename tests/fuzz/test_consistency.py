"""The consistency checker the fuzzing relies on finds what it is meant to find: each invariant,
broken on purpose, is reported."""

from decimal import Decimal

import pytest
from sqlalchemy import text

from aidtracker.extensions import db
from tests.fuzz.consistency import inconsistencies, read_contents
from tests.fuzz.installation import DRAFT

BREAKAGES = {
    "a gap in the line numbers": (
        "UPDATE shipment_lines SET position = position + 10 "
        "WHERE id = (SELECT max(id) FROM shipment_lines)",
        "are numbered",
    ),
    "a malformed reference": (
        "UPDATE shipments SET reference = 'LUB-KRR-23-7' WHERE reference = :draft",
        "is not ORIGIN-DESTINATION-YEAR-NUMBER",
    ),
    "a status its history does not lead to": (
        "UPDATE shipments SET status = 'delivered' WHERE reference = :draft",
        "its history ends at",
    ),
    "a move from a status the shipment was not in": (
        "UPDATE status_events SET from_status = 'ready' "
        "WHERE id = (SELECT min(id) FROM status_events WHERE kind = 'status')",
        "but the shipment was None",
    ),
    "a shipment without history": (
        "DELETE FROM status_events "
        "WHERE shipment_id = (SELECT id FROM shipments WHERE reference = :draft)",
        "has no status history",
    ),
    "an e-mail address nobody can log in with": (
        "UPDATE users SET email = 'Staff@Lublin.example' WHERE email = 'staff@lublin.example'",
        "not normalised",
    ),
    "a currency in small letters": (
        "UPDATE shipment_lines SET currency = 'pln' "
        "WHERE id = (SELECT min(id) FROM shipment_lines)",
        "has currency 'pln'",
    ),
    "an HS code of letters": (
        "UPDATE catalogue_items SET hs_code = 'abcdef' "
        "WHERE id = (SELECT min(id) FROM catalogue_items)",
        "has HS code 'abcdef'",
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_the_checker_finds_a_broken_invariant_in_the_database(installation, breakage):
    statement, expected = BREAKAGES[breakage]
    with (
        installation.app.app_context(),
        db.engine.connect() as connection,
        connection.begin() as transaction,
    ):
        assert inconsistencies(read_contents(connection)) == []
        connection.execute(text(statement), {"draft": DRAFT})
        problems = inconsistencies(read_contents(connection))
        transaction.rollback()
    assert any(expected in problem for problem in problems), problems


def _broken(contents: dict, table: str, column: str, value) -> dict:
    rows = [dict(row) for row in contents[table]]
    rows[0][column] = value
    return {**contents, table: rows}


SQLITE_WOULD_STORE = {
    "text longer than its column": (("cities", "name", "x" * 121), "more than its 120"),
    "a NUL character": (("organisations", "name", "a\x00b"), "contains a NUL character"),
    "a number beyond its precision": (
        ("shipment_lines", "quantity", Decimal(10) ** 11),
        "too large for NUMERIC(14, 3)",
    ),
    "an id beyond a 32-bit integer": (("shipments", "sequence", 2**31), "beyond a 32-bit"),
    "a status nobody knows": (("shipments", "status", "teleported"), "unknown value"),
    "a line of no shipment": (("shipment_lines", "shipment_id", 999_999), "names no row"),
}


@pytest.mark.parametrize("case", sorted(SQLITE_WOULD_STORE))
def test_the_checker_finds_what_only_sqlite_would_store(installation, case):
    """PostgreSQL refuses these itself; SQLite stores them, so the checker must catch them."""
    (table, column, value), expected = SQLITE_WOULD_STORE[case]
    with installation.app.app_context():
        problems = inconsistencies(_broken(installation.baseline.contents, table, column, value))
    assert any(expected in problem for problem in problems), problems


def test_the_checker_finds_a_document_without_its_file(installation):
    installation.restore(installation.baseline)
    stored = next(
        path for path in installation.baseline.files if path.parent == installation.upload_folder
    )
    stored.unlink()
    try:
        with installation.app.app_context():
            problems = inconsistencies(read_contents(), upload_folder=installation.upload_folder)
    finally:
        installation.restore(installation.baseline)
    assert any("has no file" in problem for problem in problems), problems
