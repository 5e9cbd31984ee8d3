"""tocsin.signals against blinker 1.9: the ``_async_wrapper`` / ``_sync_wrapper`` arguments
and the public signatures, each checked beside the real blinker."""

from __future__ import annotations

import asyncio
import inspect
import typing as t

import blinker
import pytest

import tocsin.signals as ts
from tocsin import Tocsin
from tocsin.signals import NamedSignal, Namespace, Signal, record

SIGNAL_CLASSES = [ts.Signal, blinker.Signal]


def sync_receiver(sender: t.Any, **kwargs: t.Any) -> tuple[str, t.Any, dict[str, t.Any]]:
    return ("sync", sender, kwargs)


async def async_receiver(sender: t.Any, **kwargs: t.Any) -> tuple[str, t.Any, dict[str, t.Any]]:
    await asyncio.sleep(0)
    return ("async", sender, kwargs)


def fails(sender: t.Any, **kwargs: t.Any) -> None:
    raise ValueError("sync failed")


async def async_fails(sender: t.Any, **kwargs: t.Any) -> None:
    raise ValueError("async failed")


class Wrappers:
    """An ``_async_wrapper`` and a ``_sync_wrapper`` that note what they were given."""

    def __init__(self) -> None:
        self.wrapped: list[t.Any] = []

    def to_sync(self, receiver: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        self.wrapped.append(receiver)

        def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return ("via to_sync", asyncio.run(receiver(*args, **kwargs)))

        return call

    def to_async(self, receiver: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        self.wrapped.append(receiver)

        async def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return ("via to_async", receiver(*args, **kwargs))

        return call


# -- send(_async_wrapper=) ------------------------------------------------------


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
def test_send_calls_async_receivers_through_the_wrapper(cls: type[t.Any]) -> None:
    sig = cls()
    sig.connect(async_receiver)
    sig.connect(sync_receiver)
    wrappers = Wrappers()
    results = sig.send("s", _async_wrapper=wrappers.to_sync, n=1)
    assert dict(results) == {
        async_receiver: ("via to_sync", ("async", "s", {"n": 1})),
        sync_receiver: ("sync", "s", {"n": 1}),
    }
    assert wrappers.wrapped == [async_receiver]


def test_tocsin_send_with_a_wrapper_keeps_the_call_order() -> None:
    sig = Signal()
    sig.connect(sync_receiver)
    sig.connect(async_receiver, priority=1)
    results = sig.send("s", _async_wrapper=Wrappers().to_sync)
    assert results == [
        (async_receiver, ("via to_sync", ("async", "s", {}))),
        (sync_receiver, ("sync", "s", {})),
    ]


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
@pytest.mark.parametrize("tie", ["any", "object sender", "str sender"])
def test_the_async_wrapper_never_reaches_sync_receivers(cls: type[t.Any], tie: str) -> None:
    # Each tie takes a different send path in tocsin (ANY only, by id, general).
    sender: t.Any = {"any": "s", "object sender": Wrappers(), "str sender": "s"}[tie]
    sig = cls()
    if tie == "any":
        sig.connect(sync_receiver)
    else:
        sig.connect(sync_receiver, sender=sender)
    wrappers = Wrappers()
    assert sig.send(sender, _async_wrapper=wrappers.to_sync, n=2) == [
        (sync_receiver, ("sync", sender, {"n": 2}))
    ]
    assert wrappers.wrapped == []


def test_send_robust_takes_the_async_wrapper_and_keeps_its_failures() -> None:
    sig = Signal()
    sig.connect(async_receiver)
    sig.connect(async_fails)
    sig.connect(sync_receiver)
    wrappers = Wrappers()
    results = sig.send_robust("s", _async_wrapper=wrappers.to_sync, n=3)
    assert [receiver for receiver, _ in results] == [async_receiver, async_fails, sync_receiver]
    assert results[0][1] == ("via to_sync", ("async", "s", {"n": 3}))
    assert type(results[1][1]) is ValueError
    assert str(results[1][1]) == "async failed"
    assert results[2][1] == ("sync", "s", {"n": 3})
    assert wrappers.wrapped == [async_receiver, async_fails]


def test_send_robust_on_the_fast_path_does_not_pass_the_wrapper_on() -> None:
    sig = Signal()
    sig.connect(sync_receiver)
    assert sig.send_robust("s", _async_wrapper=Wrappers().to_sync) == [
        (sync_receiver, ("sync", "s", {}))
    ]


def test_a_wrapper_that_raises_is_the_receivers_result_in_send_robust() -> None:
    sig = Signal()
    sig.connect(async_receiver)

    def broken(receiver: t.Any) -> t.Any:
        raise LookupError("no loop")

    [(receiver, value)] = sig.send_robust("s", _async_wrapper=broken)
    assert receiver is async_receiver
    assert type(value) is LookupError
    assert str(value) == "no loop"
    with pytest.raises(LookupError, match=r"^no loop$"):
        sig.send("s", _async_wrapper=broken)


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
def test_a_muted_signal_calls_no_wrapper(cls: type[t.Any]) -> None:
    sig = cls()
    sig.connect(async_receiver)
    wrappers = Wrappers()
    with sig.muted():
        assert sig.send("s", _async_wrapper=wrappers.to_sync) == []
        assert asyncio.run(sig.send_async("s", _sync_wrapper=wrappers.to_async)) == []
    assert wrappers.wrapped == []


def test_without_a_wrapper_send_refuses_async_receivers_like_blinker() -> None:
    for cls in SIGNAL_CLASSES:
        sig = cls()
        sig.connect(async_receiver)
        with pytest.raises(RuntimeError, match=r"^Cannot send to a coroutine function"):
            sig.send("s")
    sig = NamedSignal("saved")
    sig.connect(async_receiver)
    with pytest.raises(RuntimeError) as caught:
        sig.send_robust("s")
    assert str(caught.value) == (
        "Cannot send to a coroutine function: signal 'saved' cannot call the coroutine receiver "
        "'async_receiver' from send_robust(); use 'await saved.send_robust_async(...)', pass "
        "send_robust() an _async_wrapper (such as app.ensure_sync), or serve the app with the "
        "ASGI driver"
    )


def test_the_apps_ensure_sync_is_a_working_async_wrapper() -> None:
    # What Flask 2.3+ and its extensions pass.
    app = Tocsin(__name__)
    sig = Namespace().signal("custom")
    sig.connect(async_receiver)
    assert sig.send(app, _async_wrapper=app.ensure_sync, n=4) == [
        (async_receiver, ("async", app, {"n": 4}))
    ]


def test_a_receiver_without_kwargs_hears_flask_style_sends() -> None:
    # What broke before: the wrappers reached receivers as keyword arguments.
    app = Tocsin(__name__)
    heard: list[t.Any] = []

    def on_started(sender: t.Any) -> str:
        heard.append(sender)
        return "heard"

    with ts.request_started.connected_to(on_started, app):
        assert ts.request_started.send(app, _async_wrapper=app.ensure_sync) == [
            (on_started, "heard")
        ]
        assert ts.request_started.send_robust(app, _async_wrapper=app.ensure_sync) == [
            (on_started, "heard")
        ]
        sent = asyncio.run(ts.request_started.send_async(app, _sync_wrapper=Wrappers().to_async))
        assert sent == [(on_started, ("via to_async", "heard"))]
        sent = asyncio.run(ts.request_started.send_robust_async(app, _sync_wrapper=None))
        assert sent == [(on_started, "heard")]
    assert heard == [app, app, app, app]


def test_namespace_wide_async_receivers_are_wrapped_too() -> None:
    ns = Namespace()
    sig = ns.signal("saved")

    async def everything(signal: t.Any, sender: t.Any, **kwargs: t.Any) -> str:
        return f"{signal.name} {sender} {kwargs}"

    ns.connect_all(everything)
    [(receiver, value)] = sig.send("doc", _async_wrapper=Wrappers().to_sync)
    assert receiver.func is everything  # type: ignore[attr-defined]
    assert value == ("via to_sync", "saved doc {}")
    ns.disconnect_all(everything)


def test_record_does_not_see_the_wrappers() -> None:
    sig = Signal()
    with record(sig) as sent:
        sig.send("s", _async_wrapper=Wrappers().to_sync, n=1)
        asyncio.run(sig.send_async("s", _sync_wrapper=Wrappers().to_async, n=2))
    assert sent == [("s", {"n": 1}), ("s", {"n": 2})]


# -- send_async(_sync_wrapper=) ---------------------------------------------------


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
def test_send_async_calls_sync_receivers_through_the_wrapper(cls: type[t.Any]) -> None:
    sig = cls()
    sig.connect(async_receiver)
    sig.connect(sync_receiver)
    wrappers = Wrappers()
    results = asyncio.run(sig.send_async("s", _sync_wrapper=wrappers.to_async, n=5))
    assert dict(results) == {
        async_receiver: ("async", "s", {"n": 5}),
        sync_receiver: ("via to_async", ("sync", "s", {"n": 5})),
    }
    assert wrappers.wrapped == [sync_receiver]


def test_without_a_wrapper_tocsin_send_async_calls_sync_receivers_itself() -> None:
    # The documented difference: blinker refuses them.
    sig = Signal()
    sig.connect(sync_receiver)
    assert asyncio.run(sig.send_async("s", n=6)) == [(sync_receiver, ("sync", "s", {"n": 6}))]
    theirs = blinker.Signal()
    theirs.connect(sync_receiver)
    with pytest.raises(RuntimeError, match=r"^Cannot send to a non-coroutine function\.$"):
        asyncio.run(theirs.send_async("s"))


def test_send_robust_async_takes_the_sync_wrapper_and_keeps_its_failures() -> None:
    sig = Signal()
    sig.connect(sync_receiver)
    sig.connect(fails)
    sig.connect(async_fails)
    wrappers = Wrappers()
    results = asyncio.run(sig.send_robust_async("s", _sync_wrapper=wrappers.to_async, n=7))
    assert [receiver for receiver, _ in results] == [sync_receiver, fails, async_fails]
    assert results[0][1] == ("via to_async", ("sync", "s", {"n": 7}))
    assert [type(value) for _, value in results[1:]] == [ValueError, ValueError]
    assert [str(value) for _, value in results[1:]] == ["sync failed", "async failed"]
    assert wrappers.wrapped == [sync_receiver, fails]


# -- the other wrapper goes to the receivers, as in blinker -----------------------


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
def test_each_send_passes_the_other_sends_wrapper_on(cls: type[t.Any]) -> None:
    sig = cls()
    sig.connect(sync_receiver)
    assert sig.send("s", _sync_wrapper=5) == [(sync_receiver, ("sync", "s", {"_sync_wrapper": 5}))]
    results = asyncio.run(sig.send_async("s", _async_wrapper=6, _sync_wrapper=Wrappers().to_async))
    assert results == [(sync_receiver, ("via to_async", ("sync", "s", {"_async_wrapper": 6})))]


# -- signatures -------------------------------------------------------------------


def parameters(func: t.Callable[..., t.Any]) -> list[tuple[str, t.Any, t.Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("name", ["send", "send_async"])
def test_the_send_signatures_are_blinkers(name: str) -> None:
    ours = parameters(getattr(ts.Signal, name))
    theirs = parameters(getattr(blinker.Signal, name))
    assert ours == theirs
    wrapper = "_async_wrapper" if name == "send" else "_sync_wrapper"
    assert [(n, k.name) for n, k, _ in ours] == [
        ("self", "POSITIONAL_ONLY"),
        ("sender", "POSITIONAL_ONLY"),
        (wrapper, "KEYWORD_ONLY"),
        ("kwargs", "VAR_KEYWORD"),
    ]


@pytest.mark.parametrize("name", ["send_robust", "send_robust_async"])
def test_the_robust_sends_take_the_same_wrapper_as_their_plain_send(name: str) -> None:
    plain = name.replace("_robust", "")
    assert parameters(getattr(ts.Signal, name)) == parameters(getattr(ts.Signal, plain))


@pytest.mark.parametrize(
    "name",
    ["connect", "connected_to", "disconnect", "muted", "receivers_for", "has_receivers_for"],
)
def test_the_other_signatures_are_blinkers_plus_keyword_only_priority(name: str) -> None:
    ours = [(n, k, d) for n, k, d in parameters(getattr(ts.Signal, name)) if n != "priority"]
    theirs = parameters(getattr(blinker.Signal, name))
    assert [(n, k, repr(d)) for n, k, d in ours] == [(n, k, repr(d)) for n, k, d in theirs]


def test_connect_via_takes_blinkers_arguments_and_also_defaults_the_sender() -> None:
    assert [(n, repr(d)) for n, _, d in parameters(blinker.Signal.connect_via)] == [
        ("self", repr(inspect.Parameter.empty)),
        ("sender", repr(inspect.Parameter.empty)),
        ("weak", "False"),
    ]
    assert [(n, repr(d)) for n, _, d in parameters(ts.Signal.connect_via)] == [
        ("self", repr(inspect.Parameter.empty)),
        ("sender", "ANY"),
        ("weak", "False"),
        ("priority", "0"),
    ]
    sig = Signal()
    seen: list[str] = []
    sig.receiver_connected.connect(lambda s, **kw: seen.append(repr(kw)), weak=False)
    sig.connect_via("x")(sync_receiver)
    assert seen == [f"{{'receiver': {sync_receiver!r}, 'sender': 'x', 'weak': False}}"]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ts.Signal.__init__, blinker.Signal.__init__),
        (ts.NamedSignal.__init__, blinker.NamedSignal.__init__),
        (ts.Namespace.signal, blinker.Namespace.signal),
        (ts.signal, blinker.signal),
    ],
    ids=["Signal", "NamedSignal", "Namespace.signal", "signal"],
)
def test_constructors_and_signal_factories_match(ours: t.Any, theirs: t.Any) -> None:
    assert parameters(ours) == parameters(theirs)


def test_any_and_default_namespace_match_blinker() -> None:
    assert repr(ts.ANY) == repr(blinker.ANY) == "ANY"
    assert ts.Signal.ANY is ts.ANY
    assert type(ts.default_namespace) is ts.Namespace
    assert ts.signal("wrappers-test") is ts.default_namespace["wrappers-test"]


@pytest.mark.parametrize("cls", SIGNAL_CLASSES, ids=["tocsin", "blinker"])
def test_meta_signals_and_is_muted_match_blinker(cls: type[t.Any]) -> None:
    sig = cls()
    connected: list[tuple[t.Any, dict[str, t.Any]]] = []
    disconnected: list[tuple[t.Any, dict[str, t.Any]]] = []
    sig.receiver_connected.connect(lambda s, **kw: connected.append((s, kw)), weak=False)
    sig.receiver_disconnected.connect(lambda s, **kw: disconnected.append((s, kw)), weak=False)
    sig.connect(sync_receiver, sender="x", weak=False)
    sig.disconnect(sync_receiver, sender="x")
    assert connected == [(sig, {"receiver": sync_receiver, "sender": "x", "weak": False})]
    assert disconnected == [(sig, {"receiver": sync_receiver, "sender": "x"})]
    assert sig.receiver_connected is sig.receiver_connected
    assert sig.is_muted is False
    sig.connect(sync_receiver)
    sig.is_muted = True
    assert sig.send("x") == []
    assert sig.is_muted is True
    sig.is_muted = False
    assert sig.send("x") == [(sync_receiver, ("sync", "x", {}))]


def test_set_class_is_not_offered() -> None:
    # The documented difference: tocsin's order is always priority, then connection.
    assert blinker.Signal.set_class is set
    assert not hasattr(ts.Signal, "set_class")
