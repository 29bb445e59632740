"""The shared form fields turn what a browser posts into safe values."""

import pytest

from aidtracker.formfields import optional_id


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("", None),
        ("None", None),
        ("12", 12),
        ("2147483647", 2147483647),
        ("2147483648", -1),  # beyond an id column: matches no choice, and is safe in a query
        (str(10**30), -1),
        ("twelve", -1),
    ],
)
def test_a_chosen_id_is_a_row_id_or_matches_no_choice(posted, expected):
    assert optional_id(posted) == expected
