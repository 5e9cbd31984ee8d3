"""Tocsin notes: a small guestbook that shows a request's lifecycle at work.

Run it with ``python -m notes`` from ``examples/notes`` (``python3 dev.py demo`` from the root),
or under ASGI with ``uvicorn asgi:app``. ``create_app`` is the factory. Every request is
traced; :class:`tocsin.devtools.DevTools` shows the traces at ``/_tocsin/`` to requests
from this machine.
"""

from __future__ import annotations

import os
import time
import typing as t

from werkzeug.exceptions import HTTPException

from tocsin import Request, Response, Tocsin, g, render_template, request, url_for
from tocsin.devtools import DevTools
from tocsin.tracing import Tracer

from . import api, auth, db, events, views

__all__ = ["create_app"]

#: The links of the navigation bar: (endpoint, label).
NAV = (
    ("notes.index", "Notes"),
    ("notes.audit", "Audit log"),
    ("tocsin_devtools.index", "DevTools"),
)


def create_app(
    test_config: t.Mapping[str, t.Any] | None = None, *, instance_path: str | None = None
) -> Tocsin:
    """Make the app.

    :param test_config: config values that win over everything else (tests
        pass ``DATABASE`` and ``TESTING`` here).
    :param instance_path: the folder for the database; defaults to
        ``$NOTES_INSTANCE_PATH`` or ``examples/notes/instance``.

    Config comes from the defaults below, then from ``NOTES_*`` environment
    variables (``NOTES_SECRET_KEY``, ``NOTES_DATABASE``...), then from
    *test_config*.
    """
    instance_path = instance_path or os.environ.get("NOTES_INSTANCE_PATH") or _default_instance()
    app = Tocsin(__name__, instance_path=os.path.abspath(instance_path))
    app.config.from_mapping(
        SECRET_KEY="dev",  # set NOTES_SECRET_KEY outside development
        DATABASE=os.path.join(app.instance_path, "notes.sqlite3"),
        PASSWORD_HASH_METHOD="scrypt",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_prefixed_env("NOTES")
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    tracer = app.extensions["notes.tracer"] = Tracer(app, keep=50, server_timing=True)
    tracer.watch(events.events)  # the demo's own signals appear in the traces too
    DevTools(app, allow=from_this_machine)  # /_tocsin/: the traces, routes and signals
    db.init_app(app)
    events.init_app(app)
    app.before_request(auth.load_logged_in_user)
    app.after_request(security_headers)
    app.context_processor(nav)
    app.add_template_filter(timeago)
    for code in (400, 401, 403, 404, 405, 500):
        app.register_error_handler(code, error_page)
    for bp in (auth.bp, views.bp, api.bp):
        app.register_blueprint(bp)
    return app


def _default_instance() -> str:
    """``examples/notes/instance``: next to the package, as in Flask."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "instance")


def from_this_machine(req: Request) -> bool:
    """DevTools' gate: its pages are for requests from this machine only (debug mode or not)."""
    return req.remote_addr in ("127.0.0.1", "::1")


def security_headers(response: Response) -> Response:
    """``after_request``: a few headers every page should carry."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def nav() -> dict[str, t.Any]:
    """``context_processor``: the navigation links and the signed-in user for every template."""
    links = [(url_for(endpoint), label, request.endpoint == endpoint) for endpoint, label in NAV]
    return {"nav_links": links, "user": g.get("user")}


def timeago(timestamp: float, now: float | None = None) -> str:
    """``template_filter``: a Unix time as "just now", "5 minutes ago", "2 days ago"."""
    seconds = int((time.time() if now is None else now) - timestamp)
    if seconds < 10:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return f"{seconds} seconds ago"


def error_page(e: HTTPException) -> t.Any:
    """The app's error page; under ``/api/`` (a URL no API view matched) a JSON error."""
    if request.path.startswith("/api/"):
        return api.error_json(e)
    return render_template("error.html", error=e), e.code
