"""The fuzz tests share one installation per database (see ``installation.py``)."""

import pytest

from tests.conftest import BACKENDS
from tests.fuzz.installation import installed


@pytest.fixture(scope="package", params=BACKENDS)
def installation(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    with installed(url, tmp_path) as installation:
        yield installation
