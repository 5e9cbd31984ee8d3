"""What Flask extensions rely on in Flask 3.1, reproduced without the extensions."""

from __future__ import annotations

import copy
import gc
import weakref

import pytest

from tocsin import Blueprint, Tocsin
from tocsin.globals import app_ctx, request_ctx
from tocsin.testing import TestClient
from tocsin.wrappers import Response


def test_contexts_accept_new_attributes(app: Tocsin, client: TestClient) -> None:
    """Extensions keep per-request state on the contexts (Flask-Limiter does)."""
    seen: list[object] = []

    @app.before_request
    def remember() -> None:
        request_ctx._limiter_request_context = {"hits": 1}
        app_ctx._ext_state = "on the app context"

    @app.get("/")
    def index() -> str:
        seen.append(request_ctx._limiter_request_context)
        seen.append(app_ctx._ext_state)
        return "ok"

    assert client.get("/").text == "ok"
    assert seen == [{"hits": 1}, "on the app context"]
    with app.test_request_context("/") as ctx:
        ctx.anything = 5
        assert request_ctx.anything == 5
    with app.app_context() as actx:
        actx.other = 6
        assert app_ctx.other == 6


def test_the_test_driver_variable_picks_the_default_driver(
    app: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TOCSIN_TEST_DRIVER=asgi`` runs an unchanged suite through the ASGI driver."""

    @app.get("/")
    def index() -> str:
        return "ok"

    monkeypatch.setenv("TOCSIN_TEST_DRIVER", "asgi")
    client = app.test_client()
    assert (client.driver, client.get("/").text) == ("asgi", "ok")
    assert app.test_client(driver="wsgi").driver == "wsgi"  # an explicit driver wins
    monkeypatch.setenv("TOCSIN_TEST_DRIVER", "")
    assert app.test_client().driver == "wsgi"
    monkeypatch.setenv("TOCSIN_TEST_DRIVER", "uwsgi")
    with pytest.raises(ValueError) as info:
        app.test_client()
    assert str(info.value) == "TOCSIN_TEST_DRIVER must be one of ('wsgi', 'asgi'), not 'uwsgi'"


def test_hook_lists_changed_directly_are_seen_from_the_next_request(
    app: Tocsin, client: TestClient
) -> None:
    """Extensions append to Flask's registries, at setup or later, even during a request."""
    calls: list[str] = []

    def late_after(response: Response) -> Response:
        calls.append("late after_request")
        return response

    @app.get("/")
    def index() -> str:
        calls.append("view")
        if late_after not in app.after_request_funcs[None]:
            app.after_request_funcs[None].append(late_after)  # during a request
        return "ok"

    assert client.get("/").text == "ok"
    assert calls == ["view"]  # this request kept its plan
    assert client.get("/").text == "ok"
    assert calls == ["view", "view", "late after_request"]

    calls.clear()
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append("before"))
    app.teardown_request_funcs[None] += [lambda exc: calls.append(f"teardown {exc}")]
    app.teardown_appcontext_funcs.append(lambda exc: calls.append(f"appcontext {exc}"))
    app.url_value_preprocessors[None].append(lambda ep, values: calls.append(f"values {ep}"))
    assert client.get("/").text == "ok"
    assert calls == [
        "values index",
        "before",
        "view",
        "late after_request",
        "teardown None",
        "appcontext None",
    ]

    calls.clear()
    app.after_request_funcs[None].remove(late_after)
    del app.before_request_funcs[None]
    app.teardown_request_funcs = {}  # a new dict replaces the registry
    app.teardown_appcontext_funcs.clear()
    app.url_value_preprocessors[None][0] = lambda ep, values: calls.append("other values")
    assert client.get("/").text == "ok"
    assert calls == ["other values", "view"]
    assert type(app.teardown_request_funcs).__name__ == "HookRegistry"


def test_a_blueprints_scope_changed_directly_is_seen(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []
    bp = Blueprint("bp", __name__)

    @bp.get("/bp")
    def in_bp() -> str:
        return "bp"

    app.register_blueprint(bp)
    assert client.get("/bp").text == "bp"
    app.before_request_funcs["bp"].append(lambda: calls.append("bp before"))
    app.after_request_funcs.update({None: [lambda r: calls.append("app after") or r]})
    assert client.get("/bp").text == "bp"
    assert calls == ["bp before", "app after"]


def test_registries_are_dicts_of_lists_that_hold_no_app_alive() -> None:
    app = Tocsin("gone")
    app.before_request(lambda: None)
    registry = app.before_request_funcs
    assert isinstance(registry, dict) and isinstance(registry[None], list)
    assert registry["never registered"] == []
    assert copy.deepcopy(registry) == {None: registry[None], "never registered": []}
    assert type(copy.copy(registry[None])) is list
    ref = weakref.ref(app)
    del app
    gc.collect()
    assert ref() is None
    registry[None].append(lambda: None)  # the app is gone: nothing to tell
    assert len(registry[None]) == 2


def test_an_app_is_freed_without_the_garbage_collector(driver: str) -> None:
    """No reference cycle keeps an app alive (routes, hooks, blueprints, its ASGI app)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage
    try:
        app = Tocsin("freed")  # with its static route
        bp = Blueprint("bp", __name__)
        bp.before_request(lambda: None)
        app.register_blueprint(bp)
        app.get("/")(lambda: "ok")
        app.teardown_appcontext(lambda exc: None)
        assert app.asgi.app is app
        client = app.test_client(driver=driver)
        assert client.get("/").text == "ok"
        del client, app, bp
        gc.collect()
        in_cycles = {
            type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("tocsin")
        }
        # (A Werkzeug Map and its rules refer to each other, by Werkzeug's design.)
        assert in_cycles - {"WatchedMap"} == set()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_sansio_classes_are_the_bases_of_tocsins() -> None:
    """``flask.sansio``'s App, Scaffold and Blueprint: what extensions isinstance-check."""
    import tocsin.blueprints
    from tocsin.sansio.app import App
    from tocsin.sansio.blueprints import Blueprint as SansioBlueprint
    from tocsin.sansio.blueprints import BlueprintSetupState
    from tocsin.sansio.scaffold import Scaffold, _endpoint_from_view_func, setupmethod

    app = Tocsin("sansio")
    bp = Blueprint("bp", __name__)
    assert isinstance(app, App) and isinstance(app, Scaffold)
    assert isinstance(bp, SansioBlueprint) and isinstance(bp, Scaffold)
    assert Tocsin.__mro__.index(App) < Tocsin.__mro__.index(Scaffold)
    assert tocsin.blueprints.BlueprintSetupState is BlueprintSetupState
    assert setupmethod is tocsin.scaffold.setupmethod

    def show_user() -> str:
        return ""

    assert _endpoint_from_view_func(show_user) == "show_user"
    states: list[object] = []
    bp.record(states.append)
    app.register_blueprint(bp)
    assert [type(s) for s in states] == [BlueprintSetupState]
