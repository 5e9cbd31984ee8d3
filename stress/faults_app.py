"""The app that ``faults.py`` drives: every hook and receiver kind, sync and async.

Every function registered here calls :func:`hit` with its site and kind
(``"sync"`` or ``"async"``): that records the call in the current
:class:`Record` and raises the exception the current :class:`Case` injects,
when the case names that site and kind. Both are context variables, set
around each request by the caller (``faults.py`` in process, or the ASGI
middleware :func:`asgi` under a server), so one app serves every case.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tocsin import (
    Tocsin,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    flash,
    got_request_exception,
    message_flashed,
    render_template_string,
    render_template_string_async,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from tocsin.globals import _cv_app, _cv_request

KINDS = ("sync", "async")

#: Hook sites: registered with the app's decorators (``stream``: the view's streamed body,
#: which raises after its first chunk).
HOOKS = (
    "url_value_preprocessor",
    "before_request",
    "view",
    "stream",
    "context_processor",
    "errorhandler",
    "after_request",
    "teardown_request",
    "teardown_appcontext",
)
#: Signal sites: a receiver of each built-in signal.
SIGNALS = {
    "appcontext_pushed": appcontext_pushed,
    "request_started": request_started,
    "before_render_template": before_render_template,
    "template_rendered": template_rendered,
    "message_flashed": message_flashed,
    "got_request_exception": got_request_exception,
    "request_finished": request_finished,
    "request_tearing_down": request_tearing_down,
    "appcontext_tearing_down": appcontext_tearing_down,
    "appcontext_popped": appcontext_popped,
}
SITES = (*HOOKS, *SIGNALS)
#: The sites that are part of teardown: each must run once per request, whatever fails.
TEARDOWN_SITES = (
    "teardown_request",
    "request_tearing_down",
    "teardown_appcontext",
    "appcontext_tearing_down",
    "appcontext_popped",
)


class Injected(Exception):
    """The ``Exception`` a case injects."""


class InjectedKeyboardInterrupt(KeyboardInterrupt):
    """The ``KeyboardInterrupt`` a case injects."""


class InjectedSystemExit(SystemExit):
    """The ``SystemExit`` a case injects."""


class InjectedCancelledError(asyncio.CancelledError):
    """The ``asyncio.CancelledError`` a case injects."""


#: What a case can inject, by name.
EXCEPTIONS: dict[str, type[BaseException]] = {
    "Exception": Injected,
    "KeyboardInterrupt": InjectedKeyboardInterrupt,
    "SystemExit": InjectedSystemExit,
    "CancelledError": InjectedCancelledError,
}


class Handled(Exception):
    """Raised by the view when the case is about error handlers; an error handler takes it."""


class Unhandled(Exception):
    """Raised by the view when the case is about ``got_request_exception``; no handler takes it."""


@dataclass(frozen=True)
class Case:
    """Where to raise what: *site* (of :data:`SITES`), *kind*, *exc* (of :data:`EXCEPTIONS`).

    *view* is the kind of view the request is routed to. A site of ``"none"``
    injects nothing (the baseline).
    """

    site: str
    kind: str
    exc: str
    view: str

    @property
    def path(self) -> str:
        """The URL of the request that runs this case."""
        return f"/{self.view}/word"


@dataclass
class Record:
    """What ran during one request, and the contexts it ran in."""

    calls: list[str] = field(default_factory=list)
    contexts: list[t.Any] = field(default_factory=list)
    #: The type of the ``exc`` the sync ``teardown_request`` function got, by name.
    teardown_exc: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, name: str) -> None:
        """Record a call of *name*, and the contexts current for it."""
        with self.lock:
            self.calls.append(name)
            for var in (_cv_app, _cv_request):
                ctx = var.get(None)
                if ctx is not None and not any(ctx is c for c in self.contexts):
                    self.contexts.append(ctx)

    def still_current(self) -> list[str]:
        """The contexts seen during the request that are still pushed somewhere."""
        return [type(c).__name__ for c in self.contexts if c._tokens]

    def teardown_counts(self) -> dict[str, int]:
        """How many times each teardown site ran (sync and async counted apart)."""
        return {
            f"{site}/{kind}": self.calls.count(f"{site}/{kind}")
            for site in TEARDOWN_SITES
            for kind in KINDS
        }


CASE: contextvars.ContextVar[Case | None] = contextvars.ContextVar("faults_case", default=None)
RECORD: contextvars.ContextVar[Record | None] = contextvars.ContextVar(
    "faults_record", default=None
)


def hit(site: str, kind: str) -> None:
    """Record a call of *site*; raise the injected exception if the case is about it."""
    record = RECORD.get()
    if record is not None:
        record.note(f"{site}/{kind}")
    case = CASE.get()
    if case is not None and case.site == site and case.kind == kind:
        raise EXCEPTIONS[case.exc](f"injected in {site}/{kind}")


app = Tocsin(__name__)
app.config.update(SECRET_KEY="faults", PROPAGATE_EXCEPTIONS=False)
app.logger.disabled = True  # the injected errors are expected; the table reports them
_TEMPLATE = "{{ word }} {{ from_sync }} {{ from_async }}"


def _view_raises() -> None:
    case = CASE.get()
    if case is not None and case.site == "errorhandler":
        raise HandledSync() if case.kind == "sync" else HandledAsync()
    if case is not None and case.site == "got_request_exception":
        raise Unhandled()


@app.route("/sync/<word>")
def sync_view(word: str) -> str:
    hit("view", "sync")
    _view_raises()
    flash(word)
    if _streams():

        def chunks() -> t.Iterator[str]:
            yield "a"
            hit("stream", "sync")
            yield "b"

        return chunks()  # type: ignore[return-value]
    return render_template_string(_TEMPLATE, word=word)


def _streams() -> bool:
    case = CASE.get()
    return case is not None and case.site in ("stream", "abort")


@app.route("/async/<word>")
async def async_view(word: str) -> str:
    await asyncio.sleep(0)
    hit("view", "async")
    _view_raises()  # no flash(): it would run message_flashed's async receiver synchronously
    if _streams():

        async def chunks() -> t.AsyncIterator[str]:
            yield "a"
            await asyncio.sleep(0)
            hit("stream", "async")
            yield "b"

        return chunks()  # type: ignore[return-value]
    return await render_template_string_async(_TEMPLATE, word=word)


@app.url_value_preprocessor
def uvp_sync(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
    hit("url_value_preprocessor", "sync")


@app.url_value_preprocessor
async def uvp_async(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
    await asyncio.sleep(0)
    hit("url_value_preprocessor", "async")


@app.before_request
def before_sync() -> None:
    hit("before_request", "sync")


@app.before_request
async def before_async() -> None:
    await asyncio.sleep(0)
    hit("before_request", "async")


@app.context_processor
def cp_sync() -> dict[str, t.Any]:
    hit("context_processor", "sync")
    return {"from_sync": 1}


@app.context_processor
async def cp_async() -> dict[str, t.Any]:
    await asyncio.sleep(0)
    hit("context_processor", "async")
    return {"from_async": 2}


class HandledSync(Handled):
    """Taken by the sync error handler."""


class HandledAsync(Handled):
    """Taken by the async error handler."""


@app.errorhandler(HandledSync)
def on_handled_sync(e: Handled) -> t.Any:
    hit("errorhandler", "sync")
    return "handled", 409


@app.errorhandler(HandledAsync)
async def on_handled_async(e: Handled) -> t.Any:
    await asyncio.sleep(0)
    hit("errorhandler", "async")
    return "handled", 409


@app.after_request
def after_sync(response: t.Any) -> t.Any:
    hit("after_request", "sync")
    return response


@app.after_request
async def after_async(response: t.Any) -> t.Any:
    await asyncio.sleep(0)
    hit("after_request", "async")
    return response


@app.teardown_request
def td_request_sync(exc: BaseException | None) -> None:
    record = RECORD.get()
    if record is not None:
        record.teardown_exc.append(type(exc).__name__ if exc is not None else "None")
    hit("teardown_request", "sync")


@app.teardown_request
async def td_request_async(exc: BaseException | None) -> None:
    await asyncio.sleep(0)
    hit("teardown_request", "async")


@app.teardown_appcontext
def td_app_sync(exc: BaseException | None) -> None:
    hit("teardown_appcontext", "sync")


@app.teardown_appcontext
async def td_app_async(exc: BaseException | None) -> None:
    await asyncio.sleep(0)
    hit("teardown_appcontext", "async")


def _receivers(site: str) -> tuple[t.Callable[..., None], t.Callable[..., t.Any]]:
    def sync_receiver(sender: t.Any, **kwargs: t.Any) -> None:
        hit(site, "sync")

    async def async_receiver(sender: t.Any, **kwargs: t.Any) -> None:
        await asyncio.sleep(0)
        hit(site, "async")

    return sync_receiver, async_receiver


#: Strong references to the receivers (signals hold them weakly).
_RECEIVERS = {site: _receivers(site) for site in SIGNALS}


_connected = False


def connect() -> None:
    """Connect the receivers (for this app only); again is a no-op.

    Not done at import: an async receiver of a signal makes every sync send of
    that signal, for any app, go through its async path, which would change the
    behaviour of other apps in the same process (the test suite's).
    """
    global _connected
    if _connected:
        return
    _connected = True
    for site, (sync_receiver, async_receiver) in _RECEIVERS.items():
        SIGNALS[site].connect(sync_receiver, app)
        SIGNALS[site].connect(async_receiver, app)


def disconnect() -> None:
    """Disconnect what :func:`connect` connected."""
    global _connected
    _connected = False
    for site, (sync_receiver, async_receiver) in _RECEIVERS.items():
        SIGNALS[site].disconnect(sync_receiver, app)
        SIGNALS[site].disconnect(async_receiver, app)


# -- under a server: an ASGI middleware that reads the case from the query ---------------

#: The outcome of each case run under the server, by case key, for ``/_result``.
results: dict[str, dict[str, t.Any]] = {}


def _case_from_query(query: str) -> tuple[str, Case] | None:
    values = parse_qs(query)
    if "case" not in values:
        return None
    key = values["case"][0]
    site, kind, exc, view = key.split("/")
    return key, Case(site, kind, exc, view)


async def asgi(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
    """``app.asgi`` with the case set from ``?case=site/kind/exc/view``; ``/_result`` answers.

    What the app raised, the teardown counts and the contexts left current are
    stored under the case key before the exception goes on to the server.
    """
    connect()
    if scope["type"] != "http":
        await app.asgi(scope, receive, send)
        return
    query = scope["query_string"].decode("latin-1")
    if scope["path"] == "/_result":
        body = json.dumps(results.get(parse_qs(query)["case"][0])).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    parsed = _case_from_query(query)
    if parsed is None:
        await app.asgi(scope, receive, send)
        return
    key, case = parsed
    record = Record()
    CASE.set(case)
    RECORD.set(record)
    status: list[int] = []

    async def watch(message: dict[str, t.Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        await send(message)

    raised = None
    try:
        await app.asgi(scope, receive, watch)
    except BaseException as e:
        raised = type(e).__name__
        raise
    finally:
        left = record.still_current()
        if _cv_app.get(None) is not None or _cv_request.get(None) is not None:
            left.append("current in the task")
        results[key] = {
            "status": status[0] if status else None,
            "raised": raised,
            "teardown": record.teardown_counts(),
            "left": left,
        }
