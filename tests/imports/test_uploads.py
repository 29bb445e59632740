"""Keeping an uploaded workbook between "check" and "import", per user, for 24 hours."""

import io
import os
import time
from pathlib import Path

import pytest
from flask import render_template_string
from werkzeug.datastructures import FileStorage

from aidtracker.imports.reader import MAX_BYTES, ImportFileError, Problem, read_table
from aidtracker.imports.uploads import (
    MAX_AGE_SECONDS,
    discard_upload,
    imports_folder,
    remove_expired,
    store_upload,
    upload_path,
)
from tests.conftest import page_text
from tests.imports import files
from tests.imports.files import HEADER, LINES, PACKING_FIELDS

CONTENT = files.xlsx([HEADER, *LINES])


def age(path, seconds: float) -> None:
    """Make `path` look `seconds` old."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_stored_upload_is_found_again_by_its_token_and_reads_as_a_table(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=7, kind="shipment_lines")
        path = upload_path(token, user_id=7)

        assert len(token) == 32
        assert path == imports_folder() / f"7-{token}.xlsx"
        assert path.read_bytes() == CONTENT
        assert len(read_table(path, PACKING_FIELDS).rows) == 3


def test_uploads_live_under_the_shared_upload_folder(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=1, kind="catalogue")

        assert upload_path(token, user_id=1).parent == Path(app.config["UPLOAD_FOLDER"], "imports")


def test_each_upload_gets_its_own_token(app):
    with app.app_context():
        tokens = {store_upload(CONTENT, user_id=1, kind="catalogue") for _ in range(5)}

    assert len(tokens) == 5


def test_streams_and_uploaded_files_are_stored_as_bytes(app):
    with app.app_context():
        from_stream = store_upload(io.BytesIO(CONTENT), user_id=2, kind="organisations")
        from_upload = store_upload(
            FileStorage(io.BytesIO(CONTENT), filename="lines.xlsx"), user_id=2, kind="catalogue"
        )

        assert upload_path(from_stream, user_id=2).read_bytes() == CONTENT
        assert upload_path(from_upload, user_id=2).read_bytes() == CONTENT


def test_another_users_token_finds_nothing(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=3, kind="catalogue")

        assert upload_path(token, user_id=4) is None
        discard_upload(token, user_id=4)
        assert upload_path(token, user_id=3) is not None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "../../../etc/passwd",
        "a" * 31,
        "a" * 33,
        "a" * 30 + "/x",
        "a" * 31 + ".",
        "a" * 31 + "\n",
        "3-" + "a" * 30,
        None,
        12345,
    ],
)
def test_a_malformed_token_is_never_turned_into_a_path(app, token):
    with app.app_context():
        assert upload_path(token, user_id=1) is None
        discard_upload(token, user_id=1)  # and removes nothing


def test_an_unknown_token_finds_nothing(app):
    with app.app_context():
        assert upload_path("A" * 32, user_id=1) is None


def test_an_upload_older_than_24_hours_is_gone(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=5, kind="catalogue")
        path = upload_path(token, user_id=5)
        age(path, MAX_AGE_SECONDS + 60)

        assert upload_path(token, user_id=5) is None
        assert not path.exists()


def test_an_upload_of_23_hours_is_still_there(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=5, kind="catalogue")
        age(upload_path(token, user_id=5), MAX_AGE_SECONDS - 3600)

        assert upload_path(token, user_id=5) is not None


def test_storing_an_upload_removes_everyones_expired_uploads_and_half_written_files(app):
    with app.app_context():
        old = upload_path(store_upload(CONTENT, user_id=8, kind="catalogue"), user_id=8)
        recent = upload_path(store_upload(CONTENT, user_id=9, kind="catalogue"), user_id=9)
        half = imports_folder() / ".upload-abc.part"
        half.write_bytes(b"PK")
        stranger = imports_folder() / "notes.txt"
        stranger.write_text("not ours")
        for path in (old, half, stranger):
            age(path, MAX_AGE_SECONDS + 60)

        store_upload(CONTENT, user_id=1, kind="organisations")

        assert not old.exists()
        assert not half.exists()
        assert recent.exists()
        assert stranger.exists()  # only our own names are removed
        assert remove_expired() == 0


def test_discarding_removes_the_file_and_twice_is_harmless(app):
    with app.app_context():
        token = store_upload(CONTENT, user_id=6, kind="catalogue")
        path = upload_path(token, user_id=6)

        discard_upload(token, user_id=6)
        discard_upload(token, user_id=6)

        assert not path.exists()
        assert upload_path(token, user_id=6) is None


def test_an_empty_or_too_large_upload_is_refused_and_not_stored(app):
    with app.app_context():
        with pytest.raises(ImportFileError, match="The file is empty"):
            store_upload(b"", user_id=1, kind="catalogue")
        with pytest.raises(ImportFileError, match="larger than 10 MB"):
            store_upload(io.BytesIO(b"PK\x03\x04" + bytes(MAX_BYTES)), user_id=1, kind="catalogue")

        folder = imports_folder()
        assert not folder.exists() or not any(folder.iterdir())


def test_a_file_of_exactly_10_mb_is_kept(app):
    with app.app_context():
        token = store_upload(bytes(MAX_BYTES), user_id=1, kind="catalogue")

        assert upload_path(token, user_id=1).stat().st_size == MAX_BYTES


@pytest.mark.parametrize(("user_id", "kind"), [(True, "catalogue"), (-1, "catalogue"), ("1", "x")])
def test_a_user_id_that_is_no_row_id_is_a_programming_error(app, user_id, kind):
    with app.app_context(), pytest.raises(ValueError, match="not a user id"):
        store_upload(CONTENT, user_id=user_id, kind=kind)


@pytest.mark.parametrize("kind", ["", "../x", "Catalogue", "a" * 41])
def test_an_import_kind_must_be_a_plain_name(app, kind):
    with app.app_context(), pytest.raises(ValueError, match="not an import kind"):
        store_upload(CONTENT, user_id=1, kind=kind)


# The macro that lists problems is shared by the three imports' pages; it renders with the app.


def test_the_problems_table_lists_sheet_row_column_and_message(app):
    problems = [
        Problem("Lines", 4, "Item", "Merged cells (A3:A4): unmerge them."),
        Problem("Lines", 9, "Ilość", "Not a number: 12,5x"),
    ]
    with app.test_request_context():
        html = render_template_string(
            '{% from "imports/_problems.html" import problems_table %}'
            "{{ problems_table(problems, 'Problems in the file') }}",
            problems=problems,
        )

    assert "<caption" in html
    text = page_text(_Response(html))
    assert "Sheet Row Column Problem" in text
    assert "Lines 4 Item Merged cells (A3:A4): unmerge them." in text
    assert "Lines 9 Ilość Not a number: 12,5x" in text
    assert "more problems" not in text


def test_the_problems_table_can_show_the_first_ones_and_count_the_rest(app):
    problems = [Problem("Lines", n, "Item", f"problem {n}") for n in range(2, 12)]
    with app.test_request_context():
        html = render_template_string(
            '{% from "imports/_problems.html" import problems_table %}'
            "{{ problems_table(problems, 'Problems', limit=3) }}",
            problems=problems,
        )

    text = page_text(_Response(html))
    assert "problem 4" in text
    assert "problem 5" not in text
    assert "7 more problems are not shown; correct these first." in text


def test_the_problems_table_escapes_what_the_file_said(app):
    problems = [Problem("<b>Lines</b>", 2, "<script>x</script>", "Not a number: <i>1</i>")]
    with app.test_request_context():
        html = render_template_string(
            '{% from "imports/_problems.html" import problems_table %}'
            "{{ problems_table(problems, 'Problems') }}",
            problems=problems,
        )

    assert "<script>" not in html
    assert "&lt;b&gt;Lines&lt;/b&gt;" in html


class _Response:
    """Just enough of a response for page_text."""

    def __init__(self, html: str):
        self.html = html

    def get_data(self, as_text: bool = False) -> str:
        return self.html
