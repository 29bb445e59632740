"""Refusing, before any view runs, input that no database column can hold.

PostgreSQL text cannot contain the NUL character, and our ids are 32-bit integers: a NUL in a
form field, a query or an address, or an id like ``/catalogue/99999999999999999999/edit``, made
the database driver fail deep inside whichever view received it, as a 500 (SQLite stored the NUL,
and failed on the id). One check here, ahead of every view and of the permission check (which
already looks shipments up), answers instead:

- an address with such an id, or with a NUL, names nothing: 404, on pages and in the API alike;
- a NUL in a page's query or form (typically pasted from a damaged file): 400, saying what to do.

The API checks its own query and body, naming the field at fault (422), so those are left to it.
"""

from flask import Flask, abort, render_template, request
from flask_babel import gettext as _

from aidtracker.api.errors import is_api_request

LARGEST_ID = 2**31 - 1
"""Ids are INTEGER columns: 32-bit on PostgreSQL."""
NUL = "\x00"


def _names_nothing(argument) -> bool:
    """An address argument no row can match."""
    if isinstance(argument, int):
        return argument > LARGEST_ID
    return isinstance(argument, str) and NUL in argument


def _sent_text():
    """Every text a page's request carries besides its address: query, form, file names."""
    for fields in (request.args, request.form):
        for name, values in fields.lists():
            yield name
            yield from values
    for name, upload in request.files.items(multi=True):
        yield name
        yield upload.filename or ""


def refuse_unstorable_input():
    """A before-request hook: a response refusing the request, or None to let it through."""
    if any(_names_nothing(argument) for argument in (request.view_args or {}).values()):
        abort(404)
    if is_api_request() or not any(NUL in text for text in _sent_text()):
        return None
    message = _(
        "What you sent contains a NUL character (code 0), which cannot be saved. Remove it, "
        "for instance by typing the text again instead of pasting it, and try again."
    )
    page = render_template("errors/error.html", code=400, title=_("Bad request"), message=message)
    return page, 400


def init_input_guard(app: Flask) -> None:
    """Run the guard before every other before-request hook, whatever the order of set-up."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_input)
