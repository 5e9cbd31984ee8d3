"""The notes demo in a real browser: headless Chromium against `python -m notes`."""

from __future__ import annotations

import collections.abc as cabc
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tocsin.lifecycle import STEPS

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "notes"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"the demo did not start at {url}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> cabc.Iterator[str]:
    """`python -m notes` on a free loopback port, with a fresh instance folder."""
    instance = tmp_path_factory.mktemp("notes-instance")
    log = instance / "server.log"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE), "NOTES_SECRET_KEY": "page tests"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "notes", "--port", str(port), "--instance", str(instance)],
            cwd=EXAMPLE,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> cabc.Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> cabc.Iterator[Page]:
    """A fresh page with its own cookies, on the demo."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, name: str, password: str = "secret") -> None:
    page.goto("/")
    page.locator(".who").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/auth/signin$"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(f"Signed in as {name}")


def test_sign_in_post_a_note_and_see_it(page: Page) -> None:
    sign_in(page, "ann")
    expect(page.locator(".flash.success")).to_have_text("Welcome, ann! Your account is ready.")

    page.get_by_label("Leave a note").fill("Hello from Chromium")
    page.get_by_role("button", name="Post note").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flash.success")).to_have_text(re.compile(r"Note #\d+ saved\."))
    first = page.locator(".note").first
    expect(first.locator(".text")).to_have_text("Hello from Chromium")
    expect(first.locator(".meta")).to_contain_text("by ann, just now")

    page.reload()  # a flash shows once
    expect(page.locator(".flash")).to_have_count(0)

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator(".audit-row").first).to_contain_text("Hello from Chromium")


def test_an_empty_note_is_refused_with_a_flash(page: Page) -> None:
    sign_in(page, "bea")
    page.get_by_label("Leave a note").fill("   ")
    page.get_by_role("button", name="Post note").click()
    expect(page.locator(".flash.error")).to_have_text(
        "Write something first: a note cannot be empty."
    )


def test_devtools_shows_the_steps_of_a_request(page: Page) -> None:
    response = page.goto("/audit")
    assert response is not None and "dispatch;dur=" in response.headers["server-timing"]
    bar = page.locator("#tocsin-devtools-bar")  # DevTools' link bar, for this machine
    expect(bar.locator("code")).to_have_text("GET /audit")
    bar.get_by_role("link", name=re.compile(r"^trace #\d+$")).click()

    expect(page.locator("code.request")).to_have_text("GET /audit")
    expect(page.locator(".summary .status")).to_have_text("200")
    expect(page.locator("code.step-name")).to_have_text([s.name for s in STEPS])
    expect(page.locator("tr.step.skipped code.step-name")).to_have_count(5)
    waterfall = page.locator("table.waterfall")
    expect(waterfall).to_contain_text("notes.auth.load_logged_in_user")
    expect(waterfall).to_contain_text("notes.views.audit")
    expect(waterfall).to_contain_text("request-finished")
    expect(waterfall).to_contain_text("notes.db.close_db")


def test_the_nav_leads_to_devtools_which_lists_the_requests(page: Page) -> None:
    page.goto("/audit")
    page.locator("header nav").get_by_role("link", name="DevTools").click()
    expect(page).to_have_url(re.compile(r"/_tocsin/$"))
    expect(page.locator("h1")).to_have_text("Requests")
    expect(page.locator("tr.request .path", has_text="/audit").first).to_be_visible()
    expect(page.locator("tr.request .path", has_text="/_tocsin")).to_have_count(0)
    page.get_by_role("link", name="Signals").click()
    section = page.locator(
        "section.namespace", has=page.get_by_role("heading", name="notes.events.events")
    )
    expect(section.locator("code.receiver-name")).to_contain_text(["notes.events.audit_created"])


def test_the_error_page(page: Page) -> None:
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("404 Not Found")
    expect(page.get_by_role("link", name="Back to the notes")).to_be_visible()
