"""The context proxies under introspection, outside and inside a context, beside Flask's."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import flask
import flask.globals
import pytest
from werkzeug.local import LocalProxy

import tocsin
import tocsin.globals
from tocsin import Tocsin
from tocsin.ctx import _AppCtxGlobals

NAMES = ["g", "request", "session", "current_app", "request_ctx", "app_ctx"]
REQUEST_NAMES = {"request", "session", "request_ctx"}


def ours(name: str) -> t.Any:
    return getattr(tocsin.globals, name)


def theirs(name: str) -> t.Any:
    return getattr(flask.globals, name)


def outcome(probe: t.Callable[[t.Any], t.Any], proxy: t.Any) -> tuple[str, t.Any]:
    """What ``probe(proxy)`` gives: ``("value", v)`` or ``("raises", exception type)``."""
    try:
        value = probe(proxy)
    except Exception as exc:
        return ("raises", type(exc))
    if type(value).__name__ == "ContextVar":  # the names of the variables differ
        return ("value", "a ContextVar")
    return ("value", value)


PROBES: dict[str, t.Callable[[t.Any], t.Any]] = {
    "hasattr __wrapped__": lambda p: hasattr(p, "__wrapped__"),
    "__wrapped__": lambda p: p.__wrapped__,
    "repr": repr,
    "str": str,
    "bool": bool,
    "inspect.isclass": inspect.isclass,
    "inspect.isroutine": inspect.isroutine,
    "inspect.isfunction": inspect.isfunction,
    "inspect.ismodule": inspect.ismodule,
    "inspect.unwrap": inspect.unwrap,
    "inspect.getmembers": inspect.getmembers,
    "inspect.getdoc": inspect.getdoc,
    "__doc__": lambda p: p.__doc__,
    "dir": dir,
    "callable": callable,
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "isinstance LocalProxy": lambda p: isinstance(p, LocalProxy),
    "isinstance dict": lambda p: isinstance(p, dict),
    "== 1": lambda p: p == 1,
    "hash": hash,
    "iter": iter,
    "len": len,
    "in": lambda p: "x" in p,
    "getattr with a default": lambda p: getattr(p, "anything", "default"),
    "hasattr __test__": lambda p: hasattr(p, "__test__"),
    "__name__": lambda p: p.__name__,
    "__dict__": lambda p: p.__dict__,
    "_get_current_object": lambda p: p._get_current_object(),
    "setattr": lambda p: setattr(p, "x", 1),
    "inspect.signature": inspect.signature,
}


@pytest.mark.parametrize("probe", list(PROBES), ids=list(PROBES))
@pytest.mark.parametrize("name", NAMES)
def test_outside_a_context_each_proxy_answers_like_flasks(name: str, probe: str) -> None:
    assert outcome(PROBES[probe], ours(name)) == outcome(PROBES[probe], theirs(name))


@pytest.mark.parametrize("name", NAMES)
def test_outside_a_context_the_exact_answers(name: str) -> None:
    proxy = ours(name)
    variable = tocsin.globals._cv_request if name in REQUEST_NAMES else tocsin.globals._cv_app
    assert hasattr(proxy, "__wrapped__") is True
    assert proxy.__wrapped__ is variable
    assert inspect.unwrap(proxy) is variable
    assert repr(proxy) == "<LocalProxy unbound>"
    assert bool(proxy) is False
    assert inspect.isclass(proxy) is False
    assert inspect.getmembers(proxy) == []
    assert dir(proxy) == []
    assert proxy.__doc__ == LocalProxy.__doc__
    message = tocsin.globals._no_req_msg if name in REQUEST_NAMES else tocsin.globals._no_app_msg
    for probe in (copy.copy, str, lambda p: p.anything, lambda p: p._get_current_object()):
        with pytest.raises(RuntimeError) as caught:
            probe(proxy)
        assert str(caught.value) == message


def test_outside_a_context_the_module_is_that_of_the_proxys_class() -> None:
    # Flask's g is a plain LocalProxy; tocsin's is a subclass (its fast path).
    assert flask.g.__module__ == "werkzeug.local"
    assert tocsin.g.__module__ == "tocsin.globals"
    for name in NAMES[1:]:
        assert ours(name).__module__ == "werkzeug.local"
    assert type(tocsin.g).__mro__[1] is LocalProxy


def test_the_unbound_app_message_is_flasks() -> None:
    with pytest.raises(RuntimeError) as ours_caught:
        tocsin.g.x  # noqa: B018
    with pytest.raises(RuntimeError) as theirs_caught:
        flask.g.x  # noqa: B018
    assert str(ours_caught.value) == str(theirs_caught.value)


# -- inside a context ---------------------------------------------------------------


def test_inside_an_app_context_g_forwards_as_flasks_does() -> None:
    app = Tocsin("introspected")
    theirs_app = flask.Flask("introspected")
    with app.app_context(), theirs_app.app_context():
        for g in (tocsin.g, flask.g):
            g.x = 1
            g._private = 2
            assert (g.x, g._private, "x" in g, g.get("x"), sorted(g)) == (
                1,
                2,
                True,
                1,
                ["_private", "x"],
            )
            assert g.__dict__ == {"x": 1, "_private": 2}
            assert hasattr(g, "__wrapped__") is False
            assert inspect.isclass(g) is False
            assert bool(g) is True
            del g.x
            assert "x" not in g
        assert tocsin.g._get_current_object() is tocsin.globals._cv_app.get().g
        assert tocsin.g.__class__ is _AppCtxGlobals
        assert type(copy.copy(tocsin.g)) is _AppCtxGlobals
        assert tocsin.g.__doc__ == _AppCtxGlobals.__doc__
        assert repr(tocsin.g) == "<tocsin.g of 'introspected'>"
        assert repr(flask.g) == "<flask.g of 'introspected'>"
        assert inspect.unwrap(tocsin.g) is tocsin.g


def test_inside_a_request_the_request_proxies_forward() -> None:
    app = Tocsin("introspected")
    app.secret_key = "k"
    with app.test_request_context("/?a=1"):
        assert tocsin.request.args["a"] == "1"
        assert tocsin.request.__class__ is app.request_class
        assert hasattr(tocsin.request, "__wrapped__") is False
        assert bool(tocsin.session) is False
        assert tocsin.current_app._get_current_object() is app


# -- pytest --doctest-modules -------------------------------------------------------


@pytest.mark.parametrize("package", ["tocsin", "flask"])
def test_doctest_collection_of_a_module_importing_the_proxies(tmp_path: Path, package: str) -> None:
    module = tmp_path / "uses_proxies.py"
    module.write_text(
        textwrap.dedent(
            f'''\
            """A module that imports the proxies.

            >>> 1 + 1
            2
            """

            from {package} import current_app, g, request, session


            def double(x):
                """Double.

                >>> double(2)
                4
                """
                return 2 * x
            '''
        )
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error"]
    result = subprocess.run(
        [*command, "-q", "--doctest-modules", str(module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("2 passed in ")
