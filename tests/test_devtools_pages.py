"""DevTools in a real browser: headless Chromium against tests/apps/devtools_app.py.

The app is served on loopback by Werkzeug's server (WSGI) and by uvicorn (ASGI);
so is :data:`UNESCAPED_APP`, an app with Jinja's autoescape off.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from chromium import browser, free_port, fresh_page, needs_chromium, serving

APPS = Path(__file__).resolve().parent / "apps"

pytestmark = needs_chromium
__all__ = ["browser"]  # (the fixture, imported for pytest)


def _command(server: str, port: int, module: str = "devtools_app") -> list[str]:
    if server == "uvicorn":
        uvicorn = Path(sys.executable).parent / "uvicorn"
        return [str(uvicorn), "--port", str(port), "--log-level", "warning", f"{module}:app"]
    serve = (
        f"from werkzeug.serving import run_simple; import {module}; "
        f"run_simple('127.0.0.1', {port}, {module}.app, threaded=True)"
    )
    return [sys.executable, "-c", serve]


@pytest.fixture(scope="module", params=["werkzeug", "uvicorn"])
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> cabc.Iterator[str]:
    """The app under a real server (WSGI, then ASGI) on a free loopback port."""
    log = tmp_path_factory.mktemp("devtools-server") / "server.log"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(APPS)}
    command = _command(str(request.param), port)
    with serving(command, port, cwd=APPS, env=env, log=log, probe="/api/data") as url:
        yield url


#: An app whose templates are not HTML (autoescape off): DevTools must escape all the same.
UNESCAPED_APP = """
from tocsin import Tocsin
from tocsin.devtools import DevTools


class App(Tocsin):
    jinja_options = {"autoescape": False}


app = App(__name__)
app.config.update(DEBUG=True)
DevTools(app)


@app.get("/api/data")
def data():
    return {"n": 1}


@app.get("/echo/<path:anything>")
def echo(anything):
    return "<!doctype html><html><head><link rel=icon href=data:,></head><body>echo</body></html>"
"""


@pytest.fixture(scope="module", params=["werkzeug", "uvicorn"])
def unescaped_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> cabc.Iterator[str]:
    """:data:`UNESCAPED_APP` under a real server (WSGI, then ASGI) on a free loopback port."""
    where = tmp_path_factory.mktemp("unescaped-app")
    (where / "unescaped_app.py").write_text(UNESCAPED_APP)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(where)}
    command = _command(str(request.param), port, "unescaped_app")
    log = where / "server.log"
    with serving(command, port, cwd=where, env=env, log=log, probe="/api/data") as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> cabc.Iterator[Page]:
    """A fresh page with its own cookies, on the app."""
    with fresh_page(browser, base_url) as page:
        page.context.route("**/favicon.ico", lambda route: route.abort())  # (JSON pages ask)
        yield page


def test_the_link_bar_leads_to_the_pages_waterfall(page: Page) -> None:
    page.goto("/notes/7")
    bar = page.locator("#tocsin-devtools-bar")
    expect(bar).to_be_visible()
    expect(bar.locator("code")).to_have_text("GET /notes/7")
    expect(bar.locator(".tocsin-status")).to_have_text("200")
    bar.get_by_role("link", name=re.compile(r"^trace #\d+$")).click()

    expect(page).to_have_url(re.compile(r"/_tocsin/trace/\d+$"))
    expect(page.locator("h1")).to_have_text(re.compile(r"^Request #\d+$"))
    expect(page.locator("code.request")).to_have_text("GET /notes/7")
    expect(page.locator(".summary .status")).to_have_text("200")
    expect(page.locator(".summary .duration")).to_have_text(re.compile(r"^\d+\.\d{3} ms$"))
    names = page.locator("code.step-name").all_inner_texts()
    assert names[:3] == ["push_app_context", "push_request_context", "match_url"]
    assert names[-1] == "pop_app_context" and "dispatch" in names
    expect(page.locator("tr.step.skipped code.step-name").first).to_have_text(
        "before_first_request"
    )
    expect(page.locator("tr.call code.name")).to_contain_text(["devtools_app.note"])
    expect(page.locator("tr.call .fill").first).to_be_visible()  # the timeline's bars
    expect(page.locator("#tocsin-devtools-bar")).to_have_count(0)  # never on its own pages


def test_the_requests_list_filters_without_javascript(page: Page) -> None:
    for url in ("/notes/1", "/notes/0", "/boom", "/api/data"):
        page.goto(url)
    page.goto("/_tocsin/")
    expect(page.locator("h1")).to_have_text("Requests")
    first = page.locator("tr.request").first  # newest first
    expect(first.locator(".path")).to_have_text("/api/data")

    page.get_by_label("Path contains").fill("/notes/")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"\?path=%2Fnotes%2F"))
    paths = page.locator("tr.request .path").all_inner_texts()
    assert paths[:2] == ["/notes/0", "/notes/1"]  # (the server serves the other tests too)
    assert all(p.startswith("/notes/") for p in paths)

    page.get_by_label("Path contains").fill("")
    page.get_by_label("Status").fill("5xx")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr.request")
    expect(rows.locator(".path")).to_have_text(["/boom"] * rows.count())
    expect(rows.first.locator(".status")).to_have_text("500")
    rows.first.locator(".path a").click()

    raised = page.locator("tr.call.raised")
    expect(raised).to_have_count(1)
    expect(raised.locator("code.name")).to_have_text("devtools_app.boom")
    expect(raised.locator(".error-type")).to_have_text("ValueError")
    expect(raised.locator(".error-message")).to_have_text("the <b>disk</b> is full")
    expect(page.locator("tr.call", has_text="errorhandler")).to_contain_text("devtools_app.failed")

    page.goto("/_tocsin/?status=abc")
    expect(page.locator("body")).to_contain_text("not 'abc'")


def test_the_signals_page_lists_receivers_in_call_order(page: Page) -> None:
    page.goto("/_tocsin/signals")
    section = page.locator(
        "section.namespace", has=page.get_by_role("heading", name="devtools_app.events")
    )
    expect(section.locator("code.receiver-name")).to_have_text(
        ["devtools_app.audit", "devtools_app.notify", "devtools_app.mail"]
    )
    expect(section.locator("td.priority")).to_have_text(["10", "5", "0"])
    expect(page.get_by_role("heading", level=2).first).to_have_text("built-in")


def test_routes_and_the_json(page: Page) -> None:
    page.goto("/")
    page.goto("/")
    page.get_by_role("link", name="Tocsin").click()  # the link bar's link to the list
    page.get_by_role("link", name="Routes").click()
    home = page.locator("tr.route", has=page.locator("td.rule", has_text=re.compile(r"^/$")))
    expect(home.locator("td.method")).to_have_text("GET")
    assert int(home.locator("td.count").inner_text()) >= 2
    expect(home.locator("td.statuses")).to_contain_text("200 \u00d7")

    traces = page.request.get("/_tocsin/traces.json?path=/notes/7").json()["traces"]
    assert traces and all(tr["path"] == "/notes/7" and tr["status"] == 200 for tr in traces)
    assert traces[0]["url"] == f"/_tocsin/trace/{traces[0]['id']}"
    assert traces[0]["steps"][0]["name"] == "push_app_context"
    routes = page.request.get("/_tocsin/stats.json").json()["routes"]
    assert ("/", "GET") in [(r["rule"], r["method"]) for r in routes]
    assert all(not (r["rule"] or "").startswith("/_tocsin") for r in routes)


def test_a_crafted_url_runs_no_script_when_the_app_turns_autoescape_off(
    browser: Browser, unescaped_url: str
) -> None:
    evil = "/echo/<img src=x onerror=alert(document.domain)>"
    with fresh_page(browser, unescaped_url) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(evil)
        expect(page.locator("#tocsin-devtools-bar code")).to_have_text(f"GET {evil}")
        expect(page.locator("img")).to_have_count(0)  # shown as text, never made an element
        page.goto("/_tocsin/")
        expect(page.locator("tr.request .path").first).to_have_text(evil)
        expect(page.locator("img")).to_have_count(0)
        page.locator("tr.request .path a").first.click()
        expect(page.locator("code.request")).to_have_text(f"GET {evil}")
        expect(page.locator("img")).to_have_count(0)
        assert dialogs == []
