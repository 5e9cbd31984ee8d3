"""What Flask extensions rely on in Flask 3.1, reproduced without the extensions."""

from __future__ import annotations

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
