"""Comparing typed text with stored text, ignoring case in any language, on both databases.

PostgreSQL's ``lower()`` folds every alphabet, and aidtracker.database gives SQLite connections a
``lower()`` that does too, so one SQL expression serves both.
"""

from sqlalchemy import ColumnElement, func, select

from aidtracker.extensions import db


def text_matches(column, text: str) -> ColumnElement[bool]:
    """`column` contains `text`, ignoring case in any language; % and _ are taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def same_text_taken(column, text: str, *conditions, other_than: int | None = None) -> bool:
    """Whether another row already has `text` in `column`, ignoring case in any language.

    `conditions` narrow the rows compared (e.g. the same unit); `other_than` is the id of the
    row being changed.
    """
    row_id = column.class_.id
    query = select(row_id).where(func.lower(column) == text.lower(), *conditions)
    if other_than is not None:
        query = query.where(row_id != other_than)
    return db.session.execute(query.limit(1)).first() is not None
