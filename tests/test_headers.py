"""Every response carries the security headers, and no page holds an inline script or style, so
the Content Security Policy can forbid them; HTTPS is believed from a proxy only when configured."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import request

from aidtracker.auth.access import public
from aidtracker.dashboard import charts
from aidtracker.headers import CONTENT_SECURITY_POLICY
from aidtracker.paths import resource_dir
from tests.conftest import fresh_app, log_in

DRAFT = "LUB-KRR-2023-0003"  # the demo's draft: its edit and import pages
WITH_DISCREPANCY = "LUB-LUT-2023-0001"


class InlineCode(HTMLParser):
    """Finds what a policy without 'unsafe-inline' blocks: inline scripts and event handlers,
    javascript: links, <style> elements and style attributes (in HTML and in SVG alike)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}"> at line {self.getpos()[0]}')
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f'<{tag} {name}="{value}"> at line {self.getpos()[0]}')


def inline_code(markup: str) -> list[str]:
    checker = InlineCode()
    checker.feed(markup)
    checker.close()
    return checker.found


def page_kind(path: str) -> str:
    """One visit per kind of page: /shipments/<reference>/edit once, not once per shipment."""
    path = re.sub(r"^/track/.*", "/track/TOKEN", path)
    return re.sub(r"\d+", "N", re.sub(r"[A-Z]{3}-[A-Z]{3}-\d{4}-\d{4}", "REF", path))


def visit_pages_and_their_links(client, start: list[str]) -> dict:
    """Visit `start` and the pages they link to (the menu, a shipment's own pages), one page of
    each kind; returns url → response. Downloads (.xlsx) are files, not pages."""
    responses = {url: client.get(url) for url in start}
    kinds = {page_kind(url) for url in start}
    for response in list(responses.values()):
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        for path in re.findall(r'(?:href|src)="(?:http://localhost)?(/[^"#?]*)', html):
            if path.startswith("/static/") or path.endswith(".xlsx"):
                continue
            if page_kind(path) not in kinds:
                kinds.add(page_kind(path))
                responses[path] = client.get(path)
    return responses


def assert_protected(url: str, response) -> None:
    assert response.status_code < 500, url
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    assert response.headers["X-Frame-Options"] == "DENY", url
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), url
    if response.mimetype in ("text/html", "image/svg+xml"):
        assert inline_code(response.get_data(as_text=True)) == [], url


def test_the_check_finds_inline_scripts_styles_and_handlers():
    markup = """
        <p style="color: red" onclick="steal()">x</p>
        <script>alert(1)</script><script src="/static/js/shipment-form.js"></script>
        <svg><style>rect { fill: red }</style></svg>
        <a href="javascript:steal()">y</a>
    """
    assert len(inline_code(markup)) == 5


INLINE_IN_SOURCE = re.compile(
    r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_no_template_or_chart_holds_inline_script_or_style_even_in_branches_not_rendered():
    sources = [*Path(resource_dir("templates")).rglob("*.html"), Path(charts.__file__)]
    found = [
        f"{source.name}: {match.group()}"
        for source in sources
        for match in INLINE_IN_SOURCE.finditer(source.read_text())
    ]
    assert len(sources) > 50
    assert found == []


ROLES = [
    "staff@lublin.example",
    "accountant@lublin.example",
    "admin@lublin.example",
    "partner@kryvyirih.example",
]


def test_the_main_pages_of_every_role_have_the_policy_and_no_inline_code(demo):
    """The menu of each role, the draft's pages (edit, import), a received shipment, the public
    tracking page they link to, and a missing page; then what a visitor sees before login."""
    start = ["/dashboard/", f"/shipments/{DRAFT}", f"/shipments/{WITH_DISCREPANCY}", "/nowhere"]
    tracking_pages = set()
    for email in ROLES:
        client = demo.test_client()
        assert log_in(client, email).status_code == 302

        responses = visit_pages_and_their_links(client, start)

        assert len(responses) >= 10, email
        for url, response in responses.items():
            assert_protected(f"{email} {url}", response)
        tracking_pages |= {url for url in responses if url.startswith("/track/")}

    visitor = demo.test_client()
    for url in ["/login", "/shipments/", "/nowhere", *tracking_pages, "/static/css/app.css"]:
        with visitor.get(url) as response:
            assert_protected(url, response)
            if url.startswith("/track/"):  # the page's own stricter choice stands
                assert response.headers["Referrer-Policy"] == "no-referrer"
    assert tracking_pages


def test_json_answers_carry_the_headers(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_strict_transport_security_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    over_https = client.get("/login", base_url="https://aid.lublin.example")
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000"


@public
def seen_as():
    """What the app believes of the connection: scheme, host and client address."""
    return f"{request.scheme} {request.host} {request.remote_addr}"


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Host": "aid.lublin.example",
}


def test_without_a_configured_proxy_forwarded_headers_are_not_believed(app):
    app.add_url_rule("/seen-as", view_func=seen_as)
    client = app.test_client()

    assert client.get("/seen-as", headers=FORWARDED).text == "http localhost 127.0.0.1"
    assert "Strict-Transport-Security" not in client.get("/login", headers=FORWARDED).headers


@pytest.fixture
def behind_one_proxy(database_url, tmp_path):
    with fresh_app(database_url, tmp_path, PROXY_COUNT=1) as app:
        app.add_url_rule("/seen-as", view_func=seen_as)
        yield app


def test_behind_a_configured_proxy_its_https_host_and_client_address_are_believed(
    behind_one_proxy,
):
    client = behind_one_proxy.test_client()

    assert client.get("/seen-as", headers=FORWARDED).text == "https aid.lublin.example 203.0.113.7"
    login_page = client.get("/login", headers=FORWARDED)
    assert login_page.headers["Strict-Transport-Security"] == "max-age=31536000"
    [session_cookie] = [c for c in login_page.headers.getlist("Set-Cookie") if "session=" in c]
    assert "; Secure" in session_cookie
