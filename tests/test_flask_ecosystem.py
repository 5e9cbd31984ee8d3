"""What Flask extensions rely on in Flask 3.1, reproduced without the extensions."""

from __future__ import annotations

import pytest

from tocsin import Tocsin
from tocsin.globals import app_ctx, request_ctx
from tocsin.testing import TestClient


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
