"""What the pages that save a form through a service have in common."""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import flash

T = TypeVar("T")


def show_error(form, error) -> None:
    """Put a rule's refusal next to its field (`error.field`), or at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
    else:
        flash(str(error), "danger")


def submitted(form, save: Callable[[], T], refusals: type[Exception]) -> T | None:
    """Validate a posted `form` and `save()` it; what `save` returns.

    None when nothing was posted, the form is invalid or the service refused with one of
    `refusals` (shown with ``show_error``): the page then shows the form again.
    """
    if not form.validate_on_submit():
        return None
    try:
        return save()
    except refusals as error:
        show_error(form, error)
        return None


def safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site, never to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
