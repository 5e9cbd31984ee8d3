"""The apps ``bad_input.py`` serves: the same views in Tocsin (``app``) and Flask (``flask_app``).

Every response the app itself makes carries ``X-App: 1`` (an ``after_request``
function), so the matrix can tell an app's answer from a server's rejection.
``MAX_CONTENT_LENGTH`` is 1024 bytes.
"""

from __future__ import annotations

import typing as t

LIMIT = 1024


def _views(app: t.Any, request: t.Any, session: t.Any) -> None:
    app.config.update(SECRET_KEY="bad input", MAX_CONTENT_LENGTH=LIMIT)

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.route("/p/<seg>")
    def segment(seg: str) -> str:
        return seg

    @app.route("/q")
    def query() -> dict[str, t.Any]:
        return {"args": request.args.to_dict(flat=False)}

    @app.post("/json")
    def json_body() -> dict[str, t.Any]:
        return {"json": request.get_json()}

    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {"form": request.form.to_dict(), "files": sorted(request.files)}

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    @app.route("/cookies")
    def cookies() -> dict[str, t.Any]:
        return {"cookies": request.cookies.to_dict(), "session": dict(session)}

    @app.after_request
    def mark(response: t.Any) -> t.Any:
        response.headers["X-App"] = "1"
        return response


def _tocsin() -> t.Any:
    from tocsin import Tocsin, request, session

    app = Tocsin(__name__)
    _views(app, request, session)
    return app


def _flask() -> t.Any:
    from flask import Flask, request, session

    app = Flask(__name__)
    _views(app, request, session)
    return app


app = _tocsin()
asgi = app.asgi
flask_app = _flask()
