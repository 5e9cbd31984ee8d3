"""A ``BaseException`` raised during teardown: the rest of teardown runs, both contexts pop.

Raised by a ``teardown_request`` or ``teardown_appcontext`` function (sync or
async) or by a receiver of ``request_tearing_down`` or
``appcontext_tearing_down``: every other teardown function and receiver
still runs, nothing is left current in the thread or task, then the
exception propagates to the server. Both drivers, sync and async views.
"""

from __future__ import annotations

import asyncio
import typing as t

import pytest
from werkzeug.test import EnvironBuilder

from asgi_scope import http_scope
from tocsin import Tocsin
from tocsin.globals import _cv_app, _cv_request
from tocsin.signals import appcontext_tearing_down, request_tearing_down

SOURCES = [
    "teardown_request",
    "async teardown_request",
    "teardown_appcontext",
    "async teardown_appcontext",
    "request_tearing_down",
    "appcontext_tearing_down",
]
KINDS: list[type[BaseException]] = [KeyboardInterrupt, SystemExit, asyncio.CancelledError]
#: Everything that runs in teardown besides the failing function, in the order it runs.
OTHERS = [
    "teardown_request 2",
    "teardown_request 1",
    "request_tearing_down",
    "teardown_appcontext 2",
    "teardown_appcontext 1",
    "appcontext_tearing_down",
]


def _app(source: str, kind: type[BaseException], ran: list[str]) -> Tocsin:
    app = Tocsin(__name__)

    @app.route("/sync")
    def sync_view() -> str:
        return "sync"

    @app.route("/async")
    async def async_view() -> str:
        return "async"

    def recorder(name: str) -> t.Callable[..., None]:
        def record(*args: t.Any, **kwargs: t.Any) -> None:
            ran.append(name)

        return record

    def fail(*args: t.Any, **kwargs: t.Any) -> None:
        raise kind()

    async def afail(*args: t.Any, **kwargs: t.Any) -> None:
        raise kind()

    failing = afail if source.startswith("async") else fail
    for hook in ("teardown_request", "teardown_appcontext"):
        getattr(app, hook)(recorder(f"{hook} 1"))
        if source.endswith(hook):  # registered between the two: runs between them
            getattr(app, hook)(failing)
        getattr(app, hook)(recorder(f"{hook} 2"))
    receivers = {
        "request_tearing_down": request_tearing_down,
        "appcontext_tearing_down": appcontext_tearing_down,
    }
    for name, signal in receivers.items():
        if source == name:
            signal.connect(fail, app, weak=False)
        signal.connect(recorder(name), app, weak=False)
    return app


@pytest.fixture(autouse=True)
def _disconnect_receivers() -> t.Iterator[None]:
    yield
    for signal in (request_tearing_down, appcontext_tearing_down):
        for receiver in list(signal.receivers.values()):
            signal.disconnect(receiver)


def _nothing_current() -> tuple[t.Any, t.Any]:
    return _cv_request.get(None), _cv_app.get(None)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_wsgi(path: str, source: str, kind: type[BaseException]) -> None:
    ran: list[str] = []
    app = _app(source, kind, ran)
    with pytest.raises(kind):
        body = app.wsgi_app(EnvironBuilder(path).get_environ(), lambda *a: None)
        b"".join(body)
    assert ran == OTHERS
    assert _nothing_current() == (None, None)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_asgi(path: str, source: str, kind: type[BaseException]) -> None:
    ran: list[str] = []
    app = _app(source, kind, ran)
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    async def serve() -> tuple[str, tuple[t.Any, t.Any]]:
        try:
            await app.asgi(http_scope(path), receive, send)
        except BaseException as e:  # what reached the server, and what is current
            return type(e).__name__, _nothing_current()
        return "nothing", _nothing_current()

    assert asyncio.run(serve()) == (kind.__name__, (None, None))
    assert ran == OTHERS
    assert sent == []  # the response is sent after teardown: it did not finish


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_base_exception_wins_over_errors_which_are_logged(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The server gets the ``KeyboardInterrupt`` itself; the ``ValueError`` is logged."""
    app = Tocsin(__name__)
    ran: list[str] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        raise ValueError("first")

    @app.teardown_request
    def second(exc: BaseException | None) -> None:
        raise KeyboardInterrupt

    app.teardown_appcontext(lambda exc: ran.append("appcontext"))
    if driver == "wsgi":
        with pytest.raises(KeyboardInterrupt):
            app.wsgi_app(EnvironBuilder("/").get_environ(), lambda *a: None)
    else:

        async def receive() -> dict[str, t.Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, t.Any]) -> None:
            raise AssertionError("nothing is sent")

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(app.asgi(http_scope("/"), receive, send))
    assert ran == ["appcontext"]
    assert _nothing_current() == (None, None)
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], ValueError)]
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["first"]


@pytest.mark.parametrize("kind", [ValueError, KeyboardInterrupt])
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_an_appcontext_pushed_receiver_that_raises(driver: str, kind: type[BaseException]) -> None:
    """Step 1 failed after the app context was made current: a 500 (or the exception), and
    teardown pops both contexts, with every teardown function run."""
    from tocsin.signals import appcontext_pushed

    app = Tocsin(__name__)
    ran: list[str] = []
    app.route("/")(lambda: "ok")
    app.teardown_request(lambda exc: ran.append(f"request {type(exc).__name__}"))
    app.teardown_appcontext(lambda exc: ran.append(f"appcontext {type(exc).__name__}"))

    def fail(sender: Tocsin, **extra: t.Any) -> None:
        raise kind("pushed")

    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    with appcontext_pushed.connected_to(fail, app):
        if kind is ValueError:
            if driver == "wsgi":
                status = app.test_client().get("/").status_code
            else:
                asyncio.run(app.asgi(http_scope("/"), receive, send))
                status = sent[0]["status"]
            assert status == 500
        elif driver == "wsgi":
            with pytest.raises(kind):
                app.wsgi_app(EnvironBuilder("/").get_environ(), lambda *a: None)
        else:
            with pytest.raises(kind):
                asyncio.run(app.asgi(http_scope("/"), receive, send))
    name = kind.__name__
    assert ran == [f"request {name}", f"appcontext {name}"]
    assert _nothing_current() == (None, None)
