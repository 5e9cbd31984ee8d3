"""Flask-CORS 6.0.5: CORS(app), per-resource options, preflight, cross_origin, errors."""

from __future__ import annotations

import typing as t

import flask
from flask_cors import CORS, cross_origin

ORIGIN = "https://app.example"
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Vary",
)


def cors_headers(response: t.Any) -> dict[str, str]:
    return {name: response.headers[name] for name in CORS_HEADERS if name in response.headers}


def allowed(response: t.Any) -> list[str]:
    """The methods of an ``Allow`` header, sorted (Werkzeug gives them in set order)."""
    return sorted(response.headers["Allow"].split(", "))


def add_views(app: flask.Flask) -> None:
    @app.route("/api/items", methods=["GET", "POST"])
    def items() -> t.Any:
        return {"items": [1, 2]}

    @app.get("/api/forbidden")
    def forbidden() -> str:
        flask.abort(403)

    @app.get("/public")
    def public() -> str:
        return "public"


def test_cors_app_adds_the_headers_to_every_response(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True
    add_views(app)
    CORS(app)
    client = make_client(app)
    reflected = {"Access-Control-Allow-Origin": ORIGIN, "Vary": "Origin"}
    response = client.get("/public", headers={"Origin": ORIGIN})
    assert (response.text, cors_headers(response)) == ("public", reflected)
    # no Origin header: the wildcard
    assert cors_headers(client.get("/public")) == {"Access-Control-Allow-Origin": "*"}
    # errors get the headers too: the extension wraps the app's exception handlers
    forbidden = client.get("/api/forbidden", headers={"Origin": ORIGIN})
    assert (forbidden.status_code, cors_headers(forbidden)) == (403, reflected)
    missing = client.get("/nowhere", headers={"Origin": ORIGIN})
    assert (missing.status_code, cors_headers(missing)) == (404, reflected)


def test_preflight_options_response(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True
    add_views(app)
    CORS(app, max_age=600)
    client = make_client(app)
    response = client.options(
        "/api/items",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Trace",
        },
    )
    assert (response.status_code, response.text) == (200, "")
    assert allowed(response) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        "Access-Control-Allow-Headers": "Content-Type, X-Trace",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def test_resource_specific_options(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True
    add_views(app)
    CORS(
        app,
        resources={r"/api/*": {"origins": [ORIGIN], "expose_headers": ["X-Total"]}},
        supports_credentials=True,
    )
    client = make_client(app)
    response = client.post("/api/items", headers={"Origin": ORIGIN})
    assert response.json == {"items": [1, 2]}
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total",
    }
    other = client.get("/api/items", headers={"Origin": "https://evil.example"})
    assert (other.status_code, cors_headers(other)) == (200, {})
    assert cors_headers(client.get("/public", headers={"Origin": ORIGIN})) == {}


def test_cross_origin_decorator(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True

    @app.route("/widget", methods=["GET", "PUT"])
    @cross_origin(origins=[ORIGIN], methods=["GET", "PUT"], max_age=60)
    def widget() -> str:
        return f"widget {flask.request.method}"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    client = make_client(app)
    response = client.put("/widget", headers={"Origin": ORIGIN})
    assert (response.text, cors_headers(response)) == (
        "widget PUT",
        {"Access-Control-Allow-Origin": ORIGIN},
    )
    preflight = client.options(
        "/widget", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert (preflight.status_code, allowed(preflight)) == (200, ["GET", "HEAD", "OPTIONS", "PUT"])
    assert cors_headers(preflight) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Methods": "GET, PUT",
        "Access-Control-Max-Age": "60",
    }
    assert cors_headers(client.get("/plain", headers={"Origin": ORIGIN})) == {}


def test_cors_options_from_the_config(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, CORS_ORIGINS=[ORIGIN], CORS_ALLOW_HEADERS=["X-Trace"])
    add_views(app)
    CORS(app)
    client = make_client(app)
    preflight = client.options(
        "/public",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-trace",
        },
    )
    assert cors_headers(preflight) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        "Access-Control-Allow-Headers": "x-trace",
    }
    assert cors_headers(client.get("/public", headers={"Origin": "https://other.example"})) == {}


def test_cors_on_a_blueprint(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True
    api = flask.Blueprint("api", __name__, url_prefix="/api")

    @api.get("/data")
    def data() -> t.Any:
        return {"data": True}

    CORS(api)
    app.register_blueprint(api)

    @app.get("/page")
    def page() -> str:
        return "page"

    client = make_client(app)
    assert cors_headers(client.get("/api/data", headers={"Origin": ORIGIN})) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Vary": "Origin",
    }
    assert cors_headers(client.get("/page", headers={"Origin": ORIGIN})) == {}


def test_an_unhandled_error_response_gets_the_headers(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("boom")

    CORS(app)
    response = make_client(app).get("/crash", headers={"Origin": ORIGIN})
    assert (response.status_code, cors_headers(response)) == (
        500,
        {"Access-Control-Allow-Origin": ORIGIN, "Vary": "Origin"},
    )
