"""Whatever file is uploaded, the import reads a table or says why it cannot: random bytes,
workbooks cut short or damaged inside, and well-formed workbooks holding any cell value Excel
can (text, numbers, dates, formulas, errors, huge strings). Through the web pages, an import never
answers 500, and adds either nothing or every row it previewed."""

import io
import string
import zipfile
from pathlib import Path

from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.imports.lines import LINE_FIELDS, check_lines
from aidtracker.imports.reader import CFB_MAGIC, ZIP_MAGIC, ImportFileError, Table, read_table
from aidtracker.imports.reference import CATALOGUE_FIELDS, IMPORTS, ORGANISATION_FIELDS
from aidtracker.models import CatalogueItem, Organisation, Shipment, ShipmentLine
from tests.conftest import post_multipart
from tests.fuzz.consistency import inconsistencies, read_contents
from tests.fuzz.hostile import FUZZ_SCALE, FUZZ_SETTINGS, NUMBERS, TEXTS
from tests.fuzz.pages import page_forms
from tests.imports import files
from tests.imports.files import PACKING_FIELDS

DRAFT = "LUB-KRR-2023-0003"
GOOD_WORKBOOK = files.packing_list()


def read_or_refuse(content: bytes, fields=PACKING_FIELDS) -> Table | None:
    """What every upload gets: a Table, or ImportFileError (None here); anything else fails."""
    try:
        table = read_table(content, fields)
    except ImportFileError as refusal:
        message = refusal.message
    else:
        assert isinstance(table, Table)
        event(f"read: {len(table.rows)} rows, {len(table.problems)} problems")
        return table
    event(f"refused: {message[:40]}")
    assert message.strip(), "a refusal says what is wrong"
    return None


# -- files that are not workbooks, or damaged ones -----------------------------------------------


@settings(FUZZ_SETTINGS, max_examples=25 * FUZZ_SCALE)
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=2000).map(lambda tail: ZIP_MAGIC + tail),
        st.binary(max_size=2000).map(lambda tail: CFB_MAGIC + tail),
    )
)
def test_random_bytes_are_refused_with_a_message(content):
    read_or_refuse(content)


def _rezipped(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return output.getvalue()


@st.composite
def damaged_workbooks(draw) -> bytes:
    """A good workbook cut short, with bytes overwritten, or with one of its parts (sheet XML,
    shared strings, styles, content types...) cut, overwritten or grown inside a sound zip."""
    how = draw(st.sampled_from(["part", "part", "cut", "overwrite"]))
    if how == "cut":
        return GOOD_WORKBOOK[: draw(st.integers(0, len(GOOD_WORKBOOK) - 1))]
    if how == "overwrite":
        damaged = bytearray(GOOD_WORKBOOK)
        for _change in range(draw(st.integers(1, 8))):
            damaged[draw(st.integers(0, len(damaged) - 1))] = draw(st.integers(0, 255))
        return bytes(damaged)
    with zipfile.ZipFile(io.BytesIO(GOOD_WORKBOOK)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = draw(st.sampled_from(sorted(members)))
    part = members[name]
    start = draw(st.integers(0, len(part)))
    end = draw(st.integers(start, min(len(part), start + 200)))
    filling = draw(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from([b"", b"<", b"&#0;", b"<row r='9999999'>", b'<c r="A1" t="s"><v>99']),
        )
    )
    members[name] = part[:start] + filling + part[end:]
    return _rezipped(members)


@settings(FUZZ_SETTINGS, max_examples=25 * FUZZ_SCALE)
@given(content=damaged_workbooks())
def test_a_damaged_workbook_is_read_or_refused_never_crashes(content):
    read_or_refuse(content)


# -- well-formed workbooks, any cells ------------------------------------------------------------

LEGAL_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])),
    ),
    max_size=40,
)
CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [text for text in TEXTS + NUMBERS if "\x00" not in text and text.isprintable()]
        + ["=1/0", "=A1", "=SUM(", '="x"&"y"', "=" + "9" * 400, "#N/A", "#DIV/0!", "Ж" * 40_000]
    ),
    LEGAL_TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
"""A cell as openpyxl writes it: text (a formula when it starts with =), numbers, dates..."""


def workbook_of(header: list[str], rows: list[list]) -> bytes:
    """The rows under the header, as openpyxl writes them; values it cannot write are skipped."""
    try:
        return files.xlsx([header, *rows])
    except (IllegalCharacterError, ValueError, TypeError, OverflowError):
        reject()


def rows_under(fields, cells=CELLS, max_rows=4):
    return st.lists(
        st.lists(cells, min_size=len(fields), max_size=len(fields)), min_size=1, max_size=max_rows
    )


@settings(FUZZ_SETTINGS, max_examples=20 * FUZZ_SCALE)
@given(rows=rows_under(LINE_FIELDS))
def test_any_cell_values_are_read_as_a_table_or_refused(rows):
    read_or_refuse(workbook_of([field.title for field in LINE_FIELDS], rows), LINE_FIELDS)


# -- through the web pages -----------------------------------------------------------------------

GOOD_ROWS = {
    "lines": {"item": "Rice 1 kg", "quantity": 10, "donor": "Protection Civile"},
    "catalogue": {"name_en": "Camp bed", "category": "shelter", "unit": "pcs"},
    "organisations": {"name": "Caritas Lublin", "kind": "ngo", "country": "PL"},
}
FIELDS = {"lines": LINE_FIELDS, "catalogue": CATALOGUE_FIELDS, "organisations": ORGANISATION_FIELDS}
UPLOAD_PAGES = {
    "lines": f"/shipments/{DRAFT}/import-lines",
    "catalogue": "/catalogue/import",
    "organisations": "/organisations/import",
}
COMMIT_PAGES = {kind: f"{page}/commit" for kind, page in UPLOAD_PAGES.items()}
COUNTED = {
    "lines": select(func.count(ShipmentLine.id)).join(Shipment).where(Shipment.reference == DRAFT),
    "catalogue": select(func.count(CatalogueItem.id)),
    "organisations": select(func.count(Organisation.id)),
}
SUFFIXES = st.text(alphabet=string.ascii_letters, min_size=1, max_size=6)


@st.composite
def imports(draw):
    """An import kind and a workbook of good rows (names made unique), some cells hostile."""
    kind = draw(st.sampled_from(sorted(GOOD_ROWS)))
    fields = FIELDS[kind]
    rows = []
    for _row in range(draw(st.integers(1, 3))):
        good = dict(GOOD_ROWS[kind])
        name = next(iter(good))
        if kind != "lines":
            good[name] = f"{good[name]} {draw(SUFFIXES)}"
        row = [good.get(field.name) for field in fields]
        for _change in range(draw(st.integers(0, 2))):
            row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
        rows.append(row)
    return kind, workbook_of([field.title for field in fields], rows)


def _expected_rows(kind: str, content: bytes) -> int | None:
    """How many rows the import's own check would add; None when it refuses the file."""
    try:
        if kind == "lines":
            shipment = db.session.scalar(select(Shipment).filter_by(reference=DRAFT))
            rows, problems = check_lines(shipment, content)
        else:
            rows, problems = IMPORTS[kind].check(content)
    except ImportFileError:
        return None
    finally:
        db.session.rollback()
    return None if problems else len(rows)


@settings(FUZZ_SETTINGS, max_examples=10 * FUZZ_SCALE)
@given(upload=imports())
def test_an_import_through_the_page_adds_every_row_or_none(staff, demo, upload):
    kind, content = upload
    with demo.app_context():
        before = db.session.scalar(COUNTED[kind])
        expected = _expected_rows(kind, content)
    preview = post_multipart(staff, UPLOAD_PAGES[kind], {"file": (io.BytesIO(content), "a.xlsx")})
    event(f"{kind}: preview {preview.status_code}")
    assert preview.status_code in (200, 422)
    assert (preview.status_code == 200) == (expected is not None)
    promised = 0
    if expected is not None:
        commit = next(form for form in page_forms(preview) if form.action == COMMIT_PAGES[kind])
        committed = staff.post(COMMIT_PAGES[kind], data=dict(commit.fields))
        event(f"{kind}: commit {committed.status_code}")
        assert committed.status_code in (302, 409, 422)
        promised = expected if committed.status_code == 302 else 0
    with demo.app_context():
        assert db.session.scalar(COUNTED[kind]) - before == promised
        folder = Path(demo.config["UPLOAD_FOLDER"])
        assert inconsistencies(read_contents(), upload_folder=folder) == []
