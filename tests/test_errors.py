"""Error handlers, unhandled exceptions, got_request_exception, trapping, teardown errors."""

from __future__ import annotations

import logging
import typing as t

import pytest
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)

from tocsin import (
    Tocsin,
    abort,
    got_request_exception,
    has_app_context,
    has_request_context,
    request,
)
from tocsin.signals import record
from tocsin.testing import TestClient


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


def _boom() -> t.NoReturn:
    raise SpecificError("boom")


# -- handlers by code and by class --------------------------------------------------------------


def test_handler_by_code(app: Tocsin, client: TestClient) -> None:
    @app.errorhandler(404)
    def not_found(e: NotFound) -> tuple[str, int]:
        return f"custom 404: {type(e).__name__} {e.code}", 404

    app.add_url_rule("/abort", "abort", lambda: abort(404))
    for path in ("/missing", "/abort"):
        rv = client.get(path)
        assert (rv.status_code, rv.data) == (404, b"custom 404: NotFound 404")


def test_handler_by_http_exception_class(app: Tocsin, client: TestClient) -> None:
    @app.errorhandler(Forbidden)
    def forbidden(e: Forbidden) -> tuple[str, int]:
        return f"no: {e.description}", 403

    app.add_url_rule("/f", "f", lambda: abort(403, description="private"))
    rv = client.get("/f")
    assert (rv.status_code, rv.data) == (403, b"no: private")


def test_handler_status_defaults_to_200(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(404, lambda e: "handled")
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (200, b"handled")


def test_404_handler_does_not_take_405(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(404, lambda e: ("nf", 404))
    app.add_url_rule("/only-get", "only_get", lambda: "g")
    rv = client.post("/only-get")
    assert rv.status_code == 405
    assert b"Method Not Allowed" in rv.data


def test_405_handler_keeps_allow_when_returning_exception(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(405, lambda e: e)
    app.add_url_rule("/only-get", "only_get", lambda: "g")
    rv = client.post("/only-get")
    assert rv.status_code == 405
    assert {m.strip() for m in rv.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


def test_handler_by_exception_class(app: Tocsin, client: TestClient) -> None:
    @app.errorhandler(AppError)
    def app_error(e: AppError) -> tuple[str, int]:
        return f"{type(e).__name__}: {e}", 418

    app.add_url_rule("/boom", "boom", _boom)
    rv = client.get("/boom")
    assert (rv.status_code, rv.data) == (418, b"SpecificError: boom")


def test_most_specific_class_wins(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(Exception, lambda e: ("exception", 500))
    app.register_error_handler(AppError, lambda e: ("app error", 400))
    app.register_error_handler(SpecificError, lambda e: ("specific", 409))
    app.register_error_handler(LookupError, lambda e: ("lookup", 404))

    def raises(exc: BaseException) -> t.Callable[[], t.NoReturn]:
        def view() -> t.NoReturn:
            raise exc

        return view

    app.add_url_rule("/specific", "specific", raises(SpecificError()))
    app.add_url_rule("/app", "app", raises(AppError()))
    app.add_url_rule("/key", "key", raises(KeyError("k")))
    app.add_url_rule("/value", "value", raises(ValueError()))
    got = {
        path: (rv.status_code, rv.data)
        for path in ("/specific", "/app", "/key", "/value")
        for rv in [client.get(path)]
    }
    assert got == {
        "/specific": (409, b"specific"),
        "/app": (400, b"app error"),
        "/key": (404, b"lookup"),
        "/value": (500, b"exception"),
    }


def test_registration_order_does_not_matter(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(SpecificError, lambda e: "specific")
    app.register_error_handler(AppError, lambda e: "app error")
    app.add_url_rule("/boom", "boom", _boom)
    assert client.get("/boom").data == b"specific"


def test_exception_handler_also_takes_http_errors(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(Exception, lambda e: (f"caught {type(e).__name__}", 599))
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (599, b"caught NotFound")


def test_http_exception_handler_takes_all_http_errors(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(HTTPException, lambda e: (f"http {e.code}", t.cast(int, e.code)))
    app.add_url_rule("/only-get", "only_get", lambda: "g")
    app.add_url_rule("/bad", "bad", lambda: abort(400))
    assert client.get("/missing").data == b"http 404"
    assert client.post("/only-get").data == b"http 405"
    assert client.get("/bad").data == b"http 400"


def test_code_handler_before_class_handler(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(HTTPException, lambda e: "by class")
    app.register_error_handler(404, lambda e: "by code")
    assert client.get("/missing").data == b"by code"


def test_redirect_is_not_an_error(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(HTTPException, lambda e: "handled")
    app.add_url_rule("/folder/", "folder", lambda: "folder")
    rv = client.get("/folder")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/folder/"


def test_async_error_handler(app: Tocsin, client: TestClient) -> None:
    @app.errorhandler(AppError)
    async def handler(e: AppError) -> tuple[str, int]:
        return f"async {e}", 400

    app.add_url_rule("/boom", "boom", _boom)
    rv = client.get("/boom")
    assert (rv.status_code, rv.data) == (400, b"async boom")


def test_invalid_registrations(app: Tocsin) -> None:
    with pytest.raises(ValueError, match="'999' is not a recognized HTTP error code"):
        app.register_error_handler(999, lambda e: "")
    with pytest.raises(TypeError, match="is an instance, not a class"):
        app.register_error_handler(ValueError(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a subclass of Exception"):
        app.register_error_handler(int, lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="errorhandler needs a callable"):
        app.register_error_handler(404, "nope")  # type: ignore[arg-type]


def test_500_and_internal_server_error_are_the_same_key(app: Tocsin) -> None:
    def handler(e: Exception) -> str:
        return "x"

    app.register_error_handler(500, handler)
    assert app.error_handler_spec[None][500] == {InternalServerError: handler}


# -- unhandled exceptions ------------------------------------------------------------------------


def test_unhandled_propagates_in_testing(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/boom", "boom", _boom)
    with pytest.raises(SpecificError, match="boom"):
        client.get("/boom")
    assert not has_request_context()
    assert not has_app_context()


def test_unhandled_becomes_500(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/boom", "boom", _boom)
    with caplog.at_level(logging.ERROR, logger="tocsin_test_app"):
        rv = client.get("/boom?x=1")
    assert rv.status_code == 500
    assert b"<title>500 Internal Server Error</title>" in rv.data
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    records = [r for r in caplog.records if r.name == "tocsin_test_app"]
    assert [r.getMessage() for r in records] == ["Exception on /boom [GET]"]
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is SpecificError


def test_not_testing_means_500(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    app = Tocsin("production_app", root_path="/nonexistent")
    app.add_url_rule("/boom", "boom", _boom)
    with caplog.at_level(logging.CRITICAL + 1, logger="production_app"):
        rv = app.test_client(driver=client.driver).get("/boom")
    assert rv.status_code == 500


def test_500_handler_gets_original_exception(app: Tocsin, client: TestClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    seen: list[t.Any] = []

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> tuple[str, int]:
        seen.append(e)
        return f"500 for {type(e.original_exception).__name__}", 500

    app.add_url_rule("/boom", "boom", _boom)
    try:
        rv = client.get("/boom")
    finally:
        app.logger.disabled = False
    assert (rv.status_code, rv.data) == (500, b"500 for SpecificError")
    assert len(seen) == 1
    assert isinstance(seen[0], InternalServerError)
    assert isinstance(seen[0].original_exception, SpecificError)


def test_500_handler_for_abort_500(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(500, lambda e: (f"original={e.original_exception!r}", 500))
    app.add_url_rule("/a", "a", lambda: abort(500))
    rv = client.get("/a")
    assert (rv.status_code, rv.data) == (500, b"original=None")


def test_500_handler_not_used_when_propagating(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(500, lambda e: "handled")
    app.add_url_rule("/boom", "boom", _boom)
    with pytest.raises(SpecificError):
        client.get("/boom")


def test_error_in_handler_is_unhandled(app: Tocsin, client: TestClient) -> None:
    @app.errorhandler(AppError)
    def broken(e: AppError) -> str:
        raise RuntimeError("handler failed")

    app.add_url_rule("/boom", "boom", _boom)
    with pytest.raises(RuntimeError, match="handler failed"):
        client.get("/boom")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    try:
        assert client.get("/boom").status_code == 500
    finally:
        app.logger.disabled = False


def test_error_in_after_request_is_unhandled(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")

    @app.after_request
    def broken(response: t.Any) -> t.Any:
        raise AppError("after")

    with pytest.raises(AppError, match="after"):
        client.get("/")
    assert not has_request_context()


# -- got_request_exception --------------------------------------------------------------------


def test_got_request_exception_sent(app: Tocsin, client: TestClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    app.add_url_rule("/boom", "boom", _boom)
    try:
        with record(got_request_exception) as sent:
            assert client.get("/boom").status_code == 500
    finally:
        app.logger.disabled = False
    assert len(sent) == 1
    sender, kwargs = sent[0]
    assert sender is app
    assert list(kwargs) == ["exception"]
    assert isinstance(kwargs["exception"], SpecificError)


def test_got_request_exception_sent_before_propagating(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/boom", "boom", _boom)
    with record(got_request_exception) as sent, pytest.raises(SpecificError) as exc_info:
        client.get("/boom")
    assert sent == [(app, {"exception": exc_info.value})]


def test_got_request_exception_receiver_sees_request(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/boom", "boom", _boom)
    seen: list[str] = []

    def receiver(sender: Tocsin, exception: BaseException) -> None:
        seen.append(f"{request.path} {exception}")

    with got_request_exception.connected_to(receiver, app), pytest.raises(SpecificError):
        client.get("/boom")
    assert seen == ["/boom boom"]


def test_http_errors_do_not_send_got_request_exception(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/a", "a", lambda: abort(403))
    app.add_url_rule("/r", "r", lambda: "r", methods=["POST"])
    with record(got_request_exception) as sent:
        assert client.get("/missing").status_code == 404
        assert client.get("/a").status_code == 403
        assert client.get("/r").status_code == 405
    assert sent == []


def test_handled_exception_does_not_send(app: Tocsin, client: TestClient) -> None:
    app.register_error_handler(AppError, lambda e: "handled")
    app.add_url_rule("/boom", "boom", _boom)
    with record(got_request_exception) as sent:
        assert client.get("/boom").data == b"handled"
    assert sent == []


# -- trapping -------------------------------------------------------------------------------------


def test_trap_http_exceptions(app: Tocsin, client: TestClient) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.add_url_rule("/a", "a", lambda: abort(403))
    with pytest.raises(Forbidden):
        client.get("/a")
    with pytest.raises(NotFound):
        client.get("/missing")
    assert not has_request_context()


def test_trapped_http_exception_goes_to_class_handler(app: Tocsin, client: TestClient) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.register_error_handler(Exception, lambda e: (f"trapped {type(e).__name__}", 500))
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (500, b"trapped NotFound")


def test_trap_bad_request_errors(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/form", "form", lambda: request.form["missing"], methods=["POST"])
    assert client.post("/form").status_code == 400
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    with pytest.raises(BadRequest):
        client.post("/form")


def test_bad_request_key_error_trapped_in_debug(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/form", "form", lambda: request.form["missing"], methods=["POST"])
    app.debug = True
    with pytest.raises(KeyError):
        client.post("/form")
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    assert client.post("/form").status_code == 400


# -- errors in teardown ---------------------------------------------------------------------------


def test_teardown_error_is_logged_and_raised(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []
    app.add_url_rule("/", "index", lambda: "ok")

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        ran.append("first")

    @app.teardown_request
    def broken(exc: BaseException | None) -> None:
        ran.append("broken")
        raise AppError("teardown failed")

    @app.teardown_appcontext
    def app_teardown(exc: BaseException | None) -> None:
        ran.append("appcontext")

    with (
        caplog.at_level(logging.ERROR, logger="tocsin_test_app"),
        pytest.raises(AppError, match="teardown failed"),
    ):
        client.get("/")
    assert ran == ["broken", "first", "appcontext"]
    assert not has_request_context()
    assert not has_app_context()
    messages = [r.getMessage() for r in caplog.records if r.name == "tocsin_test_app"]
    assert len(messages) == 1
    assert messages[0].startswith("Error in teardown_request function ")
    assert "broken" in messages[0]


def test_several_teardown_errors_raise_a_group(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []
    app.add_url_rule("/", "index", lambda: "ok")

    @app.teardown_request
    def one(exc: BaseException | None) -> None:
        ran.append("one")
        raise AppError("one")

    @app.teardown_request
    def two(exc: BaseException | None) -> None:
        ran.append("two")
        raise SpecificError("two")

    @app.teardown_appcontext
    def three(exc: BaseException | None) -> None:
        ran.append("three")
        raise KeyError("three")

    with (
        caplog.at_level(logging.ERROR, logger="tocsin_test_app"),
        pytest.raises(ExceptionGroup) as exc_info,
    ):
        client.get("/")
    assert ran == ["two", "one", "three"]
    assert [str(e) for e in exc_info.value.exceptions] == ["two", "one", "'three'"]
    assert [type(e) for e in exc_info.value.exceptions] == [SpecificError, AppError, KeyError]
    assert not has_request_context()
    assert not has_app_context()
    assert len([r for r in caplog.records if r.name == "tocsin_test_app"]) == 3


def test_teardown_error_while_view_error_propagates(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[BaseException | None] = []
    app.add_url_rule("/boom", "boom", _boom)

    @app.teardown_request
    def broken(exc: BaseException | None) -> None:
        seen.append(exc)
        raise AppError("teardown failed")

    with (
        caplog.at_level(logging.ERROR, logger="tocsin_test_app"),
        pytest.raises(SpecificError, match="boom"),
    ):
        client.get("/boom")
    assert len(seen) == 1
    assert isinstance(seen[0], SpecificError)
    assert not has_request_context()
    messages = [r.getMessage() for r in caplog.records if r.name == "tocsin_test_app"]
    assert messages[-1] == "Teardown failed while an exception was propagating"


def test_teardown_gets_exception_or_none(app: Tocsin, client: TestClient) -> None:
    seen: list[tuple[str, str | None]] = []
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    app.add_url_rule("/boom", "boom", _boom)
    app.add_url_rule("/handled", "handled", lambda: abort(404))
    app.add_url_rule("/ok", "ok", lambda: "ok")

    @app.teardown_request
    def request_teardown(exc: BaseException | None) -> None:
        seen.append(("request", type(exc).__name__ if exc else None))

    @app.teardown_appcontext
    def app_teardown(exc: BaseException | None) -> None:
        seen.append(("app", type(exc).__name__ if exc else None))

    try:
        for path in ("/ok", "/handled", "/boom"):
            client.get(path)
    finally:
        app.logger.disabled = False
    assert seen == [
        ("request", None),
        ("app", None),
        ("request", None),
        ("app", None),
        ("request", "SpecificError"),
        ("app", "SpecificError"),
    ]


def test_abort_uses_the_apps_aborter(app: Tocsin, client: TestClient) -> None:
    class ClientClosed(HTTPException):
        code = 499
        description = "The client closed the request."

    app.aborter.mapping[499] = ClientClosed
    app.add_url_rule("/closed", "closed", lambda: abort(499))
    response = client.get("/closed")
    assert response.status_code == 499
    assert b"The client closed the request." in response.data
    with pytest.raises(LookupError):  # outside an app context: Werkzeug's own codes
        abort(499)


def test_trap_bad_request_errors_traps_bad_requests_only(app: Tocsin, client: TestClient) -> None:
    class Custom400(HTTPException):
        code = 400

    def custom() -> t.NoReturn:
        raise Custom400()

    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    app.add_url_rule("/custom", "custom", custom)
    app.add_url_rule("/bad", "bad", lambda: abort(400))
    assert client.get("/custom").status_code == 400  # not a BadRequest: not trapped
    with pytest.raises(BadRequest):
        client.get("/bad")


def test_a_failing_500_handler_leaves_teardown_the_original_error(
    app: Tocsin, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[str] = []

    @app.errorhandler(500)
    def broken(e: InternalServerError) -> str:
        raise KeyError("in the handler")

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("in the view")

    app.teardown_request(lambda exc: seen.append(f"request {exc!r}"))
    app.teardown_appcontext(lambda exc: seen.append(f"app {exc!r}"))
    with pytest.raises(KeyError, match="in the handler"):
        client.get("/boom")
    assert seen == ["request ValueError('in the view')", "app ValueError('in the view')"]
    assert not has_request_context() and not has_app_context()


class NotAnException:
    pass


BAD_HANDLER_KEYS: list[tuple[str, t.Any, type[Exception], str]] = [
    (
        "an Exception instance",
        ValueError("x"),
        TypeError,
        "ValueError('x') is an instance, not a class. Handlers can only be registered for "
        "Exception classes or HTTP error codes.",
    ),
    (
        "an HTTPException instance",
        NotFound(),
        TypeError,
        "<NotFound '404: Not Found'> is an instance, not a class. Handlers can only be "
        "registered for Exception classes or HTTP error codes.",
    ),
    (
        "an unknown code",
        999,
        ValueError,
        "'999' is not a recognized HTTP error code. Use a subclass of HTTPException with that "
        "code instead.",
    ),
    (
        "a success code",
        200,
        ValueError,
        "'200' is not a recognized HTTP error code. Use a subclass of HTTPException with that "
        "code instead.",
    ),
    (
        "a non-Exception class",
        NotAnException,
        ValueError,
        "'NotAnException' is not a subclass of Exception. Handlers can only be registered for "
        "Exception classes or HTTP error codes.",
    ),
    (
        "a BaseException class",
        KeyboardInterrupt,
        ValueError,
        "'KeyboardInterrupt' is not a subclass of Exception. Handlers can only be registered "
        "for Exception classes or HTTP error codes.",
    ),
]


@pytest.mark.parametrize(
    ("key", "error", "message"),
    [case[1:] for case in BAD_HANDLER_KEYS],
    ids=[case[0] for case in BAD_HANDLER_KEYS],
)
@pytest.mark.parametrize("how", ["errorhandler", "register_error_handler", "blueprint"])
def test_bad_error_handler_keys_raise_what_flask_raises(
    key: t.Any, error: type[Exception], message: str, how: str
) -> None:
    import flask

    from tocsin import Blueprint

    def handler(e: Exception) -> str:
        return ""

    def register(app_class: t.Any, blueprint_class: t.Any) -> None:
        if how == "errorhandler":
            app_class(__name__).errorhandler(key)(handler)
        elif how == "register_error_handler":
            app_class(__name__).register_error_handler(key, handler)
        else:
            blueprint_class("bp", __name__).errorhandler(key)(handler)

    for app_class, blueprint_class in ((Tocsin, Blueprint), (flask.Flask, flask.Blueprint)):
        with pytest.raises(error) as caught:
            register(app_class, blueprint_class)
        assert type(caught.value) is error
        assert str(caught.value) == message


NEITHER = "is neither an exception class nor an HTTP error code"


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("404", NEITHER),
        (None, NEITHER),
        (3.5, NEITHER),
        ([ValueError], NEITHER),
        (KeyboardInterrupt(), "is an instance, not a class"),
    ],
)
def test_other_bad_error_handler_keys_are_type_errors_that_say_what_they_are(
    key: t.Any, what: str
) -> None:
    import flask

    with pytest.raises(TypeError):  # issubclass() fails inside Flask
        flask.Flask(__name__).errorhandler(key)(str)
    with pytest.raises(TypeError) as caught:
        Tocsin(__name__).errorhandler(key)(str)
    assert str(caught.value) == (
        f"{key!r} {what}. Handlers can only be registered for Exception classes or HTTP error "
        "codes."
    )
