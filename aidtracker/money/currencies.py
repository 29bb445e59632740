"""ISO 4217 currency codes, as Babel (CLDR) knows them."""

import functools

from babel.numbers import list_currencies


@functools.cache
def known_currencies() -> frozenset[str]:
    """Every ISO 4217 code CLDR knows, upper-case."""
    return frozenset(list_currencies())
