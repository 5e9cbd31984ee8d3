"""The notes demo in a real browser: headless Chromium against `python -m notes`."""

from __future__ import annotations

import collections.abc as cabc
import os
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from chromium import browser, free_port, fresh_page, needs_chromium, serving
from tocsin.lifecycle import STEPS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "notes"

pytestmark = needs_chromium
__all__ = ["browser"]  # (the fixture, imported for pytest)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> cabc.Iterator[str]:
    """`python -m notes` on a free loopback port, with a fresh instance folder."""
    instance = tmp_path_factory.mktemp("notes-instance")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE), "NOTES_SECRET_KEY": "page tests"}
    command = [sys.executable, "-m", "notes", "--port", str(port), "--instance", str(instance)]
    with serving(command, port, cwd=EXAMPLE, env=env, log=instance / "server.log") as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> cabc.Iterator[Page]:
    """A fresh page with its own cookies, on the demo."""
    with fresh_page(browser, base_url) as page:
        yield page


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
