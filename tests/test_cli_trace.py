"""``tocsin trace METHOD PATH``: one request through the test client, and its lifecycle trace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_shop import SHOP, isolated, run_program, shop
from tocsin import Tocsin
from tocsin.cli import cli
from tocsin.tracing import Tracer

__all__ = ["isolated"]  # (the fixture, imported for pytest)

pytestmark = pytest.mark.usefixtures("isolated")

_TIME = re.compile(r"^ {0,4}\d+\.\d{3} ms")


def masked(output: str) -> list[str]:
    """The lines of a printed trace, each start time replaced by ``T``."""
    lines = output.splitlines()
    for line in lines[1:]:
        assert _TIME.match(line), line
    return lines[:1] + [_TIME.sub("T", line) for line in lines[1:]]


def traced(*args: str, app: str = "") -> str:
    result = shop("trace", *args, app=app)
    assert result.exit_code == 0, result.output
    return result.stdout


USER_TRACE = """\
T   1 push_app_context
T   2 push_request_context
T   3 match_url
T   5 request_started
T       signal request-started -> 2 receiver(s)
T   6 url_value_preprocessor
T       url_value_preprocessor: cli_app.pull_lang
T   7 before_request
T       before_request: cli_app.load_user
T       before_request: cli_app.check_quota
T       before_request: cli_app.require_admin
T   8 dispatch
T       view: cli_app.show_user
T  10 make_response
T  11 after_this_request
T  12 after_request
T       after_request: cli_app.admin_after
T       after_request: cli_app.add_header
T  13 save_session
T  14 request_finished
T       signal request-finished -> 1 receiver(s)
T  15 send_response
T  16 teardown_request
T       teardown_request: cli_app.admin_teardown
T       teardown_request: cli_app.close_db
T  17 pop_request_context
T  18 teardown_appcontext
T       teardown_appcontext: cli_app.release
T  19 pop_app_context
"""


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_request_under_each_driver(driver: str) -> None:
    lines = masked(traced("GET", "/admin/users/7", "--driver", driver))
    assert lines == [f"GET /admin/users/7 -> 200 ({driver})", *USER_TRACE.splitlines()]


def test_the_default_driver_is_wsgi() -> None:
    assert traced("GET", "/").splitlines()[0] == "GET / -> 200 (wsgi)"


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_data_and_headers_reach_the_view(driver: str) -> None:
    args = ("POST", "/admin/orders", "--driver", driver)
    sent = traced(*args, "--data", "2 apples", "-H", "X-Token: secret", "--header", "X-Other:1")
    assert sent.splitlines()[0] == f"POST /admin/orders -> 201 ({driver})"
    assert "T       view: cli_app.place_order" in masked(sent)
    assert traced(*args, "-d", "2 apples").splitlines()[0] == (
        f"POST /admin/orders -> 400 ({driver})"
    )


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_an_error_goes_to_its_handler(driver: str) -> None:
    lines = masked(traced("GET", "/admin/crash", "--driver", driver))
    assert lines[0] == f"GET /admin/crash -> 500 ({driver})"
    dispatch = lines.index("T   8 dispatch")
    assert lines[dispatch : dispatch + 5] == [
        "T   8 dispatch",
        "T       view: cli_app.crash",
        "T   9 handle_exception",
        "T       errorhandler: cli_app.admin_server_error",
        "T  10 make_response",
    ]


def test_a_404_and_a_405() -> None:
    not_found = masked(traced("GET", "/nowhere"))
    assert not_found[0] == "GET /nowhere -> 404 (wsgi)"
    assert "T       errorhandler: cli_app.not_found" in not_found
    not_allowed = masked(traced("DELETE", "/admin/users/7", "--driver", "asgi"))
    assert not_allowed[0] == "DELETE /admin/users/7 -> 405 (asgi)"
    assert "T       errorhandler: cli_app.not_allowed" in not_allowed


def test_json() -> None:
    data = json.loads(traced("--json", "GET", "/admin/users/7", "--driver", "asgi"))
    assert (data["driver"], data["method"], data["path"], data["status"]) == (
        "asgi",
        "GET",
        "/admin/users/7",
        200,
    )
    steps = [e["name"] for e in data["events"] if e["kind"] == "step"]
    expected = [line.split()[2] for line in USER_TRACE.splitlines() if line[4:5] != " "]
    assert steps == expected
    skipped = [s["name"] for s in data["steps"] if s["outcome"] == "skipped"]
    assert skipped == ["before_first_request", "handle_exception"]
    calls = [(e["name"], e["detail"]) for e in data["events"] if e["kind"] == "call"]
    assert calls[:2] == [
        ("url_value_preprocessor", "cli_app.pull_lang"),
        ("before_request", "cli_app.load_user"),
    ]
    times = [e["ms"] for e in data["events"]]
    assert times == sorted(times)


def test_the_apps_own_tracer_is_used_and_kept(app: Tocsin) -> None:
    app.add_url_rule("/", "index", lambda: "hi")
    tracer = Tracer(app, keep=5)
    app.test_client().get("/")
    result = app.test_cli_runner().invoke(cli, ["trace", "GET", "/"])
    assert result.exit_code == 0, result.output
    assert app.tracer is tracer
    assert len(tracer.traces) == 2
    assert result.stdout.splitlines()[0] == "GET / -> 200 (wsgi)"
    assert masked(result.stdout)[1:] == [
        "T   1 push_app_context",  # (steps 1 and 2 are one call)
        "T   2 push_request_context",
        "T   3 match_url",
        "T   8 dispatch",  # (the steps with nothing registered are skipped)
        f"T       view: {__name__}.test_the_apps_own_tracer_is_used_and_kept.<locals>.<lambda>",
        "T  10 make_response",  # (10, 11, 13 and 14 are one call)
        "T  11 after_this_request",
        "T  13 save_session",
        "T  14 request_finished",
        "T  15 send_response",
        "T  16 teardown_request",  # (16 to 19 are one call)
        "T  17 pop_request_context",
        "T  18 teardown_appcontext",
        "T  19 pop_app_context",
    ]


def test_a_tracer_installed_for_the_request_only(app: Tocsin) -> None:
    app.add_url_rule("/", "index", lambda: "hi")
    result = app.test_cli_runner().invoke(cli, ["trace", "GET", "/", "--driver", "asgi"])
    assert result.exit_code == 0, result.output
    assert app.tracer is None
    response = app.test_client().get("/")
    assert response.text == "hi"
    assert app.compiled is not None and not app.compiled.traced


def test_an_exception_that_propagates_is_printed_after_the_trace(app: Tocsin) -> None:
    def boom() -> str:
        raise ValueError("boom")

    app.add_url_rule("/", "boom", boom)  # (TESTING: exceptions propagate)
    result = app.test_cli_runner().invoke(cli, ["trace", "GET", "/"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "GET / -> 500 (wsgi)"  # (what the server answers: see Trace.raised)
    assert lines[-1] == "raised ValueError: boom"
    assert _TIME.sub("T", lines[-2]) == "T  19 pop_app_context"


def test_a_header_must_be_name_colon_value() -> None:
    result = shop("trace", "GET", "/", "-H", "X-Token")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--header': 'X-Token' is not NAME:VALUE."
    )


def test_the_tocsin_program(tmp_path: Path) -> None:
    done = run_program(
        tmp_path, "--app", str(SHOP), "trace", "GET", "/admin/users/7", "--driver", "asgi"
    )
    assert done.returncode == 0, done.stderr
    assert masked(done.stdout) == ["GET /admin/users/7 -> 200 (asgi)", *USER_TRACE.splitlines()]
