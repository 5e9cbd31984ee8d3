"""Headless Chromium against a real server on loopback, for the page tests.

``test_demo_pages.py`` and ``test_devtools_pages.py`` start a server with
:func:`serving`, take the :func:`browser` fixture and open pages with
:func:`fresh_page`; :data:`needs_chromium` skips them where Debian's Chromium
is not installed.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
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

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"
)


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:  # an answer: it is up
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start at {url}:\n{log.read_text()}")


@contextlib.contextmanager
def serving(
    command: list[str], port: int, *, cwd: Path, env: dict[str, str], log: Path, probe: str = "/"
) -> cabc.Iterator[str]:
    """Run *command* (a server listening on 127.0.0.1:*port*) until the block ends.

    :return: (as the block's value) the server's base URL, once *probe* answers.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + probe, proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> cabc.Iterator[Browser]:
    """Headless Chromium, for a module's tests (import this fixture into the module)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def fresh_page(browser: Browser, base_url: str) -> cabc.Iterator[Page]:
    """A page with cookies of its own, its relative URLs on *base_url*, closed after the block."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
