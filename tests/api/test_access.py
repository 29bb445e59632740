"""The API's twin of tests/auth/test_permissions.py: the same rules, with tokens instead of
sessions (a browser session does not open the API)."""

import pytest

from aidtracker.auth.access import view_rule
from aidtracker.auth.permissions import ROLE_PERMISSIONS
from tests.api.conftest import ApiClient, token_for
from tests.auth.test_permissions import (
    DEMO_USERS,
    KRYVYI_RIH_SHIPMENTS,
    LUTSK_SHIPMENTS,
    _sample_url,
)


def _api_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_only_the_openapi_document_is_public(app):
    public = [
        rule.endpoint
        for rule, _ in _api_endpoints(app)
        if view_rule(app, rule.endpoint) == "public"
    ]
    assert public == ["api.openapi"]


def test_without_a_token_every_other_api_endpoint_answers_401(demo):
    client = demo.test_client()
    for rule, methods in _api_endpoints(demo):
        if view_rule(demo, rule.endpoint) == "public":
            continue
        for method in methods:
            response = client.open(_sample_url(demo, rule), method=method)
            assert response.status_code == 401, (method, rule.rule)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_each_role_reaches_exactly_the_api_endpoints_its_permissions_allow(demo, role):
    api = ApiClient(demo, token_for(demo, DEMO_USERS[role]))
    granted = ROLE_PERMISSIONS[role]
    for rule, methods in _api_endpoints(demo):
        needed = view_rule(demo, rule.endpoint)
        for method in methods:
            response = api.open(_sample_url(demo, rule), method, json={})
            assert response.status_code < 500, (role, method, rule.rule)
            if needed == "public" or needed in granted:
                assert response.status_code not in (401, 403), (role, method, rule.rule)
            else:
                assert response.status_code == 403, (role, method, rule.rule)


@pytest.mark.parametrize(
    ("partner", "others"),
    [
        ("partner@kryvyirih.example", LUTSK_SHIPMENTS),
        ("partner@lutsk.example", KRYVYI_RIH_SHIPMENTS),
    ],
)
def test_a_partner_gets_404_on_every_api_url_of_another_partners_shipments(demo, partner, others):
    api = ApiClient(demo, token_for(demo, partner))
    for reference in others:
        for rule, methods in _api_endpoints(demo):
            if "reference" not in rule.arguments:
                continue
            for method in methods:
                url = _sample_url(demo, rule, reference=reference)
                assert api.open(url, method, json={}).status_code == 404, (partner, url)
