"""Flask-Limiter 4.1.1 (memory storage): route limits, default limits, exemptions, headers."""

from __future__ import annotations

import typing as t

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests


def create_app(**options: t.Any) -> tuple[flask.Flask, Limiter]:
    app = flask.Flask(__name__)
    app.config["TESTING"] = True
    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=["3 per minute"],
        storage_uri="memory://",
        **options,
    )

    @app.get("/slow")
    @limiter.limit("2/minute")
    def slow() -> str:
        return "slow"

    @app.get("/default")
    def default() -> str:
        return "default"

    @app.get("/health")
    @limiter.exempt
    def health() -> str:
        return "ok"

    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/")
    def admin_index() -> str:
        return "admin"

    limiter.limit("1/minute")(admin)
    app.register_blueprint(admin)
    return app, limiter


def statuses(client: t.Any, path: str, times: int, **kwargs: t.Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def test_a_route_limit_gives_429_on_the_third_request(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert [client.get("/slow").text for _ in range(2)] == ["slow", "slow"]
    refused = client.get("/slow")
    assert refused.status_code == 429
    assert refused.text == TooManyRequests(description="2 per 1 minute").get_body()
    assert "X-RateLimit-Limit" not in refused.headers  # headers are off by default
    # the key is the remote address: another client has its own count
    assert statuses(client, "/slow", 3, environ_base={"REMOTE_ADDR": "10.0.0.9"}) == [
        200,
        200,
        429,
    ]


def test_default_limits_apply_to_undecorated_views(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert statuses(client, "/default", 4) == [200, 200, 200, 429]
    assert client.get("/default").text == TooManyRequests(description="3 per 1 minute").get_body()
    assert statuses(client, "/slow", 3) == [200, 200, 429]  # its own limit, its own count


def test_exempt_views_and_blueprint_limits(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert statuses(client, "/health", 6) == [200] * 6
    assert statuses(client, "/admin/", 2) == [200, 429]


def test_reset_forgets_the_counts(make_client: t.Callable[..., t.Any]) -> None:
    app, limiter = create_app()
    client = make_client(app)
    assert statuses(client, "/slow", 3) == [200, 200, 429]
    limiter.reset()
    assert statuses(client, "/slow", 3) == [200, 200, 429]


def test_rate_limit_headers(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app(headers_enabled=True)
    client = make_client(app)
    responses = [client.get("/slow") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["2", "2", "2"]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["1", "0", "0"]
    for response in responses:
        assert response.headers["X-RateLimit-Reset"].isdigit()
        assert 0 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/default").headers["X-RateLimit-Limit"] == "3"
    assert "X-RateLimit-Limit" not in client.get("/health").headers


def test_a_429_error_handler_and_method_limits(make_client: t.Callable[..., t.Any]) -> None:
    app, limiter = create_app()

    @app.errorhandler(429)
    def too_many(error: TooManyRequests) -> tuple[dict[str, str], int]:
        return {"error": f"slow down: {error.description}"}, 429

    @app.route("/vote", methods=["GET", "POST"])
    @limiter.limit("1/minute", methods=["POST"])
    def vote() -> str:
        return f"vote {flask.request.method}"

    client = make_client(app)
    assert client.post("/vote").text == "vote POST"
    refused = client.post("/vote")
    assert (refused.status_code, refused.json) == (429, {"error": "slow down: 1 per 1 minute"})
    assert [client.get("/vote").text for _ in range(3)] == ["vote GET"] * 3  # GET: no limit


def test_request_filter(make_client: t.Callable[..., t.Any]) -> None:
    app, limiter = create_app()

    @limiter.request_filter
    def trusted() -> bool:
        return flask.request.headers.get("X-Internal") == "yes"

    client = make_client(app)
    assert statuses(client, "/slow", 4, headers={"X-Internal": "yes"}) == [200] * 4
    assert statuses(client, "/slow", 3) == [200, 200, 429]


def test_ratelimit_enabled_false_turns_the_limits_off(make_client: t.Callable[..., t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, RATELIMIT_ENABLED=False)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.get("/")
    @limiter.limit("1/minute")
    def index() -> str:
        return "index"

    assert statuses(make_client(app), "/", 3) == [200, 200, 200]


def test_deduct_when_and_on_breach(make_client: t.Callable[..., t.Any]) -> None:
    app, limiter = create_app()
    breaches: list[str] = []

    def on_breach(limit: t.Any) -> flask.Response:
        breaches.append(str(limit.limit))
        return flask.make_response("custom breach page", 429)

    @app.get("/lookup/<name>")
    @limiter.limit(
        "1/minute", deduct_when=lambda response: response.status_code == 404, on_breach=on_breach
    )
    def lookup(name: str) -> str:
        if name != "known":
            flask.abort(404)
        return name

    client = make_client(app)
    # found: not deducted
    assert [client.get("/lookup/known").status_code for _ in range(3)] == [200, 200, 200]
    assert client.get("/lookup/missing").status_code == 404  # deducted: the limit is used up
    refused = client.get("/lookup/known")
    assert (refused.status_code, refused.text) == (429, "custom breach page")
    assert breaches == ["1 per 1 minute"]


def test_flask_commands_entry_points_are_commands() -> None:
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    app, _ = create_app()
    cli = FlaskGroup(create_app=lambda: app)
    listed = CliRunner().invoke(cli, ["--help"])
    assert "  limiter  Flask-Limiter maintenance & utility commands\n" in listed.output
    result = CliRunner().invoke(cli, ["limiter", "limits"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: Missing dependencies for flask-limiter cli."
        " Please install the cli extra (pip install flask-limiter[cli])\n",
    )
