"""An app factory, served by real servers in tests/test_servers.py.

``uvicorn --factory server_factory:create_app`` calls it; ``server_app``
serves the app it makes at module level.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc

from tocsin import Tocsin, g, request, session


def create_app() -> Tocsin:
    """A new app: sync and async views, a session, a stream, a lifespan hook."""
    app = Tocsin(__name__)
    app.config["SECRET_KEY"] = "server test"
    served: list[str] = []

    @app.before_serving
    async def starting() -> None:  # run by the ASGI lifespan protocol only
        served.append("lifespan startup")

    @app.before_request
    def before() -> None:
        g.driver = "asgi" if "asgi.scope" in request.environ else "wsgi"

    @app.route("/")
    def index() -> str:
        return f"hello from {g.driver}"

    @app.route("/async/<int:n>")
    async def async_view(n: int) -> dict[str, object]:
        await asyncio.sleep(0)
        return {"n": n, "driver": g.driver}

    @app.route("/served")
    def served_events() -> list[str]:
        return served

    @app.post("/echo")
    def echo() -> dict[str, object]:
        return {"json": request.get_json(), "args": request.args.to_dict()}

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/stream")
    def stream() -> cabc.Iterator[str]:
        def generate() -> cabc.Iterator[str]:
            for i in range(3):
                yield f"{i}:{request.path};"

        return generate()

    return app
