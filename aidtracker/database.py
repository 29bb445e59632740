"""The declarative base and the column types every domain model shares.

Money and quantities are ``Numeric`` (never float), currencies ISO 4217 codes, and times are kept in
UTC whatever the database: SQLite has no time zones, so ``UTCDateTime`` stores naive UTC there and
hands back aware datetimes everywhere.
"""

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, Numeric, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# One naming convention, so constraint names agree on SQLite and PostgreSQL and migrations can
# name what they drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp that is always stored and returned in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC: the default of every timestamp column (called per row, not at import)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: Numeric(14, 2)},
    )


Money = Numeric(14, 2)
"""An amount of money in its own currency, to the cent."""

Quantity = Numeric(14, 3)
"""A count or a measure (pieces, kilograms, litres) with up to three decimals."""

Weight = Numeric(12, 3)
"""Kilograms, to the gram."""

Rate = Numeric(18, 8)
"""Units of the base currency per one unit of another currency."""


def currency_code() -> String:
    """An ISO 4217 code: three upper-case letters."""
    return String(3)


def enum_column_type(enum_class, name: str):
    """Store a Python enum as its lower-case value in a VARCHAR with a CHECK constraint.

    Not a native PostgreSQL enum: adding a status later is then an ordinary migration.
    """
    from sqlalchemy import Enum

    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Make SQLite behave like PostgreSQL where it matters to us.

    Foreign keys are enforced, and ``lower()`` folds every alphabet (SQLite's own only knows
    ASCII), so that searching "рис" finds "Рис 1 кг" on both databases. Write-ahead logging
    lets people keep saving while a long report reads the database.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _lower(text):
    return text.lower() if isinstance(text, str) else text
