"""The forms of a page as a browser sees them: where each posts, and what it would submit.

Unlike ``tests.conftest.form_fields`` (one page, one set of fields), this keeps each form apart,
the layout's language switcher included, since the fuzz tests post every form on its own.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit


@dataclass
class PageForm:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    """Name and value of each field a browser submits, buttons aside."""
    files: list[str] = field(default_factory=list)
    """Names of the file inputs."""
    buttons: list[tuple[str, str]] = field(default_factory=list)
    """Named submit buttons: a browser sends the one clicked."""
    primary: tuple[str, str] | None = None
    """The button drawn as the form's main action (btn-primary), when it has a name."""

    @property
    def clicked(self) -> list[tuple[str, str]]:
        """What the usual click adds: the primary button, else the first, else nothing."""
        button = self.primary or next(iter(self.buttons), None)
        return [button] if button else []


class _FormsReader(HTMLParser):
    """The POST forms of a page, each with the fields a browser would submit, its file inputs
    and its named buttons."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: int | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            if (attributes.get("method") or "").lower() == "post":
                self._form = PageForm(action=urlsplit(attributes.get("action") or self.path).path)
                self.forms.append(self._form)
            return
        if tag == "option" and self._select:
            self._options.append((attributes.get("value") or "", "selected" in attributes))
        name = attributes.get("name")
        if self._form is None or not name or name == "csrf_token":
            return
        fields = self._form.fields
        kind = (attributes.get("type") or ("submit" if tag == "button" else "text")).lower()
        if tag in ("input", "button") and kind == "submit":
            button = (name, attributes.get("value") or "")
            self._form.buttons.append(button)
            if "btn-primary" in (attributes.get("class") or "").split():
                self._form.primary = button
        elif tag == "input" and kind == "file":
            self._form.files.append(name)
        elif tag == "input" and kind in ("button", "reset", "image"):
            return  # never submitted by a click on another button
        elif tag == "input" and (kind not in ("checkbox", "radio") or "checked" in attributes):
            fields.append((name, attributes.get("value") or ""))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "textarea":
            fields.append((name, ""))
            self._textarea = len(fields) - 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            chosen = [value for value, selected in self._options if selected]
            first = [value for value, _selected in self._options[:1]]
            for value in chosen or first:
                self._form.fields.append((self._select, value))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            name, text = self._form.fields[self._textarea]
            self._form.fields[self._textarea] = (name, text + data)


def page_forms(response) -> list[PageForm]:
    """The POST forms of an HTML response."""
    reader = _FormsReader(urlsplit(response.request.path).path)
    reader.feed(response.get_data(as_text=True))
    return reader.forms


def forms_posting_to(response, path: str) -> list[PageForm]:
    return [form for form in page_forms(response) if form.action == path]
