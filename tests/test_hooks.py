"""Hook functions: before/after request, teardown, first request, sync and async."""

from __future__ import annotations

import asyncio
import threading
import time
import typing as t

import httpx
import pytest

from tocsin import Tocsin, g, has_app_context, has_request_context, request
from tocsin.testing import TestClient
from tocsin.wrappers import Response


def test_hook_order(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []

    @app.before_first_request
    def first() -> None:
        calls.append("before_first_request")

    @app.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        calls.append(f"url_value_preprocessor {endpoint} {values}")

    @app.before_request
    def before_1() -> None:
        calls.append("before_request 1")

    @app.before_request
    def before_2() -> None:
        calls.append("before_request 2")

    @app.after_request
    def after_1(response: Response) -> Response:
        calls.append("after_request 1")
        return response

    @app.after_request
    def after_2(response: Response) -> Response:
        calls.append("after_request 2")
        return response

    @app.teardown_request
    def teardown_1(exc: BaseException | None) -> None:
        calls.append(f"teardown_request 1 {exc}")

    @app.teardown_request
    def teardown_2(exc: BaseException | None) -> None:
        calls.append(f"teardown_request 2 {exc}")

    @app.teardown_appcontext
    def app_teardown_1(exc: BaseException | None) -> None:
        calls.append(f"teardown_appcontext 1 {exc}")

    @app.teardown_appcontext
    def app_teardown_2(exc: BaseException | None) -> None:
        calls.append(f"teardown_appcontext 2 {exc}")

    @app.route("/<int:n>")
    def view(n: int) -> str:
        calls.append(f"view {n}")
        return "ok"

    assert client.get("/3").data == b"ok"
    assert calls == [
        "before_first_request",
        "url_value_preprocessor view {'n': 3}",
        "before_request 1",
        "before_request 2",
        "view 3",
        "after_request 2",
        "after_request 1",
        "teardown_request 2 None",
        "teardown_request 1 None",
        "teardown_appcontext 2 None",
        "teardown_appcontext 1 None",
    ]
    calls.clear()
    client.get("/4")
    assert calls[0] == "url_value_preprocessor view {'n': 4}"
    assert "before_first_request" not in calls


def test_before_request_short_circuits(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []

    @app.before_request
    def gate() -> tuple[str, int] | None:
        calls.append("gate")
        if request.args.get("deny"):
            return "denied", 403
        return None

    @app.before_request
    def later() -> None:
        calls.append("later")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append(f"after {response.status_code}")
        response.headers["X-After"] = "1"
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @app.route("/")
    def view() -> str:
        calls.append("view")
        return "view"

    rv = client.get("/?deny=1")
    assert (rv.status_code, rv.data, rv.headers["X-After"]) == (403, b"denied", "1")
    assert calls == ["gate", "after 403", "teardown"]
    calls.clear()
    assert client.get("/").data == b"view"
    assert calls == ["gate", "later", "view", "after 200", "teardown"]


def test_before_request_short_circuits_routing_errors(app: Tocsin, client: TestClient) -> None:
    app.before_request(lambda: "from hook")
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (200, b"from hook")


def test_before_request_sees_routing_error_but_runs(app: Tocsin, client: TestClient) -> None:
    seen: list[t.Any] = []
    app.before_request(lambda: seen.append((request.endpoint, type(request.routing_exception))))
    assert client.get("/missing").status_code == 404
    assert seen[0][0] is None
    assert seen[0][1].__name__ == "NotFound"


def test_after_request_can_replace_response(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "original")

    @app.after_request
    def replace(response: Response) -> Response:
        return Response(f"replaced {response.get_data(as_text=True)}", 201, {"X-R": "1"})

    rv = client.get("/")
    assert (rv.status_code, rv.data, rv.headers["X-R"]) == (201, b"replaced original", "1")


def test_after_request_not_run_when_unhandled(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []
    app.after_request(lambda r: calls.append("after") or r)

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        client.get("/boom")
    assert calls == []


def test_after_request_runs_on_error_response(app: Tocsin, client: TestClient) -> None:
    statuses: list[int] = []
    app.after_request(lambda r: statuses.append(r.status_code) or r)
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client.get("/missing")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    try:
        client.get("/boom")
    finally:
        app.logger.disabled = False
    assert statuses == [404, 500]


def test_teardown_request_gets_exception(app: Tocsin, client: TestClient) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    app.teardown_appcontext(seen.append)
    error = ValueError("boom")

    @app.route("/boom")
    def boom() -> str:
        raise error

    with pytest.raises(ValueError):
        client.get("/boom")
    assert seen == [error, error]
    assert not has_request_context()


def test_teardown_request_sees_request_and_g(app: Tocsin, client: TestClient) -> None:
    seen: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(f"{request.path} {g.get('value')}")

    @app.route("/t")
    def view() -> str:
        g.value = "set"
        return ""

    client.get("/t")
    assert seen == ["/t set"]


def test_teardown_return_value_is_ignored(app: Tocsin, client: TestClient) -> None:
    app.teardown_request(lambda exc: "ignored")
    app.add_url_rule("/", "index", lambda: "ok")
    assert client.get("/").data == b"ok"


# -- before_first_request --------------------------------------------------------------------


def test_before_first_request_once(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []
    app.before_first_request(lambda: calls.append("first"))
    app.add_url_rule("/", "index", lambda: "ok")
    for _ in range(3):
        client.get("/")
    client.get("/missing")
    assert calls == ["first"]


def test_before_first_request_retries_after_error(app: Tocsin, client: TestClient) -> None:
    attempts: list[int] = []

    @app.before_first_request
    def flaky() -> None:
        attempts.append(len(attempts))
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)}")

    app.add_url_rule("/", "index", lambda: "ok")
    with pytest.raises(RuntimeError, match="attempt 1"):
        client.get("/")
    with pytest.raises(RuntimeError, match="attempt 2"):
        client.get("/")
    assert not has_request_context()
    assert client.get("/").data == b"ok"
    assert client.get("/").data == b"ok"
    assert attempts == [0, 1, 2]


def test_before_first_request_error_becomes_500(app: Tocsin, client: TestClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    attempts: list[int] = []

    @app.before_first_request
    def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first attempt")

    app.add_url_rule("/", "index", lambda: "ok")
    try:
        assert client.get("/").status_code == 500
        assert client.get("/").status_code == 200
    finally:
        app.logger.disabled = False
    assert attempts == [1, 1]


def test_before_first_request_once_under_concurrent_threads(app: Tocsin) -> None:
    calls: list[str] = []
    done = threading.Event()

    @app.before_first_request
    def slow_setup() -> None:
        calls.append("start")
        time.sleep(0.05)
        calls.append("end")
        done.set()

    @app.route("/")
    def index() -> str:
        return "ready" if done.is_set() else "not ready"

    barrier = threading.Barrier(20)
    results: list[bytes] = []
    lock = threading.Lock()

    def worker() -> None:
        c = app.test_client()
        barrier.wait()
        data = c.get("/").data
        with lock:
            results.append(data)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["start", "end"]
    assert results == [b"ready"] * 20


def test_before_first_request_once_under_concurrent_tasks(app: Tocsin) -> None:
    calls: list[str] = []

    @app.before_first_request
    async def slow_setup() -> None:
        calls.append("start")
        await asyncio.sleep(0.05)
        calls.append("end")

    @app.route("/")
    async def index() -> str:
        return str(len(calls))

    async def run() -> list[str]:
        transport = httpx.ASGITransport(app=app.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            responses = await asyncio.gather(*(c.get("/") for _ in range(20)))
        return [r.text for r in responses]

    assert asyncio.run(run()) == ["2"] * 20
    assert calls == ["start", "end"]


# -- async hooks -----------------------------------------------------------------------------------


def test_async_hooks(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []

    @app.before_first_request
    async def first() -> None:
        await asyncio.sleep(0)
        calls.append("before_first_request")

    @app.url_value_preprocessor
    async def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        await asyncio.sleep(0)
        calls.append("url_value_preprocessor")

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.started = True
        calls.append(f"before_request {request.path}")

    @app.after_request
    async def after(response: Response) -> Response:
        await asyncio.sleep(0)
        calls.append("after_request")
        response.headers["X-Async"] = "1"
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        calls.append(f"teardown_request {g.started}")

    @app.teardown_appcontext
    async def app_teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        calls.append("teardown_appcontext")

    @app.route("/a")
    async def view() -> str:
        await asyncio.sleep(0)
        calls.append("view")
        return "async"

    rv = client.get("/a")
    assert (rv.data, rv.headers["X-Async"]) == (b"async", "1")
    assert calls == [
        "before_first_request",
        "url_value_preprocessor",
        "before_request /a",
        "view",
        "after_request",
        "teardown_request True",
        "teardown_appcontext",
    ]


def test_async_before_request_short_circuits(app: Tocsin, client: TestClient) -> None:
    @app.before_request
    async def gate() -> tuple[str, int]:
        await asyncio.sleep(0)
        return "async gate", 401

    app.add_url_rule("/", "index", lambda: "view")
    rv = client.get("/")
    assert (rv.status_code, rv.data) == (401, b"async gate")


def test_mixed_sync_and_async_hooks(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []

    @app.before_request
    def sync_before() -> None:
        calls.append("sync before")

    @app.before_request
    async def async_before() -> None:
        calls.append("async before")

    @app.after_request
    async def async_after(response: Response) -> Response:
        calls.append("async after")
        return response

    @app.after_request
    def sync_after(response: Response) -> Response:
        calls.append("sync after")
        return response

    app.add_url_rule("/", "index", lambda: "ok")
    client.get("/")
    assert calls == ["sync before", "async before", "sync after", "async after"]


# -- registration errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "before_request",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
        "before_first_request",
        "url_value_preprocessor",
        "url_defaults",
        "context_processor",
    ],
)
@pytest.mark.parametrize("value", [None, "name", 42])
def test_non_callable_hook(app: Tocsin, name: str, value: t.Any) -> None:
    with pytest.raises(TypeError) as exc_info:
        getattr(app, name)(value)
    assert str(exc_info.value) == (
        f"{name} needs a callable, got {value!r} of type {type(value).__name__}."
        f" Use it as a decorator, @{name}, on a function."
    )


def test_hook_decorators_return_the_function(app: Tocsin) -> None:
    def hook(*args: t.Any) -> None:
        return None

    for name in (
        "before_request",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
        "before_first_request",
        "url_value_preprocessor",
        "url_defaults",
    ):
        assert getattr(app, name)(hook) is hook
    assert app.before_request_funcs[None] == [hook]
    assert app.after_request_funcs[None] == [hook]
    assert app.teardown_request_funcs[None] == [hook]
    assert app.teardown_appcontext_funcs == [hook]
    assert app.before_first_request_funcs == [hook]


@pytest.mark.parametrize("returned", [None, "text"])
def test_after_request_must_return_a_response(
    app: Tocsin, client: TestClient, returned: t.Any
) -> None:
    torn_down: list[str] = []

    @app.after_request
    def forgets_to_return(response: Response) -> t.Any:
        return returned

    app.teardown_request(lambda exc: torn_down.append(f"request {type(exc).__name__}"))
    app.teardown_appcontext(lambda exc: torn_down.append(f"app {type(exc).__name__}"))
    app.add_url_rule("/", "index", lambda: "hello")
    with pytest.raises(TypeError) as info:
        client.get("/")
    assert str(info.value) == (
        "The after-request function"
        " 'test_after_request_must_return_a_response.<locals>.forgets_to_return' returned"
        f" {type(returned).__name__}, not a response object. It must return the response it"
        " was given (or a new one)."
    )
    assert torn_down == ["request TypeError", "app TypeError"]
    assert not has_request_context() and not has_app_context()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/")  # the 500 is made once: its own after_request error is logged
    assert response.status_code == 500
    assert torn_down[2:] == ["request TypeError", "app TypeError"]


def test_ensure_sync_and_async_to_sync(app: Tocsin) -> None:
    def plain() -> str:
        return "plain"

    async def coroutine_function(x: int) -> int:
        """Doubles."""
        await asyncio.sleep(0)
        return 2 * x

    assert app.ensure_sync(plain) is plain
    wrapped = app.ensure_sync(coroutine_function)
    assert (wrapped(21), wrapped.__name__, wrapped.__doc__) == (
        42,
        "coroutine_function",
        "Doubles.",
    )
    assert app.async_to_sync(coroutine_function)(4) == 8
