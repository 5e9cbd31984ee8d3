"""``app.run()``: its arguments to Werkzeug's ``run_simple``, as in Flask, without a server."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
import werkzeug.serving

from tocsin import Tocsin
from tocsin.testing import TestClient

#: Variables that change what app.run() does; none of the outer environment's reach a test.
ENV_VARS = (
    "TOCSIN_RUN_FROM_CLI",
    "FLASK_RUN_FROM_CLI",
    "TOCSIN_DEBUG",
    "FLASK_DEBUG",
    "TOCSIN_SKIP_DOTENV",
    "FLASK_SKIP_DOTENV",
    "WERKZEUG_RUN_MAIN",
)

Calls = list[tuple[tuple[t.Any, ...], dict[str, t.Any]]]

BANNER_OFF = " * Serving Tocsin app 'tocsin_test_app'\n * Debug mode: off\n"
BANNER_ON = " * Serving Tocsin app 'tocsin_test_app'\n * Debug mode: on\n"
IGNORED = (
    " * Ignoring a call to 'app.run()' that would block the current 'tocsin' CLI command.\n"
    "   Only call 'app.run()' in an 'if __name__ == \"__main__\"' guard.\n"
)


def unset(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Unset *name* now, and restore its outer value (or absence) after the test."""
    monkeypatch.setenv(name, "recorded")  # so the undo also removes what the test sets
    monkeypatch.delenv(name)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Calls:
    """The calls to ``werkzeug.serving.run_simple``, which is replaced: no server starts."""
    for name in ENV_VARS:
        unset(monkeypatch, name)
    monkeypatch.chdir(tmp_path)  # no dotenv file around
    calls: Calls = []
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_run_defaults(app: Tocsin, served: Calls, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.run() is None
    assert served == [
        (("127.0.0.1", 5000, app), {"use_reloader": False, "use_debugger": False, "threaded": True})
    ]
    assert capsys.readouterr().out == BANNER_OFF


def test_run_passes_options(app: Tocsin, served: Calls) -> None:
    app.run("0.0.0.0", 8080, use_reloader=True, threaded=False, ssl_context="adhoc")
    assert served == [
        (
            ("0.0.0.0", 8080, app),
            {
                "use_reloader": True,
                "use_debugger": False,
                "threaded": False,
                "ssl_context": "adhoc",
            },
        )
    ]


def test_run_port_zero_is_kept(app: Tocsin, served: Calls) -> None:
    app.config["SERVER_NAME"] = "example.test:8000"
    app.run(port=0)
    assert [args[:2] for args, _ in served] == [("example.test", 0)]


@pytest.mark.parametrize(
    ("server_name", "host", "port", "expected"),
    [
        ("example.test:8000", None, None, ("example.test", 8000)),
        ("example.test", None, None, ("example.test", 5000)),
        ("example.test:8000", "10.0.0.1", None, ("10.0.0.1", 8000)),
        ("example.test:8000", None, 9000, ("example.test", 9000)),
        ("example.test:8000", None, "9001", ("example.test", 9001)),
        (None, None, "9002", ("127.0.0.1", 9002)),
    ],
)
def test_run_host_and_port_from_server_name(
    app: Tocsin,
    served: Calls,
    server_name: str | None,
    host: str | None,
    port: int | str | None,
    expected: tuple[str, int],
) -> None:
    app.config["SERVER_NAME"] = server_name
    app.run(host, port)  # type: ignore[arg-type]  # a str port is converted, as in Flask
    assert [args[:2] for args, _ in served] == [expected]


@pytest.mark.parametrize("variable", ["TOCSIN_RUN_FROM_CLI", "FLASK_RUN_FROM_CLI"])
def test_run_under_the_command_line_returns_at_once(
    app: Tocsin,
    served: Calls,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
) -> None:
    monkeypatch.setenv(variable, "true")
    app.run(debug=True)
    assert served == []
    assert capsys.readouterr().out == IGNORED
    assert app.debug is False  # nothing else was done


def test_run_under_the_command_line_in_the_reloader_is_silent(
    app: Tocsin,
    served: Calls,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOCSIN_RUN_FROM_CLI", "true")
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    app.run()
    assert served == []
    assert capsys.readouterr().out == ""


def test_run_from_cli_must_be_true(
    app: Tocsin, served: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_RUN_FROM_CLI", "1")  # Flask compares with "true" only
    app.run()
    assert len(served) == 1


@pytest.mark.parametrize("variable", ["TOCSIN_DEBUG", "FLASK_DEBUG"])
def test_run_reads_debug_from_the_environment_again(
    app: Tocsin,
    served: Calls,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
) -> None:
    assert app.debug is False
    monkeypatch.setenv(variable, "1")
    app.run()
    assert app.debug is True
    assert served[0][1] == {"use_reloader": True, "use_debugger": True, "threaded": True}
    assert capsys.readouterr().out == BANNER_ON


def test_run_environment_turns_debug_off(
    app: Tocsin, served: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.debug = True
    monkeypatch.setenv("TOCSIN_DEBUG", "0")
    app.run()
    assert app.debug is False


def test_run_debug_argument_wins(
    app: Tocsin, served: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DEBUG", "1")
    app.run(debug=False)
    assert app.debug is False
    assert served[0][1]["use_reloader"] is False


def test_run_without_debug_variable_keeps_debug(app: Tocsin, served: Calls) -> None:
    app.debug = True
    app.run()
    assert app.debug is True


@pytest.mark.parametrize(
    ("load_dotenv", "skip"), [(False, None), (True, "1")], ids=["argument", "skip-variable"]
)
def test_run_without_dotenv_leaves_debug(
    app: Tocsin,
    served: Calls,
    monkeypatch: pytest.MonkeyPatch,
    load_dotenv: bool,
    skip: str | None,
) -> None:
    """As in Flask, the debug variable is read again only along with the dotenv files."""
    monkeypatch.setenv("TOCSIN_DEBUG", "1")
    if skip is not None:
        monkeypatch.setenv("TOCSIN_SKIP_DOTENV", skip)
    app.run(load_dotenv=load_dotenv)
    assert app.debug is False


def test_run_loads_dotenv_files(
    app: Tocsin, served: Calls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = {".tocsinenv": "TOCSIN_DEBUG=0\n", ".env": "TOCSIN_DEBUG=1\nRUN_ENV=x\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    unset(monkeypatch, "RUN_ENV")
    app.run()
    assert (os.environ["TOCSIN_DEBUG"], os.environ["RUN_ENV"]) == ("1", "x")  # .env wins
    assert app.debug is True


def test_run_resets_the_first_request_flag(app: Tocsin, client: TestClient, served: Calls) -> None:
    app.add_url_rule("/", "index", lambda: "index")
    assert client.get("/").data == b"index"
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.add_url_rule("/late", "late", lambda: "late")
    app.run()
    app.add_url_rule("/late", "late", lambda: "late")  # setup is allowed again, as in Flask
    assert client.get("/late").data == b"late"


def test_run_resets_the_first_request_flag_when_the_server_fails(
    app: Tocsin, client: TestClient, served: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: t.Any, **kwargs: t.Any) -> None:
        raise OSError("address in use")

    monkeypatch.setattr(werkzeug.serving, "run_simple", fail)
    client.get("/")
    with pytest.raises(OSError, match="address in use"):
        app.run()
    app.add_url_rule("/late", "late", lambda: "late")
    assert client.get("/late").data == b"late"
