"""tocsin.signals: namespace-wide receivers, the test recorders and the built-in signals."""

from __future__ import annotations

import asyncio
import doctest
import functools
import gc
import typing as t

import pytest

import tocsin.signals
from tocsin.signals import (
    ANY,
    NamedSignal,
    Namespace,
    Signal,
    _signals,
    record,
    record_all,
    request_started,
)

BUILT_IN = {
    "template_rendered": ("template-rendered", ["template=", "context="]),
    "before_render_template": ("before-render-template", ["template=", "context="]),
    "request_started": ("request-started", []),
    "request_finished": ("request-finished", ["response="]),
    "request_tearing_down": ("request-tearing-down", ["exc="]),
    "got_request_exception": ("got-request-exception", ["exception="]),
    "appcontext_tearing_down": ("appcontext-tearing-down", ["exc="]),
    "appcontext_pushed": ("appcontext-pushed", []),
    "appcontext_popped": ("appcontext-popped", []),
    "message_flashed": ("message-flashed", ["message=", "category="]),
}


class Sender:
    pass


class Tracer:
    def __init__(self) -> None:
        self.heard: list[tuple[str, t.Any, dict[str, t.Any]]] = []

    def __call__(self, signal: NamedSignal, sender: t.Any, **kwargs: t.Any) -> str:
        self.heard.append((signal.name, sender, kwargs))
        return "traced"


# -- connect_all / disconnect_all ---------------------------------------------


def test_connect_all_hears_present_and_future_signals() -> None:
    ns = Namespace()
    before = ns.signal("before")
    tracer = Tracer()
    assert ns.connect_all(tracer) is tracer
    after = ns.signal("after")
    before.send("a", n=1)
    after.send("b")
    assert tracer.heard == [("before", "a", {"n": 1}), ("after", "b", {})]


def test_a_namespace_wide_receiver_counts_as_a_receiver() -> None:
    ns = Namespace()
    sig = ns.signal("x")
    assert not sig.receivers
    tracer = ns.connect_all(Tracer())
    assert sig.receivers and sig.has_receivers_for(Sender()) and sig.has_receivers_for(ANY)
    ((receiver, value),) = sig.send()
    assert value == "traced"
    assert isinstance(receiver, functools.partial) and receiver.func is tracer
    assert receiver.args == (sig,)


def test_disconnect_all_removes_it_everywhere() -> None:
    ns = Namespace()
    one = ns.signal("one")
    tracer = ns.connect_all(Tracer())
    two = ns.signal("two")
    ns.disconnect_all(tracer)
    three = ns.signal("three")
    for sig in (one, two, three):
        assert not sig.receivers and sig.send() == []
    ns.disconnect_all(tracer)  # again: nothing to do
    ns.disconnect_all(Tracer())  # never subscribed: nothing to do


def test_connect_all_twice_subscribes_once() -> None:
    ns = Namespace()
    sig = ns.signal("x")
    tracer = Tracer()
    ns.connect_all(tracer)
    ns.connect_all(tracer)
    sig.send()
    assert len(tracer.heard) == 1


def test_connect_all_is_independent_of_direct_connections() -> None:
    ns = Namespace()
    sig = ns.signal("x")

    def both(*args: t.Any, **kwargs: t.Any) -> int:
        return len(args)

    sig.connect(both)
    ns.connect_all(both)
    assert [value for _, value in sig.send("s")] == [1, 2]
    sig.disconnect(both)
    assert [value for _, value in sig.send("s")] == [2]


def test_connect_all_takes_async_receivers() -> None:
    ns = Namespace()
    sig = ns.signal("x")

    async def trace(signal: NamedSignal, sender: t.Any, **kwargs: t.Any) -> str:
        return f"{signal.name}:{sender}"

    ns.connect_all(trace)
    assert sig.has_async_receivers
    with pytest.raises(RuntimeError, match=r"coroutine receiver '\S*<locals>\.trace'"):
        sig.send("s")
    assert [value for _, value in asyncio.run(sig.send_async("s"))] == ["x:s"]


def test_connect_all_of_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot subscribe 3 to every signal"):
        Namespace().connect_all(3)  # type: ignore[type-var]


def test_connect_all_is_not_announced_by_receiver_connected() -> None:
    ns = Namespace()
    sig = ns.signal("x")
    with record(sig.receiver_connected) as announced:
        ns.connect_all(Tracer())
    assert announced == []


# -- record / record_all ------------------------------------------------------


def test_record_collects_sender_and_kwargs() -> None:
    sig = Signal()
    mine = Sender()
    with record(sig) as sent:
        sig.send(mine, a=1)
        sig.send()
    sig.send("after the block")
    assert sent == [(mine, {"a": 1}), (None, {})]
    assert not sig.receivers


def test_record_for_one_sender() -> None:
    sig = Signal()
    mine = Sender()
    with record(sig, mine) as sent:
        sig.send(Sender())
        sig.send(mine)
    assert sent == [(mine, {})]


def test_record_records_before_a_failing_receiver() -> None:
    sig = Signal()

    def fails(sender: t.Any) -> None:
        raise ValueError

    sig.connect(fails, weak=False, priority=100)
    with record(sig) as sent, pytest.raises(ValueError):
        sig.send("s")
    assert sent == [("s", {})]


def test_record_takes_a_sender_keyword_from_meta_signals() -> None:
    sig = Signal()

    def receiver(sender: t.Any) -> None: ...

    with record(sig.receiver_connected) as sent:
        sig.connect(receiver, weak=False)
    assert sent == [(sig, {"receiver": receiver, "sender": ANY, "weak": False})]


def test_record_all_collects_every_signal_in_send_order() -> None:
    ns = Namespace()
    one = ns.signal("one")
    with record_all(ns) as sent:
        one.send("a", x=1)
        ns.signal("two").send("b")
        one.send("c")
    one.send("after the block")
    assert sent == [("one", "a", {"x": 1}), ("two", "b", {}), ("one", "c", {})]
    assert not one.receivers


def test_record_all_sees_async_sends() -> None:
    ns = Namespace()
    sig = ns.signal("x")
    with record_all(ns) as sent:
        asyncio.run(sig.send_async("a"))
    assert sent == [("x", "a", {})]


def test_the_docstring_examples_run() -> None:
    from tocsin.signals import _testing

    for module in (_testing, tocsin.signals):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 3, module


# -- the built-in signals -----------------------------------------------------


def test_the_ten_built_in_signals_live_in_their_own_namespace() -> None:
    assert sorted(_signals) == sorted(name for name, _ in BUILT_IN.values())
    for attribute, (name, _) in BUILT_IN.items():
        sig = getattr(tocsin.signals, attribute)
        assert isinstance(sig, NamedSignal) and sig.name == name
        assert _signals.signal(name) is sig
        assert attribute in tocsin.signals.__all__
    assert _signals is not tocsin.signals.default_namespace


def test_each_built_in_signal_documents_its_keyword_arguments() -> None:
    for attribute, (_, keywords) in BUILT_IN.items():
        doc = getattr(tocsin.signals, attribute).__doc__
        assert doc.startswith("Sent "), attribute
        for keyword in keywords:
            assert keyword in doc, (attribute, keyword)
        if not keywords:
            assert "no keyword arguments" in doc, attribute


def test_flask_style_custom_signals_join_the_built_in_namespace() -> None:
    custom = _signals.signal("test-signals-custom")
    assert _signals["test-signals-custom"] is custom
    del _signals["test-signals-custom"]


def test_built_in_signals_work_as_plain_signals() -> None:
    app = Sender()
    with record(request_started, app) as sent:
        request_started.send(app)
        request_started.send(Sender())
    assert sent == [(app, {})]


def test_every_live_namespace_is_known_weakly_in_creation_order() -> None:
    from tocsin.signals._namespace import namespaces

    first, second = Namespace(), Namespace()
    known = [id(ns) for ns in namespaces()]
    assert known[:2] == [id(tocsin.signals.default_namespace), id(_signals)]
    assert known[-2:] == [id(first), id(second)]  # (dicts compare by value: ids)
    first_id = id(first)
    del first
    gc.collect()
    assert [id(ns) for ns in namespaces()] == [i for i in known if i != first_id]
