"""What a careless paste, a broken client or an attacker types into a field, as hypothesis
strategies: the values that have broken web forms before, and random text around them."""

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ_SCALE = int(os.environ.get("AIDTRACKER_FUZZ_SCALE", "1"))
"""Multiplies every number of examples: AIDTRACKER_FUZZ_SCALE=20 for a deeper run than the
suite's minute allows."""

FUZZ_SETTINGS = settings(
    deadline=None,
    derandomize=True,  # the same examples on every run and in CI
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=False,
)
"""Shared by every fuzz test; each adds its own small ``max_examples``, times FUZZ_SCALE."""

TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x07\x08\x0b\x0c\x1b\x1f\x7f",
    "\t\r\n",
    "\u202eRTL override\u202c",
    "שלום عليكم",
    "e\u0301\u0302\u0303\u0304\u0305\u0306",
    "👩‍👩‍👧‍👦🚚📦",
    "\ufeff\u200b\u2028\u2029",
    "\uffff\U0010ffff",
    "x" * 10_000,
    "Ж" * 5_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '=HYPERLINK("http://example.com")',
    "%s%n{0}{{7*7}}",
    "../../etc/passwd",
    "None",
    "null",
]
NUMBERS = [
    "0",
    "-0",
    "-1",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    str(10**30),
    str(-(10**30)),
    "2147483648",
    "9223372036854775808",
    "0x10",
    "1_000",
    "1,5",
    "1 234,50",
    "1.234,50",
    "1,234.50",
    "١٢٣",
    "½",
    "0.0000001",
    "99999999999999.999",
]
DATES = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "2023-02-30",
    "2023-13-01",
    "2024-02-29",
    "31.12.2023",
    "12/31/2023",
    "2023-1-1",
    "-2023-01-01",
    "20230101",
    "99999-01-01",
]
HOSTILE_VALUES = st.one_of(
    st.sampled_from(TEXTS + NUMBERS + DATES),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
"""One hostile value for a field."""

HOSTILE_NAMES = st.one_of(
    st.sampled_from(["", "\x00", "id", "csrf_token", "lines-0-id", "lines-999-quantity"]),
    st.text(max_size=20),
)
"""The name of a field nobody asked for."""

UNKNOWN_IDS = [0, 999_999, 2**31 - 1, 2**31, 2**63, 10**30]
"""Ids that name no row, including ones no database integer can hold."""
