"""Who may do what: every endpoint has an explicit rule, and nothing leaks between partners."""

import re

import pytest

from aidtracker.auth.access import view_rule
from aidtracker.auth.models import Role
from aidtracker.auth.permissions import ROLE_PERMISSIONS, Permission
from tests.conftest import add_donated_line, log_in, page_text, partner_of

DEMO_USERS = {
    Role.ADMIN: "admin@lublin.example",
    Role.STAFF: "staff@lublin.example",
    Role.ACCOUNTANT: "accountant@lublin.example",
    Role.PARTNER: "partner@kryvyirih.example",
}
KRYVYI_RIH_SHIPMENTS = [
    "LUB-KRR-2022-0001",
    "LUB-KRR-2022-0002",
    "LUB-KRR-2023-0001",
    "LUB-KRR-2023-0002",
    "LUB-KRR-2023-0003",
    "LUB-KRR-2023-0004",
]
LUTSK_SHIPMENTS = ["LUB-LUT-2023-0001"]
# Values for URL arguments when every endpoint is tried: a shipment Kryvyi Rih may see.
SAMPLE_ARGUMENTS = {"reference": "LUB-KRR-2023-0002"}


def _sample_url(app, rule, **given) -> str:
    arguments = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        default = SAMPLE_ARGUMENTS.get(name, 1 if "Integer" in converter else "1")
        arguments[name] = given.get(name, default)
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def _endpoints(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        yield rule, methods


def _session_endpoints(app):
    """The endpoints a browser session opens; the JSON API takes tokens only, and
    tests/api/test_access.py checks it the same way with a token per role."""
    for rule, methods in _endpoints(app):
        if not rule.endpoint.startswith("api."):
            yield rule, methods


def test_every_endpoint_is_public_or_names_its_permission(app):
    missing = [
        rule.endpoint for rule, _ in _endpoints(app) if view_rule(app, rule.endpoint) is None
    ]
    assert missing == []


def test_only_login_language_health_static_tracking_and_the_api_description_are_public(app):
    """Tracking: a shipment's public page, and a packing unit's, opened from its label."""
    public = {
        rule.endpoint for rule, _ in _endpoints(app) if view_rule(app, rule.endpoint) == "public"
    }
    assert public <= {
        "auth.login",
        "language.choose_language",
        "health.healthz",
        "static",
        "api.openapi",
        "tracking.track",
        "packing.track_unit",
    }


def test_the_role_table_follows_the_design():
    assert Permission.MANAGE_USERS in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.MANAGE_USERS not in ROLE_PERMISSIONS[Role.STAFF]
    assert Permission.EDIT_SHIPMENTS in ROLE_PERMISSIONS[Role.STAFF]
    assert Permission.EDIT_SHIPMENTS not in ROLE_PERMISSIONS[Role.ACCOUNTANT]
    assert Permission.MANAGE_RATES in ROLE_PERMISSIONS[Role.ACCOUNTANT]
    assert Permission.MANAGE_RATES not in ROLE_PERMISSIONS[Role.STAFF]
    assert Permission.VIEW_RATES in ROLE_PERMISSIONS[Role.STAFF]
    assert Permission.CONFIRM_RECEIPT not in ROLE_PERMISSIONS[Role.ACCOUNTANT]
    assert Permission.VIEW_REFERENCE_DATA not in ROLE_PERMISSIONS[Role.PARTNER]
    assert Permission.EXPORT_REPORTS not in ROLE_PERMISSIONS[Role.PARTNER]
    assert Permission.EXPORT_PACKING_LIST in ROLE_PERMISSIONS[Role.PARTNER]


def test_anonymous_visitors_are_sent_to_login_from_every_non_public_endpoint(demo):
    client = demo.test_client()
    for rule, methods in _session_endpoints(demo):
        if view_rule(demo, rule.endpoint) == "public":
            continue
        url = _sample_url(demo, rule)
        for method in methods:
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.location.startswith("/login"), (method, url)


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_each_role_reaches_exactly_the_endpoints_its_permissions_allow(demo, role):
    client = demo.test_client()
    assert log_in(client, DEMO_USERS[role]).status_code == 302
    granted = ROLE_PERMISSIONS[role]
    for rule, methods in _session_endpoints(demo):
        needed = view_rule(demo, rule.endpoint)
        if needed == "public" or rule.endpoint == "auth.logout":
            continue
        url = _sample_url(demo, rule)
        for method in methods:
            response = client.open(url, method=method)
            assert response.status_code < 500, (role, method, url)
            if needed in granted:
                assert response.status_code != 403, (role, method, url)
                assert not (response.location or "").startswith("/login"), (role, method, url)
            else:
                assert response.status_code == 403, (role, method, url)


def _reference_urls(app, reference: str):
    """Every URL of the application that names a shipment by reference."""
    for rule, methods in _session_endpoints(app):
        if "reference" in rule.arguments:
            arguments = dict.fromkeys(rule.arguments, 1)
            arguments["reference"] = reference
            with app.test_request_context():
                from flask import url_for

                yield url_for(rule.endpoint, **arguments), methods


@pytest.mark.parametrize(
    ("partner", "others"),
    [
        ("partner@kryvyirih.example", LUTSK_SHIPMENTS),
        ("partner@lutsk.example", KRYVYI_RIH_SHIPMENTS),
    ],
)
def test_a_partner_gets_404_on_every_url_of_another_partners_shipments(demo, partner, others):
    client = demo.test_client()
    log_in(client, partner)
    for reference in others:
        for url, methods in _reference_urls(demo, reference):
            for method in methods:
                response = client.open(url, method=method)
                assert response.status_code == 404, (partner, method, url)


@pytest.mark.parametrize(
    ("partner", "own", "others"),
    [
        ("partner@kryvyirih.example", KRYVYI_RIH_SHIPMENTS, LUTSK_SHIPMENTS),
        ("partner@lutsk.example", LUTSK_SHIPMENTS, KRYVYI_RIH_SHIPMENTS),
    ],
)
def test_a_partner_lists_and_counts_only_its_own_shipments(demo, partner, own, others):
    client = demo.test_client()
    log_in(client, partner)
    text = page_text(client.get("/shipments/"))
    assert all(reference in text for reference in own)
    assert not any(reference in text for reference in others)
    count = len(own)
    assert (f"{count} shipments" if count > 1 else "1 shipment") in text


def test_a_carrier_sees_quantities_and_weights_but_no_values(demo):
    partner_of(demo, "Lublin Municipal Fleet", "dispatch@fleet.example")
    client = demo.test_client()
    log_in(client, "dispatch@fleet.example", "partner password 1")
    text = page_text(client.get("/shipments/LUB-KRR-2023-0001"))
    assert "Elastic bandage" in text
    assert "3,000" in text
    assert "180" in text  # gross weight of the bandages, kg
    assert "zł" not in text
    assert "PLN" not in text
    assert "not shown" in text
    assert client.get("/shipments/LUB-KRR-2023-0002").status_code == 404  # not its load


def test_a_carrier_that_donated_a_line_sees_that_lines_value(demo):
    partner_of(demo, "Protection Civile", "logistics@protection-civile.example")
    client = demo.test_client()
    log_in(client, "logistics@protection-civile.example", "partner password 1")
    text = page_text(client.get("/shipments/LUB-KRR-2023-0002"))
    assert "€25,000.00" in text
    assert client.get("/shipments/LUB-KRR-2023-0001").status_code == 404


def test_a_donor_only_partner_sees_its_own_lines_and_nothing_else(demo):
    add_donated_line(demo, "LUB-KRR-2023-0001", "Example Textiles Sp. z o.o.")
    partner_of(demo, "Example Textiles Sp. z o.o.", "csr@textiles.example")
    client = demo.test_client()
    log_in(client, "csr@textiles.example", "partner password 1")

    listed = page_text(client.get("/shipments/"))
    assert re.findall(r"LUB-\w{3}-\d{4}-\d{4}", listed) == [
        "LUB-KRR-2023-0001",
        "LUB-KRR-2022-0002",
    ]

    text = page_text(client.get("/shipments/LUB-KRR-2023-0001"))
    assert "Wool blanket" in text
    assert "2,250.00" in text
    assert "Elastic bandage" not in text
    assert "Paracetamol" not in text
    assert "Only the lines your organisation gave are shown." in text


@pytest.mark.parametrize(
    ("email", "own_shipment"),
    [
        ("partner@kryvyirih.example", "LUB-KRR-2023-0002"),
        ("partner@lutsk.example", "LUB-LUT-2023-0001"),
    ],
)
def test_partners_cannot_reach_city_pages(demo, email, own_shipment):
    client = demo.test_client()
    log_in(client, email)
    for rule, methods in _endpoints(demo):
        needed = view_rule(demo, rule.endpoint)
        if needed in (
            Permission.MANAGE_USERS,
            Permission.VIEW_REFERENCE_DATA,
            Permission.EDIT_SHIPMENTS,
            Permission.EXPORT_REPORTS,
        ):
            for method in methods:
                url = _sample_url(demo, rule, reference=own_shipment)
                assert client.open(url, method=method).status_code == 403
