"""How a request's database transaction ends: COMMIT when it only read, ROLLBACK otherwise.

Flask-SQLAlchemy ends every request by removing its session, which rolls back whatever is open.
For a transaction that only read, COMMIT and ROLLBACK end it alike, but psycopg forgets every
prepared statement at a ROLLBACK (it cannot know what the rollback undid), so on a server where
every request rolls back each query is planned again on every request. Committing read-only
transactions lets the busiest queries be prepared once per connection.

Whether a transaction wrote is told by the statements its connection ran, not by the ORM: audit
rows, bulk updates and raw SQL go past the session's flush. Anything but a SELECT counts as a
write, and a transaction that wrote and was not committed by its view is still rolled back, as
before: this never makes permanent what a view left uncommitted.
"""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from aidtracker.extensions import db

WROTE = "aidtracker_wrote"
"""Key in a connection's info: set from the first non-SELECT statement to the end of the
transaction."""


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection) -> None:
    connection.info.pop(WROTE, None)


@event.listens_for(Pool, "reset")
def _connection_reset(dbapi_connection, connection_record, reset_state) -> None:
    connection_record.info.pop(WROTE, None)


def commit_if_read_only(exception: BaseException | None) -> None:
    """End the request's transaction with COMMIT when it wrote nothing, holds no unsaved change
    and nothing failed; the session's removal, which runs next, rolls back everything else."""
    session = db.session()
    transaction = session.get_transaction()
    if exception is not None or transaction is None or not transaction.is_active:
        return  # failed, nothing begun, or a failed flush the view caught: the removal rolls back
    if session.new or session.dirty or session.deleted or session.connection().info.get(WROTE):
        return
    session.expire_on_commit = False  # it is removed next: what was loaded stays readable
    session.commit()


def init_transactions(app: Flask) -> None:
    """Register after ``db.init_app``: teardowns run last-registered first, and this one must
    run before the session is removed."""
    app.teardown_appcontext(commit_if_read_only)
