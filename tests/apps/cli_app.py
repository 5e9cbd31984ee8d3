"""A small shop for the command-line tests (tests/test_cli_explain.py, test_cli_trace.py...).

Loaded by path (``--app tests/apps/cli_app.py``), so its module is ``cli_app``.
It has a blueprint with a nested one and one on a subdomain, hooks at app
and blueprint level (some ``async``), error handlers for 404, 405 and 500
at both levels, receivers with priorities, and a namespace of its own.
Every receiver of a built-in signal is connected for the app it makes
only, so that loading it changes no other app.
"""

from __future__ import annotations

import typing as t

from tocsin import Blueprint, Tocsin, abort, current_app, request
from tocsin.signals import Namespace, request_finished, request_started, signal
from tocsin.tracing import Tracer

events = Namespace()
order_placed = events.signal("order-placed", doc="Sent with order= once an order is stored.")
stock_low = signal(
    "shop-stock-low", doc="Sent with item= when an item runs low."
)  # (the default namespace)

# -- hooks ------------------------------------------------------------------------------


def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
    """App URL value preprocessor."""


def load_user() -> None:
    """App before_request."""


async def check_quota() -> None:
    """Async app before_request."""


def require_admin() -> None:
    """Blueprint admin before_request."""


async def reports_gate() -> None:
    """Nested blueprint admin.reports before_request (async)."""


def add_header(response: t.Any) -> t.Any:
    """App after_request."""
    response.headers["X-Shop"] = "1"
    return response


async def admin_after(response: t.Any) -> t.Any:
    """Async blueprint after_request."""
    return response


def close_db(exc: BaseException | None) -> None:
    """App teardown_request."""


def admin_teardown(exc: BaseException | None) -> None:
    """Blueprint teardown_request."""


def release(exc: BaseException | None) -> None:
    """App teardown_appcontext."""


# -- error handlers -----------------------------------------------------------------------


def not_found(e: Exception) -> tuple[str, int]:
    """App 404."""
    return "app 404", 404


def not_allowed(e: Exception) -> tuple[str, int]:
    """App 405."""
    return "app 405", 405


async def server_error(e: Exception) -> tuple[str, int]:
    """App 500 (async)."""
    return "app 500", 500


def admin_not_found(e: Exception) -> tuple[str, int]:
    """Blueprint admin 404."""
    return "admin 404", 404


def admin_not_allowed(e: Exception) -> tuple[str, int]:
    """Blueprint admin 405."""
    return "admin 405", 405


def admin_server_error(e: Exception) -> tuple[str, int]:
    """Blueprint admin 500."""
    return "admin 500", 500


def admin_value_error(e: Exception) -> tuple[str, int]:
    """Blueprint admin ValueError."""
    return "bad value", 400


# -- receivers ------------------------------------------------------------------------------


async def announce(sender: t.Any, **extra: t.Any) -> None:
    """request_started, priority 10 (async)."""


def count_request(sender: t.Any, **extra: t.Any) -> None:
    """request_started, priority 0."""


def log_finished(sender: t.Any, response: t.Any, **extra: t.Any) -> None:
    """request_finished, priority -5."""


def audit_order(sender: t.Any, **extra: t.Any) -> None:
    """order-placed, priority 10."""


def mail_order(sender: t.Any, **extra: t.Any) -> None:
    """order-placed, priority 0."""


async def reorder(sender: t.Any, **extra: t.Any) -> None:
    """shop-stock-low (async)."""


# -- views ---------------------------------------------------------------------------------


def index() -> str:
    """The home page."""
    return "shop"


async def show_user(user_id: int) -> str:
    """One user (an async view)."""
    return f"user {user_id}"


def place_order() -> tuple[str, int]:
    """Needs an X-Token header and a body."""
    if request.headers.get("X-Token") != "secret" or request.get_data() != b"2 apples":
        return "refused", 400
    order_placed.send(current_app._get_current_object(), order="2 apples")
    return "placed", 201


def missing() -> str:
    """Aborts with a 404 (the admin blueprint's handler takes it)."""
    abort(404)


def crash() -> str:
    """Raises an error no handler takes: the 500 handler answers."""
    raise KeyError("crash")


def bad_value() -> str:
    """Raises the ValueError the admin blueprint handles."""
    raise ValueError("bad")


def summary(year: int) -> str:
    """A report, in the nested blueprint."""
    return f"report {year}"


def status() -> str:
    """On the api subdomain."""
    return "ok"


def create_app(trace: bool = False) -> Tocsin:
    """The shop; with *trace*, its own tracer is installed."""
    app = Tocsin("cli_app", subdomain_matching=True)
    app.config["SERVER_NAME"] = "shop.test"
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    reports = Blueprint("reports", __name__, url_prefix="/reports")
    api = Blueprint("api", __name__, subdomain="api")

    app.url_value_preprocessor(pull_lang)
    app.before_request(load_user)
    app.before_request(check_quota)
    app.after_request(add_header)
    app.teardown_request(close_db)
    app.teardown_appcontext(release)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed)
    app.register_error_handler(500, server_error)

    admin.before_request(require_admin)
    admin.after_request(admin_after)
    admin.teardown_request(admin_teardown)
    admin.register_error_handler(404, admin_not_found)
    admin.register_error_handler(405, admin_not_allowed)
    admin.register_error_handler(500, admin_server_error)
    admin.register_error_handler(ValueError, admin_value_error)
    reports.before_request(reports_gate)

    app.add_url_rule("/", view_func=index)
    admin.add_url_rule("/", "home", index)
    admin.add_url_rule("/users/<int:user_id>", view_func=show_user)
    admin.add_url_rule("/orders", view_func=place_order, methods=["POST"])
    admin.add_url_rule("/missing", view_func=missing)
    admin.add_url_rule("/crash", view_func=crash)
    admin.add_url_rule("/bad", view_func=bad_value)
    reports.add_url_rule("/<int:year>", view_func=summary)
    api.add_url_rule("/status", view_func=status)
    admin.register_blueprint(reports)
    app.register_blueprint(admin)
    app.register_blueprint(api)

    request_started.connect(announce, app, priority=10)
    request_started.connect(count_request, app)
    request_finished.connect(log_finished, app, priority=-5)
    order_placed.connect(audit_order, priority=10)
    order_placed.connect(mail_order, app)
    stock_low.connect(reorder, app, priority=3)
    if trace:
        Tracer(app)
    return app
