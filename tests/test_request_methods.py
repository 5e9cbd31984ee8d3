"""Flask's request-handling methods: called directly, and overridden by subclasses or patches."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.exceptions import BadRequestKeyError, NotFound

from tocsin import Tocsin, abort, after_this_request, got_request_exception, request
from tocsin.testing import TestClient
from tocsin.wrappers import Response


def test_steps_called_in_a_test_request_context(app: Tocsin) -> None:
    calls: list[str] = []
    app.url_value_preprocessor(lambda endpoint, values: calls.append(f"pre {endpoint} {values}"))
    app.before_request(lambda: calls.append("before"))

    @app.after_request
    def after(response: Response) -> Response:
        calls.append(f"after {response.status_code}")
        return response

    app.add_url_rule("/item/<int:n>", "item", lambda n: f"item {n}")
    with app.test_request_context("/item/3"):
        assert app.preprocess_request() is None
        assert calls == ["pre item {'n': 3}", "before"]
        assert app.dispatch_request() == "item 3"
        response = app.process_response(Response("made", 201))
        assert (response.status_code, calls[-1]) == (201, "after 201")
        response = app.full_dispatch_request()
        assert (response.status_code, response.data) == (200, b"item 3")
        assert calls[-3:] == ["pre item {'n': 3}", "before", "after 200"]


def test_preprocess_request_returns_the_short_circuit(app: Tocsin) -> None:
    app.before_request(lambda: "stop")
    app.before_request(lambda: pytest.fail("not reached"))
    with app.test_request_context("/"):
        assert app.preprocess_request() == "stop"


def test_dispatch_request_raises_the_routing_error(app: Tocsin) -> None:
    with app.test_request_context("/missing"), pytest.raises(NotFound):
        app.dispatch_request()


def test_handle_user_and_http_exception(app: Tocsin) -> None:
    app.register_error_handler(KeyError, lambda e: ("key", 400))
    app.register_error_handler(403, lambda e: ("forbidden", 403))
    with app.test_request_context("/"):
        assert app.handle_user_exception(KeyError("k")) == ("key", 400)
        assert app.handle_http_exception(abort_error(403)) == ("forbidden", 403)
        not_found = NotFound()
        assert app.handle_user_exception(not_found) is not_found  # no handler: its own response
        with pytest.raises(ValueError, match="nobody"):
            app.handle_user_exception(ValueError("nobody"))


def abort_error(code: int) -> t.Any:
    try:
        abort(code)
    except Exception as e:
        return e


def test_handle_user_exception_shows_the_missing_key_in_debug(app: Tocsin) -> None:
    app.debug = True
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    error = BadRequestKeyError("name")
    with app.test_request_context("/"):
        response = app.make_response(app.handle_user_exception(error))
    assert error.show_exception is True
    assert b"KeyError: &#39;name&#39;" in response.data


def test_handle_exception_sends_the_signal_and_makes_a_500(app: Tocsin) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[t.Any] = []
    app.register_error_handler(500, lambda e: (f"500 for {e.original_exception!r}", 500))

    def receiver(sender: Tocsin, exception: Exception, **extra: t.Any) -> None:
        seen.append(exception)

    error = ValueError("bad")
    with got_request_exception.connected_to(receiver, app), app.test_request_context("/"):
        response = app.handle_exception(error)
    assert (response.status_code, response.data) == (500, b"500 for ValueError('bad')")
    assert seen == [error]


def test_handle_exception_propagates_in_testing(app: Tocsin) -> None:
    with app.test_request_context("/"), pytest.raises(ValueError, match="up"):
        app.handle_exception(ValueError("up"))


def test_methods_outside_a_request_say_what_is_missing(app: Tocsin) -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        app.preprocess_request()


def test_should_ignore_error_is_false(app: Tocsin) -> None:
    assert app.should_ignore_error(ValueError()) is False


# -- overrides take part in every request -------------------------------------------------


def test_overridden_dispatch_request(client: TestClient) -> None:
    class App(Tocsin):
        def dispatch_request(self) -> t.Any:
            return f"overridden for {request.path}"

    app = App("dispatch_app", root_path="/nonexistent")
    app.add_url_rule("/", "index", lambda: "normal")
    response = app.test_client(driver=client.driver).get("/")
    assert response.data == b"overridden for /"


def test_overridden_handlers_and_process_response(client: TestClient) -> None:
    calls: list[str] = []

    class App(Tocsin):
        def handle_user_exception(self, e: Exception) -> t.Any:
            calls.append(f"user {type(e).__name__}")
            if isinstance(e, KeyError):
                return "handled by the override", 418
            return super().handle_user_exception(e)

        def process_response(self, response: Response) -> Response:
            response = super().process_response(response)
            response.headers["X-Processed"] = "yes"
            return response

    app = App("handlers_app", root_path="/nonexistent")

    @app.route("/key")
    def key() -> str:
        raise KeyError("k")

    @app.route("/async")
    async def async_view() -> str:
        after_this_request(lambda r: calls.append("after this") or r)  # type: ignore[func-returns-value]
        return "async"

    c = app.test_client(driver=client.driver)
    got = [(r.status_code, r.data, r.headers.get("X-Processed")) for r in map(c.get, ("/key",))]
    assert got == [(418, b"handled by the override", "yes")]
    response = c.get("/async")
    assert (response.data, response.headers.get("X-Processed")) == (b"async", "yes")
    missing = c.get("/missing")
    assert (missing.status_code, missing.headers.get("X-Processed")) == (404, "yes")
    assert calls == ["user KeyError", "after this", "user NotFound"]


def test_patched_handle_exception_on_the_instance(client: TestClient) -> None:
    """As extensions do: ``app.handle_exception = partial(router, app.handle_exception)``."""
    app = Tocsin("patched_app", root_path="/nonexistent")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[t.Any] = []
    original = app.handle_exception

    def router(e: Exception) -> Response:
        seen.append(f"router {type(e).__name__}")
        return original(e)

    app.handle_exception = router  # type: ignore[method-assign]
    app.teardown_request(lambda exc: seen.append(f"teardown {type(exc).__name__}"))

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    response = app.test_client(driver=client.driver).get("/boom")
    assert response.status_code == 500
    assert seen == ["router ValueError", "teardown ValueError"]


def test_overridden_full_dispatch_request_keeps_the_contexts(client: TestClient) -> None:
    order: list[str] = []

    class App(Tocsin):
        def full_dispatch_request(self) -> Response:
            order.append(f"full {request.path}")
            return super().full_dispatch_request()

    app = App("full_app", root_path="/nonexistent")
    app.before_first_request(lambda: order.append("first"))
    app.add_url_rule("/", "index", lambda: "index")
    app.teardown_appcontext(lambda exc: order.append("teardown_appcontext"))
    c = app.test_client(driver=client.driver)
    assert [c.get("/").data, c.get("/").data] == [b"index", b"index"]
    assert order == ["full /", "first", "teardown_appcontext", "full /", "teardown_appcontext"]
