"""tocsin.logging beside flask.logging: wsgi_errors_stream, default_handler, has_level_handler,
create_logger; and where a log line goes under each driver."""

from __future__ import annotations

import io
import logging
import sys
import typing as t

import flask
import flask.logging
import pytest
from werkzeug.local import LocalProxy

import tocsin.logging
from tocsin import Tocsin, current_app, request
from tocsin.testing import TestClient

FORMAT = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"


@pytest.fixture
def fresh_logger_name(request: pytest.FixtureRequest) -> t.Iterator[str]:
    """A logger name no other test uses; its handlers are removed afterwards."""
    name = f"tocsin-test-logging.{request.node.name}"
    yield name
    for each in (name, f"{name}.child"):
        logger = logging.getLogger(each)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def test_the_public_names_include_flasks() -> None:
    flasks = {
        name
        for name, value in vars(flask.logging).items()
        if not name.startswith("_") and getattr(value, "__module__", None) != "typing"
    } - {"LocalProxy", "annotations", "logging", "request", "sys", "t"}
    assert flasks == {"create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"}
    assert set(tocsin.logging.__all__) == flasks


# -- wsgi_errors_stream ---------------------------------------------------------------


@pytest.mark.parametrize("module", [tocsin.logging, flask.logging], ids=["tocsin", "flask"])
def test_wsgi_errors_stream_is_a_proxy_to_stderr_outside_a_request(module: t.Any) -> None:
    stream = module.wsgi_errors_stream
    assert isinstance(stream, LocalProxy)
    assert stream._get_current_object() is sys.stderr
    assert repr(stream) == repr(sys.stderr)


def test_wsgi_errors_stream_follows_sys_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    tocsin.logging.wsgi_errors_stream.write("to stderr\n")
    tocsin.logging.wsgi_errors_stream.flush()
    assert capsys.readouterr() == ("", "to stderr\n")


@pytest.mark.parametrize(
    ("module", "app_class"),
    [(tocsin.logging, Tocsin), (flask.logging, flask.Flask)],
    ids=["tocsin", "flask"],
)
def test_inside_a_request_it_is_the_requests_wsgi_errors(
    module: t.Any, app_class: t.Any, fresh_logger_name: str
) -> None:
    app = app_class(own_logger(fresh_logger_name))
    buffer = io.StringIO()
    with app.test_request_context("/", errors_stream=buffer):
        assert module.wsgi_errors_stream._get_current_object() is buffer
        app.logger.error("boom")
        module.wsgi_errors_stream.write("raw\n")
    assert module.wsgi_errors_stream._get_current_object() is sys.stderr
    line, raw = buffer.getvalue().splitlines()
    assert line.startswith("[") and line.endswith("] ERROR in test_logging: boom")
    assert raw == "raw"


def test_an_environ_without_wsgi_errors_gives_stderr() -> None:
    app = Tocsin("logging_test_app")
    with app.test_request_context("/") as ctx:
        del ctx.environ["wsgi.errors"]
        assert tocsin.logging.wsgi_errors_stream._get_current_object() is sys.stderr


def own_logger(name: str) -> str:
    """Keep the logger ``name`` from propagating to pytest's capture, so the
    app's logger gets the default handler, as outside pytest."""
    logging.getLogger(name).propagate = False
    return name


def logging_app(name: str) -> Tocsin:
    app = Tocsin(own_logger(name))

    @app.get("/log")
    def log() -> str:
        current_app.logger.error("from the view")
        return "logged"

    @app.get("/environ")
    def environ() -> str:
        stream = request.environ["wsgi.errors"]
        current_app.logger.error("after the environ")
        return "stderr" if stream is sys.stderr else type(stream).__name__

    return app


def test_under_wsgi_a_view_logs_to_the_servers_wsgi_errors(
    capsys: pytest.CaptureFixture[str], fresh_logger_name: str
) -> None:
    client = logging_app(fresh_logger_name).test_client()
    buffer = io.StringIO()
    response = client.get("/log", errors_stream=buffer)
    assert response.text == "logged"
    assert buffer.getvalue().endswith("] ERROR in test_logging: from the view\n")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("path", ["/log", "/environ"])
def test_under_asgi_wsgi_errors_is_stderr_and_logging_reaches_it(
    capsys: pytest.CaptureFixture[str], path: str, fresh_logger_name: str
) -> None:
    client: TestClient = logging_app(fresh_logger_name).test_client(driver="asgi")
    buffer = io.StringIO()
    response = client.get(path, errors_stream=buffer)  # ASGI has no such stream
    message = {"/log": "from the view", "/environ": "after the environ"}[path]
    assert response.text == {"/log": "logged", "/environ": "stderr"}[path]
    assert buffer.getvalue() == ""
    err = capsys.readouterr().err
    assert err.startswith("[")
    assert err.endswith(f"] ERROR in test_logging: {message}\n")


# -- default_handler, has_level_handler, create_logger --------------------------------


@pytest.mark.parametrize("module", [tocsin.logging, flask.logging], ids=["tocsin", "flask"])
def test_default_handler(module: t.Any) -> None:
    handler = module.default_handler
    assert type(handler) is logging.StreamHandler
    assert handler.stream is module.wsgi_errors_stream
    assert handler.level == logging.NOTSET
    assert handler.formatter is not None
    assert handler.formatter._fmt == FORMAT
    assert handler.formatter.datefmt is None
    assert repr(handler) == f"<StreamHandler {sys.stderr.name} (NOTSET)>"


def chains(name: str) -> list[tuple[str, t.Callable[[logging.Logger], None]]]:
    """Logger set-ups, each with the answer has_level_handler must give (by Flask)."""

    def nothing(logger: logging.Logger) -> None:
        pass

    def own_handler(logger: logging.Logger) -> None:
        logger.addHandler(logging.NullHandler())

    def handler_above_level(logger: logging.Logger) -> None:
        logger.setLevel(logging.DEBUG)
        handler = logging.NullHandler()
        handler.setLevel(logging.INFO)
        logger.addHandler(handler)

    def handler_on_parent(logger: logging.Logger) -> None:
        logging.getLogger(name).addHandler(logging.NullHandler())

    def parent_but_no_propagation(logger: logging.Logger) -> None:
        logging.getLogger(name).addHandler(logging.NullHandler())
        logger.propagate = False

    return [
        ("nothing", nothing),
        ("own handler", own_handler),
        ("handler above the level", handler_above_level),
        ("handler on the parent", handler_on_parent),
        ("parent, no propagation", parent_but_no_propagation),
    ]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("nothing", False),
        ("own handler", True),
        ("handler above the level", False),
        ("handler on the parent", True),
        ("parent, no propagation", False),
    ],
)
def test_has_level_handler_answers_as_flask(
    fresh_logger_name: str, case: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # pytest's own, on the root
    setups = dict(chains(fresh_logger_name))
    logger = logging.getLogger(f"{fresh_logger_name}.child")
    setups[case](logger)
    assert tocsin.logging.has_level_handler(logger) is expected
    assert flask.logging.has_level_handler(logger) is expected


@pytest.mark.parametrize("module", [tocsin.logging, flask.logging], ids=["tocsin", "flask"])
@pytest.mark.parametrize("debug", [True, False])
def test_create_logger(
    module: t.Any, debug: bool, fresh_logger_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])

    class App:
        name = fresh_logger_name

    App.debug = debug  # type: ignore[attr-defined]
    logger = module.create_logger(App())
    assert logger is logging.getLogger(fresh_logger_name)
    assert logger.level == (logging.DEBUG if debug else logging.NOTSET)
    assert logger.handlers == [module.default_handler]
    assert module.create_logger(App()).handlers == [module.default_handler]


@pytest.mark.parametrize("module", [tocsin.logging, flask.logging], ids=["tocsin", "flask"])
def test_create_logger_keeps_a_level_and_a_handler_set_before(
    module: t.Any, fresh_logger_name: str
) -> None:
    logger = logging.getLogger(fresh_logger_name)
    logger.setLevel(logging.WARNING)
    mine = logging.NullHandler()
    logger.addHandler(mine)

    class App:
        name = fresh_logger_name
        debug = True

    assert module.create_logger(App()) is logger
    assert logger.level == logging.WARNING
    assert logger.handlers == [mine]
