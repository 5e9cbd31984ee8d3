"""``tocsin explain METHOD PATH``: one request's URL resolved and its steps read from its plan."""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_shop import SHOP, isolated, output_of, run_program, shop, step_block
from tocsin import Tocsin, lifecycle
from tocsin.cli import cli
from tocsin.signals import request_finished, request_started

__all__ = ["isolated"]  # (the fixture, imported for pytest)

pytestmark = pytest.mark.usefixtures("isolated")

USER_ROUTE = """\
GET /admin/users/7 -> admin.show_user
  URL         http://shop.test/admin/users/7
  rule        /admin/users/<int:user_id> (GET, HEAD, OPTIONS)
  view        cli_app.show_user
  blueprints  admin (innermost first)
  URL values  user_id=7

1   push_app_context
      (nothing registered)
2   push_request_context
      (nothing registered)
3   match_url
      matches /admin/users/<int:user_id> -> admin.show_user
4   before_first_request
      (nothing registered)
5   request_started
      receiver: cli_app.announce (async), priority 10, this app only
      receiver: cli_app.count_request, priority 0, this app only
6   url_value_preprocessor
      app: cli_app.pull_lang
7   before_request
      app: cli_app.load_user
      app: cli_app.check_quota (async)
      blueprint admin: cli_app.require_admin
8   dispatch
      view: cli_app.show_user (async)
9   handle_exception
      404: blueprint admin: cli_app.admin_not_found  <- takes it
      404: app: cli_app.not_found
      405: blueprint admin: cli_app.admin_not_allowed  <- takes it
      405: app: cli_app.not_allowed
      500: blueprint admin: cli_app.admin_server_error  <- takes it
      500: app: cli_app.server_error (async)
      ValueError: blueprint admin: cli_app.admin_value_error
10  make_response
      (nothing registered)
11  after_this_request
      functions added during the request by after_this_request()
12  after_request
      blueprint admin: cli_app.admin_after (async)
      app: cli_app.add_header
13  save_session
      (nothing registered)
14  request_finished
      receiver: cli_app.log_finished, priority -5, this app only
15  send_response
      (nothing registered)
16  teardown_request
      blueprint admin: cli_app.admin_teardown
      app: cli_app.close_db
17  pop_request_context
      (nothing registered)
18  teardown_appcontext
      app: cli_app.release
19  pop_app_context
      (nothing registered)

Error path (an exception no handler takes):
  got_request_exception
      (nothing registered)
  then it propagates (PROPAGATE_EXCEPTIONS), or the 500 handlers of step 9 run
"""


def test_a_route_with_every_step_and_what_it_runs() -> None:
    assert output_of("explain", "GET", "/admin/users/7") == USER_ROUTE


def test_the_method_is_case_insensitive_and_the_query_is_kept() -> None:
    lines = output_of("explain", "get", "/admin/users/7?page=2").splitlines()
    assert lines[:2] == [
        "GET /admin/users/7?page=2 -> admin.show_user",
        "  URL         http://shop.test/admin/users/7?page=2",
    ]


def test_a_nested_blueprint_runs_outer_to_inner_and_finds_handlers_inner_first() -> None:
    out = output_of("explain", "GET", "/admin/reports/2024")
    assert out.splitlines()[:6] == [
        "GET /admin/reports/2024 -> admin.reports.summary",
        "  URL         http://shop.test/admin/reports/2024",
        "  rule        /admin/reports/<int:year> (GET, HEAD, OPTIONS)",
        "  view        cli_app.summary",
        "  blueprints  admin.reports, admin (innermost first)",
        "  URL values  year=2024",
    ]
    assert step_block(out, 7) == [
        "7   before_request",
        "      app: cli_app.load_user",
        "      app: cli_app.check_quota (async)",
        "      blueprint admin: cli_app.require_admin",
        "      blueprint admin.reports: cli_app.reports_gate (async)",
    ]
    assert step_block(out, 8) == ["8   dispatch", "      view: cli_app.summary"]


def test_a_404_runs_the_app_hooks_only_and_the_apps_404_handler() -> None:
    out = output_of("explain", "GET", "/nowhere")
    assert out.splitlines()[:3] == [
        "GET /nowhere -> 404 Not Found",
        "  URL  http://shop.test/nowhere",
        "",
    ]
    assert step_block(out, 3) == ["3   match_url", "      stores 404 Not Found"]
    assert step_block(out, 7) == [
        "7   before_request",
        "      app: cli_app.load_user",
        "      app: cli_app.check_quota (async)",
    ]
    assert step_block(out, 8) == [
        "8   dispatch",
        "      raises the stored 404 Not Found; no view runs",
    ]
    assert step_block(out, 9) == [
        "9   handle_exception",
        "      404: app: cli_app.not_found  <- takes it",
        "      500: app: cli_app.server_error (async)  <- takes it",
        "      405: app: cli_app.not_allowed",
    ]
    assert step_block(out, 12) == ["12  after_request", "      app: cli_app.add_header"]
    assert step_block(out, 16) == ["16  teardown_request", "      app: cli_app.close_db"]


def test_a_405_names_the_allowed_methods() -> None:
    out = output_of("explain", "DELETE", "/admin/users/7")
    assert out.splitlines()[:4] == [
        "DELETE /admin/users/7 -> 405 Method Not Allowed",
        "  URL      http://shop.test/admin/users/7",
        "  allowed  GET, HEAD, OPTIONS",
        "",
    ]
    assert step_block(out, 8) == [
        "8   dispatch",
        "      raises the stored 405 Method Not Allowed; no view runs",
    ]
    assert step_block(out, 9) == [
        "9   handle_exception",
        "      405: app: cli_app.not_allowed  <- takes it",
        "      500: app: cli_app.server_error (async)  <- takes it",
        "      404: app: cli_app.not_found",
    ]


def test_a_redirect_is_its_own_response() -> None:
    out = output_of("explain", "GET", "/admin")
    assert out.splitlines()[:2] == [
        "GET /admin -> 308 redirect to http://shop.test/admin/",
        "  URL  http://shop.test/admin",
    ]
    assert step_block(out, 8) == [
        "8   dispatch",
        "      raises the stored 308 redirect to http://shop.test/admin/; no view runs",
    ]
    assert step_block(out, 9) == [
        "9   handle_exception",
        "      a redirect is its own response: no error handler",
        "      500: app: cli_app.server_error (async)  <- takes it",
        "      404: app: cli_app.not_found",
        "      405: app: cli_app.not_allowed",
    ]


def test_an_automatic_options_response_calls_no_view() -> None:
    out = output_of("explain", "OPTIONS", "/admin/users/7")
    assert step_block(out, 8) == [
        "8   dispatch",
        "      the automatic OPTIONS response; the view is not called",
    ]


@pytest.mark.parametrize(
    "args",
    [("GET", "http://api.shop.test/status"), ("--subdomain", "api", "GET", "/status")],
    ids=["full-url", "option"],
)
def test_a_subdomain_route_is_matched_with_server_name(args: tuple[str, ...]) -> None:
    lines = output_of("explain", *args).splitlines()
    assert lines[1:6] == [
        "  URL         http://api.shop.test/status",
        "  rule        /status (GET, HEAD, OPTIONS)",
        "  subdomain   api",
        "  view        cli_app.status",
        "  blueprints  api (innermost first)",
    ]
    assert lines[0].endswith(" -> api.status")


def test_a_subdomain_route_is_not_on_the_main_host() -> None:
    assert output_of("explain", "GET", "/status").splitlines()[0] == "GET /status -> 404 Not Found"


def test_receivers_for_any_sender_take_their_place_by_priority() -> None:
    with request_started.connected_to(listen_everywhere, priority=5):
        out = output_of("explain", "GET", "/")
    assert step_block(out, 5) == [
        "5   request_started",
        "      receiver: cli_app.announce (async), priority 10, this app only",
        f"      receiver: {__name__}.listen_everywhere, priority 5, any sender",
        "      receiver: cli_app.count_request, priority 0, this app only",
    ]


def listen_everywhere(sender: t.Any, **extra: t.Any) -> None:
    """A request_started receiver for every sender."""


def warm_up() -> None:
    """A before_first_request or before_request function."""


ADMIN = "blueprint admin: cli_app."


@pytest.mark.parametrize(
    ("method", "path", "taker", "status", "body"),
    [
        (
            "GET",
            "/admin/missing",
            "404: blueprint admin: cli_app.admin_not_found",
            404,
            "admin 404",
        ),
        ("GET", "/nowhere", "404: app: cli_app.not_found", 404, "app 404"),
        ("DELETE", "/admin/users/7", "405: app: cli_app.not_allowed", 405, "app 405"),
        (
            "GET",
            "/admin/crash",
            "500: blueprint admin: cli_app.admin_server_error",
            500,
            "admin 500",
        ),
    ],
)
def test_the_handler_said_to_take_an_error_is_the_one_that_answers(
    method: str, path: str, taker: str, status: int, body: str
) -> None:
    out = output_of("explain", method, path)
    code = taker.partition(":")[0]
    taking = [line.strip() for line in step_block(out, 9) if line.endswith("  <- takes it")]
    assert [line for line in taking if line.startswith(f"{code}:")] == [f"{taker}  <- takes it"]
    app = sys.modules["cli_app"].create_app()
    response = app.test_client().open(path, method=method)
    assert (response.status_code, response.get_data(as_text=True)) == (status, body)


def test_json() -> None:
    data = json.loads(output_of("explain", "--json", "GET", "/admin/reports/2024"))
    assert {k: data[k] for k in ("method", "path", "url", "outcome", "status", "reason")} == {
        "method": "GET",
        "path": "/admin/reports/2024",
        "url": "http://shop.test/admin/reports/2024",
        "outcome": "matched",
        "status": None,
        "reason": None,
    }
    assert data["rule"] == "/admin/reports/<int:year>"
    assert data["endpoint"] == "admin.reports.summary"
    assert data["view"] == "cli_app.summary"
    assert data["blueprints"] == ["admin.reports", "admin"]
    assert data["url_values"] == {"year": 2024}
    steps = data["steps"]
    assert [(s["number"], s["name"]) for s in steps] == [
        (s.number, s.name) for s in lifecycle.STEPS
    ]
    assert steps[6]["calls"] == [
        {
            "kind": "hook",
            "name": name,
            "is_async": is_async,
            "scope": scope,
            "signal": None,
            "priority": None,
            "sender": None,
            "error": None,
            "takes": None,
        }
        for scope, name, is_async in [
            ("app", "cli_app.load_user", False),
            ("app", "cli_app.check_quota", True),
            ("blueprint admin", "cli_app.require_admin", False),
            ("blueprint admin.reports", "cli_app.reports_gate", True),
        ]
    ]
    started = [(c["name"], c["priority"], c["sender"]) for c in steps[4]["calls"]]
    assert started == [("cli_app.announce", 10, "app"), ("cli_app.count_request", 0, "app")]
    handlers = [(c["error"], c["scope"], c["name"], c["takes"]) for c in steps[8]["calls"]]
    assert handlers == [
        ("404", "blueprint admin", "cli_app.admin_not_found", True),
        ("404", "app", "cli_app.not_found", False),
        ("405", "blueprint admin", "cli_app.admin_not_allowed", True),
        ("405", "app", "cli_app.not_allowed", False),
        ("500", "blueprint admin", "cli_app.admin_server_error", True),
        ("500", "app", "cli_app.server_error", False),
        ("ValueError", "blueprint admin", "cli_app.admin_value_error", None),
    ]
    assert steps[0] == {"number": 1, "name": "push_app_context", "calls": [], "notes": []}


def test_json_of_a_405() -> None:
    data = json.loads(output_of("explain", "--json", "DELETE", "/admin/users/7"))
    assert (data["outcome"], data["status"], data["reason"]) == ("error", 405, "Method Not Allowed")
    assert data["allowed"] == ["GET", "HEAD", "OPTIONS"]
    assert (data["rule"], data["endpoint"], data["view"], data["blueprints"]) == (
        None,
        None,
        None,
        [],
    )
    assert data["steps"][7]["notes"] == ["raises the stored 405 Method Not Allowed; no view runs"]


def test_a_traced_app_explains_the_same() -> None:
    """With a tracer, the plan's functions are wrapped: the names are still the registered ones."""
    traced = output_of("explain", "GET", "/admin/users/7", app="create_app(trace=True)")
    assert traced == USER_ROUTE


class OwnMethods(Tocsin):
    """An app that overrides one of Flask's request methods."""

    def preprocess_request(self) -> t.Any:
        return super().preprocess_request()


def test_an_overridden_flask_method_is_named_where_it_runs() -> None:
    app = OwnMethods("own")
    app.before_request(warm_up)
    app.add_url_rule("/", "index", lambda: "")
    result = app.test_cli_runner().invoke(cli, ["explain", "GET", "/"])
    assert result.exit_code == 0, result.output
    own = f"{__name__}.OwnMethods.preprocess_request"
    note = f"      run by the app's own preprocess_request() ({own})"
    assert step_block(result.output, 6) == ["6   url_value_preprocessor", note]
    assert step_block(result.output, 7) == [
        "7   before_request",
        note,
        f"      app: {__name__}.warm_up",
    ]


def test_before_first_request_is_marked_as_first_request_only() -> None:
    app = Tocsin("first")
    app.before_first_request(warm_up)
    app.add_url_rule("/", "index", lambda: "")
    result = app.test_cli_runner().invoke(cli, ["explain", "GET", "/"])
    assert step_block(result.output, 4) == [
        "4   before_first_request",
        "      first request only",
        f"      app: {__name__}.warm_up",
    ]
    app.test_client().get("/")
    result = app.test_cli_runner().invoke(cli, ["explain", "GET", "/"])
    assert step_block(result.output, 4) == [
        "4   before_first_request",
        "      already ran, at the first request",
    ]


@pytest.mark.parametrize("args", [("GET",), ("--subdomain", "api")])
def test_method_and_path_go_together(args: tuple[str, ...]) -> None:
    result = shop("explain", *args)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Give both METHOD and PATH (as in 'tocsin explain GET /'), or neither."
    )


def test_explain_alone_keeps_the_whole_app_listing() -> None:
    lines = output_of("explain").splitlines()
    assert lines[:2] == [
        "#   Step                    Hooks                   Signal",
        "--  ----------------------  ----------------------  -----------------------",
    ]
    assert lines[lines.index("7   before_request          before_request          -") + 1 :][
        :3
    ] == [
        "      app: cli_app.load_user",
        "      app: cli_app.check_quota (async)",
        "      blueprint admin: cli_app.require_admin",
    ]


def test_explain_alone_as_json() -> None:
    data = json.loads(output_of("explain", "--json"))
    assert [s["name"] for s in data["steps"]] == [s.name for s in lifecycle.STEPS]
    assert data["steps"][6] == {
        "number": 7,
        "name": "before_request",
        "summary": lifecycle.step("before_request").summary,
        "phase": "handle",
        "hooks": ["before_request"],
        "signal": None,
        "registered": [
            "app: cli_app.load_user",
            "app: cli_app.check_quota (async)",
            "blueprint admin: cli_app.require_admin",
            "blueprint admin.reports: cli_app.reports_gate (async)",
        ],
    }
    assert data["error_path"] == lifecycle.ERROR_PATH


def test_the_tocsin_program(tmp_path: Path) -> None:
    done = run_program(tmp_path, "--app", str(SHOP), "explain", "GET", "/admin/users/7")
    assert done.returncode == 0, done.stderr
    assert done.stdout == USER_ROUTE


TOUR_APP = """
from tocsin import Tocsin, g, request
from tocsin.signals import request_finished

app = Tocsin(__name__)


@app.before_request
def load_user():
    g.user = request.headers.get("X-User", "anonymous")


@app.route("/hello/<name>")
def hello(name):
    return f"Hello, {name}, from {g.user}"


@request_finished.connect_via(app)
def log_status(sender, response, **extra):
    pass
"""


def test_the_readme_example_is_what_explain_prints(tmp_path: Path) -> None:
    """Every line of the README's example, but its '...', is printed, in that order."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    command = "$ tocsin --app app explain GET /hello/ann\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0].splitlines()
    (tmp_path / "app.py").write_text(TOUR_APP)
    done = CliRunner().invoke(
        cli, ["--app", str(tmp_path / "app.py"), "explain", "GET", "/hello/ann"]
    )
    tour = sys.modules.pop("app")
    # connect_via holds log_status strongly, and its module holds the app: let both go.
    request_finished.disconnect(tour.log_status, tour.app)
    assert done.exit_code == 0, done.output
    printed = iter(done.output.splitlines())
    for line in shown:
        if line != "...":
            assert line in printed, line  # (consumes the lines before it)


def test_one_function_registered_at_two_scopes_is_listed_at_each(app: Tocsin) -> None:
    from tocsin import Blueprint

    admin = Blueprint("admin", __name__)
    admin.before_request(warm_up)
    admin.add_url_rule("/x", "x", lambda: "")
    app.register_blueprint(admin)  # (the blueprint's scope is made before the app's)
    app.before_request(warm_up)
    result = app.test_cli_runner().invoke(cli, ["explain", "GET", "/x"])
    assert step_block(result.output, 7) == [
        "7   before_request",
        f"      app: {__name__}.warm_up",
        f"      blueprint admin: {__name__}.warm_up",
    ]


def test_verbose_adds_each_steps_summary() -> None:
    out = output_of("explain", "-v", "GET", "/admin/users/7")
    assert step_block(out, 8) == [
        "8   dispatch",
        f"      - {lifecycle.step('dispatch').summary}",
        "      view: cli_app.show_user (async)",
    ]
    assert len(out.splitlines()) == len(USER_ROUTE.splitlines()) + 19
