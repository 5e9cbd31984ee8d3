"""How the pipeline delivers the built-in signals, under both drivers.

The pipeline keeps, per app, what each per-request signal calls for that app
(``tocsin._delivery``) and rebuilds it whenever any signal changes. These
tests change the receivers at awkward moments and check the exact calls.
"""

from __future__ import annotations

import gc
import logging
import typing as t

import pytest

from tocsin import Tocsin, request
from tocsin.signals import (
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from tocsin.testing import TestClient
from tocsin.wrappers import Response

PER_REQUEST = (request_started, request_finished, request_tearing_down, appcontext_tearing_down)


class Recorder:
    """Receivers that log ``name(kwargs)`` for each signal, connected for one app."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.connected: list[tuple[t.Any, t.Callable[..., None]]] = []

    def receiver(self, name: str) -> t.Callable[..., None]:
        def receive(sender: t.Any, **kwargs: t.Any) -> None:
            shown = {
                key: value.status_code if isinstance(value, Response) else value
                for key, value in kwargs.items()
            }
            self.events.append(f"{name}({shown})")

        return receive

    def connect(self, app: Tocsin) -> None:
        """Connect one receiver (kept strongly) to each per-request signal, for *app*."""
        self.connected = [(s, self.receiver(s.name)) for s in PER_REQUEST]
        for signal, receiver in self.connected:
            signal.connect(receiver, app, weak=False)

    def disconnect(self, app: Tocsin) -> None:
        """Undo :meth:`connect` (safe to call twice)."""
        for signal, receiver in self.connected:
            signal.disconnect(receiver, app)


def test_each_signal_gets_its_keywords(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    rec = Recorder()
    rec.connect(app)
    try:
        assert client.get("/").data == b"hello"
    finally:
        rec.disconnect(app)
    assert rec.events == [
        "request-started({})",
        "request-finished({'response': 200})",
        "request-tearing-down({'exc': None})",
        "appcontext-tearing-down({'exc': None})",
    ]


def test_receivers_connected_in_the_view_get_the_later_signals(
    app: Tocsin, client: TestClient
) -> None:
    rec = Recorder()

    @app.route("/")
    def index() -> str:
        rec.connect(app)
        return "hello"

    try:
        client.get("/")  # the cached plans are built before the view connects
    finally:
        rec.disconnect(app)
    assert rec.events == [
        "request-finished({'response': 200})",
        "request-tearing-down({'exc': None})",
        "appcontext-tearing-down({'exc': None})",
    ]


def test_receivers_disconnected_in_the_view_miss_the_later_signals(
    app: Tocsin, client: TestClient
) -> None:
    rec = Recorder()
    rec.connect(app)

    @app.route("/")
    def index() -> str:
        rec.disconnect(app)
        return "hello"

    client.get("/")
    assert rec.events == ["request-started({})"]


def test_a_muted_signal_is_not_delivered(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    rec = Recorder()
    started, finished = rec.receiver("started"), rec.receiver("finished")
    with request_started.connected_to(started, app), request_finished.connected_to(finished, app):
        client.get("/")
        with request_finished.muted():
            client.get("/")
        client.get("/")
    assert rec.events == [
        "started({})",
        "finished({'response': 200})",
        "started({})",
        "started({})",
        "finished({'response': 200})",
    ]


def test_receivers_of_another_app_are_not_called(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    other = Tocsin("other")
    rec = Recorder()
    receiver = rec.receiver("finished")
    with request_finished.connected_to(receiver, other):
        assert client.get("/").data == b"hello"
        assert (
            app.compiled is not None and app.compiled.calls["request_finished"] == ()
        )  # nothing to call for this app
    assert rec.events == []


def test_a_weak_receiver_that_died_is_skipped(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    events: list[str] = []

    class Listener:
        def on_finished(self, sender: t.Any, **kwargs: t.Any) -> None:
            events.append("finished")

    listener = Listener()
    request_finished.connect(listener.on_finished, app)  # weakly, by default
    client.get("/")
    del listener
    gc.collect()
    assert client.get("/").status_code == 200
    assert events == ["finished"]
    assert not request_finished.receivers


class SlottedReceiver:
    """A callable without ``__weakref__``: only a strong connection can hold it."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls: list[dict[str, t.Any]] = []

    def __call__(self, sender: t.Any, **kwargs: t.Any) -> None:
        self.calls.append(kwargs)


def test_a_receiver_without_weak_references_is_called(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    receiver = SlottedReceiver()
    request_tearing_down.connect(receiver, app, weak=False)
    try:
        client.get("/")
        assert request_tearing_down.send(app, exc=None) == [(receiver, None)]
    finally:
        request_tearing_down.disconnect(receiver, app)
    assert receiver.calls == [{"exc": None}, {"exc": None}]


@pytest.mark.parametrize("signal", [request_tearing_down, appcontext_tearing_down])
def test_a_failing_teardown_receiver_does_not_stop_the_others(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture, signal: t.Any
) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    ran: list[str] = []

    def broken(sender: t.Any, **kwargs: t.Any) -> None:
        ran.append("broken")
        raise KeyError("receiver failed")

    def after(sender: t.Any, **kwargs: t.Any) -> None:
        ran.append("after")

    with (
        signal.connected_to(broken, app),
        signal.connected_to(after, app),
        caplog.at_level(logging.ERROR, logger="tocsin_test_app"),
        pytest.raises(KeyError, match="receiver failed"),
    ):
        client.get("/")
    assert ran == ["broken", "after"]
    messages = [r.getMessage() for r in caplog.records if r.name == "tocsin_test_app"]
    assert messages == [f"Error in receiver '{broken.__qualname__}' of signal '{signal.name}'"]


def test_async_receivers_of_the_app_keep_their_place(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    events: list[str] = []

    def sync_first(sender: t.Any, **kwargs: t.Any) -> None:
        events.append("sync")

    async def then_async(sender: t.Any, **kwargs: t.Any) -> None:
        events.append(f"async({sorted(kwargs)})")

    with (
        request_finished.connected_to(sync_first, app),
        request_finished.connected_to(then_async, app),
        request_tearing_down.connected_to(then_async, app),
    ):
        assert client.get("/").data == b"hello"
    assert events == ["sync", "async(['response'])", "async(['exc'])"]


def test_a_send_in_flight_reaches_a_strong_receiver_disconnected_meanwhile(
    app: Tocsin, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    events: list[str] = []
    request_finished.connect(lambda sender, **kw: events.append("second"), app, weak=False)
    holder = list(request_finished.receivers_for(app))  # the lambda, held only by the signal

    def first(sender: t.Any, **kwargs: t.Any) -> None:
        events.append("first")
        if holder:
            request_finished.disconnect(holder.pop(), app)  # its last strong reference goes

    request_finished.connect(first, app, weak=False, priority=1)
    try:
        client.get("/")  # the snapshot of this send still reaches the lambda
        client.get("/")
    finally:
        request_finished.disconnect(first, app)
    assert events == ["first", "second", "first"]


def test_a_receiver_connected_by_a_teardown_function_is_called_at_step_18(
    app: Tocsin, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    rec = Recorder()
    receiver = rec.receiver("appcontext")

    @app.teardown_request
    def connect_late(exc: BaseException | None) -> None:
        appcontext_tearing_down.connect(receiver, app, weak=False)

    try:
        client.get("/")
    finally:
        appcontext_tearing_down.disconnect(receiver, app)
    assert rec.events == ["appcontext({'exc': None})"]


def test_what_a_request_finished_receiver_changes_reaches_the_client(
    app: Tocsin, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    app.add_url_rule("/calls", "calls", lambda: "ok")
    app.add_url_rule("/closing", "closing", lambda: "ok")
    closed: list[str] = []

    def change(sender: t.Any, response: Response, **kwargs: t.Any) -> None:
        if request.path == "/":
            response.set_data(b"changed!")
            response.status_code = 201
        elif request.path == "/calls":
            response.headers["X-Seen"] = "yes"
        else:
            response.call_on_close(lambda: closed.append("closed"))

    with request_finished.connected_to(change, app):
        changed, with_header, closing = (
            client.get("/"),
            client.get("/calls"),
            client.get("/closing"),
        )
    assert (changed.status_code, changed.data, changed.headers["Content-Length"]) == (
        201,
        b"changed!",
        "8",
    )
    assert (
        with_header.data,
        with_header.headers["X-Seen"],
        with_header.headers["Content-Length"],
    ) == (b"ok", "yes", "2")
    assert closing.data == b"ok"
    closing.close()
    assert closed == ["closed"]


def test_a_failing_request_finished_receiver_makes_a_500_that_it_also_sees(
    app: Tocsin, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/", "index", lambda: "hello")
    seen: list[int] = []

    def fail_on_success(sender: t.Any, response: Response, **kwargs: t.Any) -> None:
        seen.append(response.status_code)
        if response.status_code == 200:
            raise LookupError("receiver failed")

    with request_finished.connected_to(fail_on_success, app):
        response = client.get("/")
    assert (response.status_code, seen) == (500, [200, 500])
