"""``tocsin signals``: the signals of every namespace, with their receivers' order and priority."""

from __future__ import annotations

import textwrap
import typing as t
from pathlib import Path

import pytest

from cli_shop import SHOP, isolated, output_of, run_program
from tocsin import Tocsin
from tocsin.cli import cli
from tocsin.signals import request_started

__all__ = ["isolated"]  # (the fixture, imported for pytest)

pytestmark = pytest.mark.usefixtures("isolated")


def rows(output: str, namespace: str) -> list[list[str]]:
    """The rows of *namespace*, split into cells (columns are as wide as the process's names)."""
    return [line.split() for line in output.splitlines()[2:] if line.split()[1] == namespace]


def test_the_apps_own_namespace_is_listed() -> None:
    assert rows(output_of("signals"), "cli_app.events") == [
        ["order-placed", "cli_app.events", "1", "10", "audit_order", "cli_app", "sync", "any"],
        ["order-placed", "cli_app.events", "2", "0", "mail_order", "cli_app", "sync", "app"],
    ]


def test_built_in_and_default_namespaces_with_priorities() -> None:
    with request_started.connected_to(everywhere, priority=5):
        out = output_of("signals")
    started = [row for row in rows(out, "built-in") if row[0] == "request-started"]
    assert started == [
        ["request-started", "built-in", "1", "10", "announce", "cli_app", "async", "app"],
        ["request-started", "built-in", "2", "5", "everywhere", __name__, "sync", "any"],
        ["request-started", "built-in", "3", "0", "count_request", "cli_app", "sync", "app"],
    ]
    stock = [row for row in rows(out, "default") if row[0] == "shop-stock-low"]
    assert stock == [["shop-stock-low", "default", "1", "3", "reorder", "cli_app", "async", "app"]]


def everywhere(sender: t.Any, **extra: t.Any) -> None:
    """A receiver for every sender."""


def test_a_receiver_for_another_app_is_not_listed(app: Tocsin) -> None:
    other = Tocsin("other")
    with request_started.connected_to(everywhere, other, priority=50):
        result = app.test_cli_runner().invoke(cli, ["signals"])
    started = [row for row in rows(result.output, "built-in") if row[0] == "request-started"]
    assert started == [["request-started", "built-in", "-", "-", "(none)"]]


SHOP_TABLE = """\
Signal                   Namespace       #  Priority  Receiver       Module   Call   Sender
-----------------------  --------------  -  --------  -------------  -------  -----  ------
template-rendered        built-in        -  -         (none)
before-render-template   built-in        -  -         (none)
request-started          built-in        1  10        announce       cli_app  async  app
request-started          built-in        2  0         count_request  cli_app  sync   app
request-finished         built-in        1  -5        log_finished   cli_app  sync   app
got-request-exception    built-in        -  -         (none)
request-tearing-down     built-in        -  -         (none)
appcontext-tearing-down  built-in        -  -         (none)
appcontext-pushed        built-in        -  -         (none)
appcontext-popped        built-in        -  -         (none)
message-flashed          built-in        -  -         (none)
shop-stock-low           default         1  3         reorder        cli_app  async  app
order-placed             cli_app.events  1  10        audit_order    cli_app  sync   any
order-placed             cli_app.events  2  0         mail_order     cli_app  sync   app
"""


def test_the_tocsin_program(tmp_path: Path) -> None:
    done = run_program(tmp_path, "--app", str(SHOP), "signals")
    assert done.returncode == 0, done.stderr
    assert done.stdout == SHOP_TABLE


def test_namespaces_in_creation_order_and_unnamed_ones(tmp_path: Path) -> None:
    (tmp_path / "many.py").write_text(
        textwrap.dedent(
            """
            from tocsin import Tocsin
            from tocsin.signals import Namespace

            later = Namespace()
            earlier = Namespace()   # made after 'later': listed after it
            gone = Namespace()
            gone.signal("never-seen")
            del gone

            def ping(sender, **extra):
                pass

            def create_app():
                app = Tocsin("many")
                kept = app.extensions["kept"] = Namespace()   # no module global holds it
                kept.signal("hidden").connect(ping, priority=-1)
                earlier.signal("b-sent").connect(ping, app)
                later.signal("a-sent")
                return app
            """
        )
    )
    done = run_program(tmp_path, "--app", "many", "signals")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[12:] == [
        "a-sent                   many.later    -  -         (none)",
        "b-sent                   many.earlier  1  0         ping      many    sync  app",
        "hidden                   namespace 1   1  -1        ping      many    sync  any",
    ]
