"""Registering something that is not callable is a clear TypeError at once, not later."""

from __future__ import annotations

import typing as t

import pytest

from tocsin import Blueprint, Tocsin, render_template_string

_DECORATOR_HINT = "Use it as a decorator, @{what}, on a function."
_CALL_HINT = "Pass it a function."


def _message(what: str, value: t.Any) -> str:
    hint = _CALL_HINT if what.startswith(("add_", "register_")) else _DECORATOR_HINT
    return (
        f"{what} needs a callable, got {value!r} of type {type(value).__name__}."
        f" {hint.format(what=what)}"
    )


@pytest.mark.parametrize("value", [None, 1, "view"])
def test_route_of_a_non_callable(app: Tocsin, value: t.Any) -> None:
    with pytest.raises(TypeError) as info:
        app.route("/c", endpoint="c")(value)
    assert str(info.value) == _message("route", value)
    with pytest.raises(TypeError) as info:
        app.get("/d")(value)
    assert str(info.value) == _message("route", value)
    assert [r.rule for r in app.url_map.iter_rules()] == ["/static/<path:filename>"]
    assert set(app.view_functions) == {"static"}


@pytest.mark.parametrize("value", [None, 1])
def test_blueprint_route_of_a_non_callable(app: Tocsin, value: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError) as info:
        bp.route("/")(value)
    assert str(info.value) == _message("route", value)
    with pytest.raises(TypeError) as info:
        bp.add_url_rule("/x", "x", value or 2)
    assert str(info.value) == _message("add_url_rule", value or 2)
    assert bp.deferred_functions == []
    app.register_blueprint(bp)  # nothing was recorded: registers cleanly
    assert "bp" in app.blueprints


@pytest.mark.parametrize("kind", ["filter", "test"])
def test_template_decorators_of_a_non_callable(app: Tocsin, kind: str) -> None:
    with pytest.raises(TypeError) as info:
        getattr(app, f"template_{kind}")()(1)
    assert str(info.value) == _message(f"template_{kind}", 1)
    with pytest.raises(TypeError) as info:
        getattr(app, f"template_{kind}")("named")(None)
    assert str(info.value) == _message(f"template_{kind}", None)
    with pytest.raises(TypeError) as info:
        getattr(app, f"add_template_{kind}")(1)
    assert str(info.value) == _message(f"add_template_{kind}", 1)
    with pytest.raises(TypeError) as info:
        getattr(app, f"template_{kind}")(1)  # neither a name nor a function
    assert str(info.value) == (
        f"template_{kind} takes a name (a string) or a function, got 1 of type int."
    )
    store = {"filter": app.jinja_env.filters, "test": app.jinja_env.tests}.get(
        kind, app.jinja_env.globals
    )
    assert "named" not in store


@pytest.mark.parametrize("kind", ["filter", "test"])
def test_blueprint_app_template_decorators_of_a_non_callable(app: Tocsin, kind: str) -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError) as info:
        getattr(bp, f"app_template_{kind}")()(1)
    assert str(info.value) == _message(f"app_template_{kind}", 1)
    with pytest.raises(TypeError) as info:
        getattr(bp, f"add_app_template_{kind}")(None)
    assert str(info.value) == _message(f"add_app_template_{kind}", None)
    assert bp.deferred_functions == []


def test_a_template_global_may_be_any_named_value(app: Tocsin) -> None:
    app.add_template_global({"site": "S"}, "siteinfo")  # as Flask allows
    app.template_global("limit")(10)
    bp = Blueprint("bp", __name__)
    bp.add_app_template_global(("a", "b"), "letters")
    app.register_blueprint(bp)
    with app.test_request_context():
        rendered = render_template_string("{{ siteinfo.site }} {{ limit }} {{ letters[1] }}")
    assert rendered == "S 10 b"
    with pytest.raises(TypeError) as info:
        app.add_template_global(42)
    assert str(info.value) == (
        "add_template_global needs a name for 42, a int without __name__:"
        " add_template_global(value, name='...')."
    )
    with pytest.raises(TypeError, match="needs a name for 42"):
        Blueprint("other", __name__).add_app_template_global(42)  # at once, not when registered


@pytest.mark.parametrize("method", ["record", "record_once"])
def test_blueprint_record_of_a_non_callable(app: Tocsin, method: str) -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError) as info:
        getattr(bp, method)(1)
    assert str(info.value) == _message(method, 1)
    assert bp.deferred_functions == []
    app.register_blueprint(bp)
    assert app.blueprints == {"bp": bp}


def test_callables_still_register(app: Tocsin) -> None:
    class Upper:
        __name__ = "upper"

        def __call__(self, value: str) -> str:
            return value.upper()

    app.template_filter()(Upper())
    app.template_global("answer")(lambda: 42)
    bp = Blueprint("bp", __name__)
    bp.app_template_test("short")(lambda value: len(value) < 3)
    bp.route("/")(lambda: "bp")
    app.register_blueprint(bp, url_prefix="/bp")
    rendered = app.jinja_env.from_string("{{ 'ab'|upper }} {{ answer() }} {{ 'ab' is short }}")
    assert rendered.render() == "AB 42 True"
    assert app.test_client().get("/bp/").data == b"bp"
