import pytest

from tests.conftest import log_in


@pytest.fixture
def admin(demo):
    """A browser session of the demo's administrator."""
    client = demo.test_client()
    assert log_in(client, "admin@lublin.example").status_code == 302
    return client
