"""Application and request contexts: proxies, push and pop, isolation between requests."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
import typing as t

import httpx
import pytest

import tocsin.globals
from tocsin import (
    Tocsin,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    signals,
)
from tocsin.ctx import _AppCtxGlobals
from tocsin.globals import app_ctx, request_ctx
from tocsin.testing import TestClient
from tocsin.wrappers import Response

# -- proxies outside a context ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["current_app", "g", "app_ctx"])
def test_app_proxies_outside_context(name: str) -> None:
    proxy = getattr(tocsin.globals, name)
    with pytest.raises(RuntimeError) as exc_info:
        proxy.anything  # noqa: B018
    message = str(exc_info.value)
    assert message.startswith("Working outside of application context.")
    assert "app.app_context()" in message


@pytest.mark.parametrize("name", ["request", "session", "request_ctx"])
def test_request_proxies_outside_context(app: Tocsin, name: str) -> None:
    proxy = getattr(tocsin.globals, name)
    for pushed in (False, True):
        with pytest.raises(RuntimeError) as exc_info:
            if pushed:
                with app.app_context():
                    proxy.anything  # noqa: B018
            else:
                proxy.anything  # noqa: B018
        message = str(exc_info.value)
        assert message.startswith("Working outside of request context.")
        assert "app.test_request_context()" in message


def test_has_context_functions(app: Tocsin) -> None:
    assert (has_app_context(), has_request_context()) == (False, False)
    with app.app_context():
        assert (has_app_context(), has_request_context()) == (True, False)
        with app.test_request_context("/"):
            assert (has_app_context(), has_request_context()) == (True, True)
        assert (has_app_context(), has_request_context()) == (True, False)
    assert (has_app_context(), has_request_context()) == (False, False)


# -- app context ---------------------------------------------------------------------------------


def test_app_context(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)
    with app.app_context() as ctx:
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert app_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
        g.value = 1
        assert g.value == 1
        assert torn_down == []
    assert torn_down == [None]
    assert not has_app_context()


def test_app_context_push_pop(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)
    ctx = app.app_context()
    ctx.push()
    try:
        assert current_app.name == "tocsin_test_app"
    finally:
        ctx.pop()
    assert torn_down == [None]
    assert not has_app_context()


def test_app_context_teardown_gets_exception(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)
    error = ValueError("in block")
    with pytest.raises(ValueError), app.app_context():
        raise error
    assert torn_down == [error]


def test_nested_app_contexts_have_own_g(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)
    with app.app_context():
        g.level = "outer"
        with app.app_context():
            assert "level" not in g
            g.level = "inner"
        assert torn_down == [None]
        assert g.level == "outer"
    assert torn_down == [None, None]


def test_pop_wrong_context(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)
    outer = app.app_context()
    inner = app.app_context()
    outer.push()
    inner.push()
    with pytest.raises(RuntimeError, match="Popped wrong app context"):
        outer.pop()
    assert torn_down == []
    inner.pop()
    outer.pop()
    assert torn_down == [None, None]
    assert not has_app_context()
    with pytest.raises(RuntimeError, match="which was not pushed"):
        outer.pop()


def test_pop_wrong_request_context(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_request(torn_down.append)
    outer = app.test_request_context("/outer")
    inner = app.test_request_context("/inner")
    outer.push()
    inner.push()
    with pytest.raises(RuntimeError, match="Popped wrong request context"):
        outer.pop()
    assert torn_down == []
    assert request.path == "/inner"
    inner.pop()
    assert request.path == "/outer"
    outer.pop()
    assert torn_down == [None, None]
    assert not has_request_context()
    assert not has_app_context()


def test_g_namespace(app: Tocsin) -> None:
    with app.app_context():
        assert g.get("missing") is None
        assert g.get("missing", 1) == 1
        assert g.setdefault("x", 2) == 2
        assert g.setdefault("x", 3) == 2
        assert "x" in g
        assert list(g) == ["x"]
        assert g.pop("x") == 2
        assert g.pop("x", "default") == "default"
        with pytest.raises(KeyError):
            g.pop("x")
        assert repr(g) == "<tocsin.g of 'tocsin_test_app'>"


def test_g_attributes_through_the_proxy(app: Tocsin) -> None:
    with app.app_context() as ctx:
        g.x = 1
        assert g.x == 1
        assert ctx.g.x == 1
        assert "x" in g
        assert "y" not in g
        del g.x
        assert "x" not in g
        with pytest.raises(AttributeError, match="'y'"):
            g.y  # noqa: B018 - the lookup is the test
        with pytest.raises(AttributeError):
            del g.y
        assert g._get_current_object() is ctx.g  # type: ignore[attr-defined]
        assert isinstance(g, _AppCtxGlobals)
        assert type(g) is not _AppCtxGlobals  # still a proxy


@pytest.mark.parametrize(
    "use",
    [lambda: g.x, lambda: setattr(g, "x", 1), lambda: delattr(g, "x"), lambda: "x" in g],
    ids=["get", "set", "delete", "contains"],
)
def test_g_outside_an_app_context_says_so(use: t.Callable[[], object]) -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        use()


# -- request context -----------------------------------------------------------------------------


def test_test_request_context(app: Tocsin) -> None:
    app.add_url_rule("/items/<int:n>", "item", lambda n: str(n), methods=["GET", "POST"])
    with app.test_request_context(
        "/items/3?q=x", method="POST", data={"f": "v"}, headers={"X-A": "1"}
    ) as ctx:
        assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
        assert request.path == "/items/3"
        assert request.method == "POST"
        assert request.args["q"] == "x"
        assert request.form["f"] == "v"
        assert request.headers["X-A"] == "1"
        assert request.endpoint == "item"
        assert request.view_args == {"n": 3}
        assert current_app.name == "tocsin_test_app"
    assert not has_request_context()
    assert not has_app_context()


def test_test_request_context_routing_error(app: Tocsin) -> None:
    with app.test_request_context("/missing"):
        assert request.url_rule is None
        assert request.routing_exception is not None
        assert request.routing_exception.code == 404


def test_test_request_context_runs_teardown(app: Tocsin) -> None:
    ran: list[str] = []
    app.teardown_request(lambda exc: ran.append(f"request {exc!r}"))
    app.teardown_appcontext(lambda exc: ran.append(f"app {exc!r}"))
    with app.test_request_context("/"):
        pass
    assert ran == ["request None", "app None"]


def test_test_request_context_manual_push(app: Tocsin) -> None:
    ctx = app.test_request_context("/?a=b")
    ctx.push()
    try:
        assert request.args["a"] == "b"
    finally:
        ctx.pop()
    assert not has_request_context()


def test_copy_current_request_context_in_thread(app: Tocsin, client: TestClient) -> None:
    results: list[str] = []

    @app.route("/spawn")
    def spawn() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        def work(suffix: str) -> None:
            results.append(f"{request.args['q']} {session['user']} {current_app.name} {suffix}")

        thread = threading.Thread(target=work, args=("thread",))
        thread.start()
        thread.join()
        return "spawned"

    assert client.get("/spawn?q=hello").data == b"spawned"
    assert results == ["hello ann tocsin_test_app thread"]


def test_copy_current_request_context_outside_request() -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        copy_current_request_context(lambda: None)


@contextlib.contextmanager
def _recording(app: Tocsin, events: list[t.Any]) -> t.Iterator[None]:
    """Record teardown functions and context signals of *app* into *events*."""
    app.teardown_request(lambda exc: events.append(("teardown_request", exc)))
    app.teardown_appcontext(lambda exc: events.append(("teardown_appcontext", exc)))
    with contextlib.ExitStack() as stack:
        for name in (
            "request_tearing_down",
            "appcontext_tearing_down",
            "appcontext_pushed",
            "appcontext_popped",
        ):

            def receiver(sender: Tocsin, _name: str = name, **extra: t.Any) -> None:
                events.append(_name)

            stack.enter_context(getattr(signals, name).connected_to(receiver, app))
        yield


def test_same_request_context_pushed_twice(app: Tocsin) -> None:
    events: list[t.Any] = []
    ctx = app.test_request_context("/a")
    with _recording(app, events), ctx:
        g.x = 1
        with ctx:
            events.append(("inner", request.path, g.x))
        events.append(("after inner", has_request_context(), g.x))
    assert events == [
        "appcontext_pushed",
        ("inner", "/a", 1),
        ("after inner", True, 1),
        ("teardown_request", None),
        "request_tearing_down",
        ("teardown_appcontext", None),
        "appcontext_tearing_down",
        "appcontext_popped",
    ]  # what Flask 3.1 does: one app context, torn down by the outer pop
    assert not has_request_context()
    assert not has_app_context()


def test_same_request_context_pushed_twice_manually(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_request(torn_down.append)
    ctx = app.test_request_context("/")
    ctx.push()
    ctx.push()
    ctx.pop()
    assert torn_down == []
    assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
    ctx.pop()
    assert torn_down == [None]
    assert not has_app_context()
    with pytest.raises(RuntimeError, match="which was not pushed"):
        ctx.pop()


def test_request_context_pushed_again_over_another_app_context_keeps_its_g(
    app: Tocsin,
) -> None:
    torn_down: list[str] = []
    app.teardown_appcontext(lambda exc: torn_down.append(g.get("name", "?")))
    ctx = app.test_request_context("/")
    with ctx:
        g.name = "request"
        with app.app_context():
            g.name = "other"
            with ctx:
                assert g.name == "request"  # never the g of another app context
            assert g.name == "other"
            assert torn_down == []
        assert torn_down == ["other"]
        assert g.name == "request"
    assert torn_down == ["other", "request"]
    assert not has_app_context()


def test_copy_current_request_context_tears_down_in_thread(app: Tocsin, client: TestClient) -> None:
    events: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        g.user = "ann"

        @copy_current_request_context
        def work(n: int) -> int:
            events.append(("work", request.path, g.get("user"), has_app_context()))
            g.user = "worker"
            return n * 2

        results: list[int] = []
        events.append("start")
        thread = threading.Thread(target=lambda: results.append(work(21)))
        thread.start()
        thread.join()
        events.append(("joined", results, g.user))
        return "ok"

    with _recording(app, events):
        assert client.get("/").data == b"ok"
    start = events.index("start")
    assert events[start:] == [
        "start",
        "appcontext_pushed",  # a fresh app context (and g) in the other thread
        ("work", "/", None, True),
        ("teardown_request", None),
        "request_tearing_down",
        ("teardown_appcontext", None),
        "appcontext_tearing_down",
        "appcontext_popped",
        ("joined", [42], "ann"),
        ("teardown_request", None),  # then the request's own teardown
        "request_tearing_down",
        ("teardown_appcontext", None),
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


def test_copy_current_request_context_in_view_shares_g(app: Tocsin, client: TestClient) -> None:
    events: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        g.user = "ann"

        @copy_current_request_context
        def work() -> str:
            events.append(("work", g.user))
            g.user = "changed"
            return request.path

        events.append("start")
        events.append(("returned", work(), g.user))
        events.append(("again", work()))
        return "ok"

    with _recording(app, events):
        assert client.get("/").data == b"ok"
    start = events.index("start")
    assert events[start:] == [
        "start",
        ("work", "ann"),
        ("teardown_request", None),  # the copy's pop: no app context of its own
        "request_tearing_down",
        ("returned", "/", "changed"),
        ("work", "changed"),
        ("teardown_request", None),  # once per call
        "request_tearing_down",
        ("again", "/"),
        ("teardown_request", None),
        "request_tearing_down",
        ("teardown_appcontext", None),
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


def test_copy_current_request_context_teardown_gets_exception(
    app: Tocsin, client: TestClient
) -> None:
    torn_down: list[BaseException | None] = []
    error = ValueError("in the copy")

    @app.route("/")
    def index() -> str:
        @copy_current_request_context
        def work() -> None:
            raise error

        with pytest.raises(ValueError, match="in the copy"):
            work()
        assert torn_down == [error]
        return "ok"

    app.teardown_request(torn_down.append)
    assert client.get("/").data == b"ok"
    assert torn_down == [error, None]


def test_copy_current_request_context_async_function(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        @copy_current_request_context
        async def work(n: int) -> str:
            await asyncio.sleep(0)
            return f"{request.args['q']} {n}"

        assert not asyncio.iscoroutinefunction(work)
        results: list[str] = []
        thread = threading.Thread(target=lambda: results.append(work(2)))
        thread.start()
        thread.join()
        return f"{results[0]} {work.__name__}"

    assert client.get("/?q=hi").data == b"hi 2 work"


def test_copy_current_request_context_shares_the_session(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        @copy_current_request_context
        def work() -> None:
            session["from"] = "copy"

        work()  # the session was not opened before the copy was made
        return "ok"

    assert client.get("/").data == b"ok"
    with client.session_transaction() as sess:
        assert dict(sess) == {"from": "copy"}


def test_after_this_request(app: Tocsin, client: TestClient) -> None:
    order: list[str] = []

    @app.after_request
    def after(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    def index() -> str:
        @after_this_request
        def first(response: Response) -> Response:
            order.append("first")
            response.headers["X-First"] = "1"
            return response

        @after_this_request
        def second(response: Response) -> Response:
            order.append("second")
            return Response("replaced", 202)

        return "view"

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (202, b"replaced")
    assert order == ["first", "second", "after_request"]
    order.clear()
    client.get("/")
    assert order == ["first", "second", "after_request"]


def test_after_this_request_outside_request() -> None:
    with pytest.raises(RuntimeError, match="'after_this_request' can only be used"):
        after_this_request(lambda r: r)


def test_after_this_request_needs_callable(app: Tocsin) -> None:
    with app.test_request_context("/"), pytest.raises(TypeError, match="needs a callable"):
        after_this_request(None)  # type: ignore[type-var]


# -- what the test client keeps -------------------------------------------------------------------


def test_with_client_keeps_last_context(app: Tocsin, client: TestClient) -> None:
    torn_down: list[str] = []
    app.teardown_request(lambda exc: torn_down.append(request.path))

    @app.route("/")
    def index() -> str:
        g.user = request.args["user"]
        session["visits"] = session.get("visits", 0) + 1
        return "ok"

    with client:
        client.get("/?user=ann")
        assert torn_down == ["/"]
        assert request.args["user"] == "ann"
        assert g.user == "ann"
        assert session["visits"] == 1
        client.get("/?user=bob")
        assert request.args["user"] == "bob"
        assert g.user == "bob"
        assert session["visits"] == 2
    assert not has_request_context()
    assert not has_app_context()


def test_with_client_streamed_response_tears_down_once(app: Tocsin, client: TestClient) -> None:
    torn_down: list[str] = []
    app.teardown_request(lambda exc: torn_down.append("request"))
    app.teardown_appcontext(lambda exc: torn_down.append("app"))
    app.add_url_rule("/s", "s", lambda: iter(["a", "b"]))
    with client:
        rv = client.get("/s?x=1")
        assert rv.data == b"ab"
        rv.close()
        assert torn_down == ["request", "app"]
        client.get("/s?x=2").close()
        assert torn_down == ["request", "app"] * 2
    assert torn_down == ["request", "app"] * 2
    assert not has_request_context()
    assert not has_app_context()


def test_without_with_block_nothing_is_kept(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    client.get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_with_client_cannot_nest(client: TestClient) -> None:
    with client, pytest.raises(RuntimeError, match="Cannot nest client invocations"), client:
        pass


def test_request_shares_the_app_context_pushed_around_it(app: Tocsin, client: TestClient) -> None:
    """As in Flask 3.1: ``g`` and the app context are the test's; it is torn down once."""
    events: list[str] = []
    app_ctxs: list[object] = []

    @app.route("/")
    def index() -> dict[str, t.Any]:
        app_ctxs.append(app_ctx._get_current_object())  # type: ignore[attr-defined]
        seen = {"names": sorted(g), "same_app": current_app._get_current_object() is app}  # type: ignore[attr-defined]
        g.from_request = g.get("from_request", 0) + 1
        return seen

    app.teardown_request(lambda exc: events.append(f"teardown_request {exc}"))
    app.teardown_appcontext(lambda exc: events.append(f"teardown_appcontext {exc}"))

    def pushed(sender: Tocsin, **extra: t.Any) -> None:
        events.append("appcontext_pushed")

    def popped(sender: Tocsin, **extra: t.Any) -> None:
        events.append("appcontext_popped")

    with (
        signals.appcontext_pushed.connected_to(pushed, app),
        signals.appcontext_popped.connected_to(popped, app),
    ):
        with app.app_context() as outer:
            g.from_test = True
            assert client.get("/").json == {"names": ["from_test"], "same_app": True}
            assert client.get("/").json == {
                "names": ["from_request", "from_test"],
                "same_app": True,
            }
            assert app_ctxs == [outer, outer]
            assert g.from_request == 2
            assert has_app_context()
            assert not has_request_context()
            events.append("requests done")
        assert not has_app_context()
    assert events == [
        "appcontext_pushed",
        "teardown_request None",
        "teardown_request None",
        "requests done",
        "teardown_appcontext None",
        "appcontext_popped",
    ]


def test_fresh_app_context_gives_each_request_its_own(app: Tocsin, client: TestClient) -> None:
    """The opt-in isolation: a fresh app context and ``g`` per request, torn down each time."""
    app.config["FRESH_APP_CONTEXT"] = True
    events: list[str] = []

    @app.route("/")
    def index() -> dict[str, t.Any]:
        seen = {"names": sorted(g), "same_app": current_app._get_current_object() is app}  # type: ignore[attr-defined]
        g.from_request = True
        return seen

    app.teardown_appcontext(lambda exc: events.append(f"teardown_appcontext {exc}"))
    with app.app_context():
        g.from_test = True
        outer_g = g._get_current_object()  # type: ignore[attr-defined]
        assert client.get("/").json == {"names": [], "same_app": True}
        assert client.get("/").json == {"names": [], "same_app": True}
        assert g._get_current_object() is outer_g  # type: ignore[attr-defined]
        assert sorted(g) == ["from_test"]
        assert events == ["teardown_appcontext None", "teardown_appcontext None"]
        assert has_app_context()
        assert not has_request_context()
    assert events == ["teardown_appcontext None"] * 3


def test_another_apps_context_is_not_shared(app: Tocsin, client: TestClient) -> None:
    other = Tocsin("other")

    @app.route("/")
    def index() -> str:
        return f"{current_app.name} {sorted(g)}"

    with other.app_context():
        g.other = True
        assert client.get("/").text == "tocsin_test_app []"
        assert current_app._get_current_object() is other  # type: ignore[attr-defined]


def test_request_context_push_shares_the_current_app_context(app: Tocsin) -> None:
    with app.app_context() as outer:
        g.x = 1
        with app.test_request_context("/") as ctx:
            assert ctx.app_ctx is outer
            assert g.x == 1
        assert app_ctx._get_current_object() is outer  # type: ignore[attr-defined]
    app.config["FRESH_APP_CONTEXT"] = True
    with app.app_context() as outer:
        g.x = 1
        with app.test_request_context("/") as ctx:
            assert ctx.app_ctx is not outer
            assert "x" not in g
        assert app_ctx._get_current_object() is outer  # type: ignore[attr-defined]


def test_request_context_pop_closes_the_request(app: Tocsin) -> None:
    """Uploaded files are closed when the context is popped, as in Flask."""
    data = {"upload": (io.BytesIO(b"x" * 10), "a.txt")}
    ctx = app.test_request_context("/", method="POST", data=data)
    order: list[str] = []
    app.teardown_request(lambda exc: order.append(f"teardown {ctx.request.files['upload'].closed}"))
    with ctx:
        upload = ctx.request.files["upload"]
        assert upload.read() == b"x" * 10
    order.append(f"after pop {upload.closed}")
    assert order == ["teardown False", "after pop True"]


def test_g_not_shared_between_requests(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        count = g.get("count", 0) + 1
        g.count = count
        return str(count)

    assert [client.get("/").data for _ in range(3)] == [b"1", b"1", b"1"]


def test_request_sees_app_context_pushed_signal_context(app: Tocsin, client: TestClient) -> None:
    @app.before_request
    def before() -> None:
        g.before = request.path

    app.add_url_rule("/p", "p", lambda: g.before)
    assert client.get("/p").data == b"/p"


# -- concurrency ----------------------------------------------------------------------------------


def test_concurrent_threaded_requests_are_isolated(app: Tocsin) -> None:
    @app.route("/")
    def index() -> str:
        value = request.args["v"]
        g.value = value
        time.sleep(0.01)
        return f"{request.args['v']}|{g.value}|{request.environ['QUERY_STRING']}"

    barrier = threading.Barrier(50)
    results: dict[int, tuple[int, bytes]] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            c = app.test_client()
            barrier.wait()
            rv = c.get(f"/?v={i}")
            results[i] = (rv.status_code, rv.data)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == {i: (200, f"{i}|{i}|v={i}".encode()) for i in range(50)}
    assert not has_request_context()


def test_concurrent_async_threaded_requests_are_isolated(app: Tocsin) -> None:
    @app.route("/")
    async def index() -> str:
        g.value = request.args["v"]
        await asyncio.sleep(0.01)
        return f"{request.args['v']}|{g.value}"

    results: dict[int, bytes] = {}

    def worker(i: int) -> None:
        results[i] = app.test_client().get(f"/?v={i}").data

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"{i}|{i}".encode() for i in range(20)}


def test_concurrent_asgi_requests_are_isolated(app: Tocsin) -> None:
    @app.route("/")
    async def index() -> str:
        g.value = request.args["v"]
        await asyncio.sleep(0.01)
        return f"{request.args['v']}|{g.value}"

    @app.route("/sync")
    def sync_view() -> str:
        g.value = request.args["v"]
        time.sleep(0.01)
        return f"{request.args['v']}|{g.value}"

    async def run() -> list[str]:
        transport = httpx.ASGITransport(app=app.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            responses = await asyncio.gather(
                *(c.get(f"/?v={i}") for i in range(50)),
                *(c.get(f"/sync?v=s{i}") for i in range(20)),
            )
        return [r.text for r in responses]

    texts = asyncio.run(run())
    assert texts == [f"{i}|{i}" for i in range(50)] + [f"s{i}|s{i}" for i in range(20)]


def test_a_threads_loop_made_during_a_request_does_not_keep_it_alive() -> None:
    """The loop that runs async hooks under WSGI is made in an empty context."""
    import gc
    import threading
    import weakref

    from tocsin import Tocsin, request

    app = Tocsin(__name__)
    seen: list[weakref.ref[t.Any]] = []

    @app.before_request
    async def note() -> None:  # the thread's first coroutine: its loop is made now
        seen.append(weakref.ref(request._get_current_object()))  # type: ignore[attr-defined]

    app.route("/")(lambda: "ok")
    done, release = threading.Event(), threading.Event()
    statuses: list[int] = []

    def serve() -> None:
        statuses.append(app.test_client().get("/").status_code)
        done.set()
        release.wait(10)  # the thread (and its loop) stay alive meanwhile

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        assert done.wait(10)
        gc.collect()
        assert statuses == [200]
        assert seen[0]() is None  # the request object was freed
    finally:
        release.set()
        thread.join(10)
