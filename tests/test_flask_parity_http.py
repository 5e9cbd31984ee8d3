"""HTTP behaviours matched to Flask 3.1.3: limits, url_for, hosts, streams, JSON, static, client.

Each expectation here was first observed on the real Flask 3.1.3 with the same app.
"""

from __future__ import annotations

import io
import typing as t

import pytest
from werkzeug.test import create_environ

from tocsin import (
    Tocsin,
    has_app_context,
    has_request_context,
    request,
    url_for,
)
from tocsin.wrappers import Request

_TOO_LARGE = b"<p>The data value transmitted exceeds the capacity limit.</p>"
_BAD_REQUEST = (
    b"<p>The browser (or proxy) sent a request that this server could not understand.</p>"
)


@pytest.fixture(autouse=True)
def _no_leaked_context() -> t.Iterator[None]:
    yield
    assert not has_request_context()
    assert not has_app_context()


# -- 1. request.max_content_length, max_form_memory_size, max_form_parts, per request -------------


def test_limits_outside_an_app_are_werkzeugs() -> None:
    r = Request(create_environ())
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (
        None,
        500_000,
        1_000,
    )
    r.max_content_length, r.max_form_memory_size, r.max_form_parts = 7, 8, 9
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (7, 8, 9)


def test_limits_read_the_config_until_set(app: Tocsin) -> None:
    app.config.update(MAX_CONTENT_LENGTH=100, MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=5)
    with app.app_context():
        r = Request(create_environ())
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 5)
        r.max_content_length, r.max_form_memory_size, r.max_form_parts = 0, 0, 0
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (0, 0, 0)
        app.config["MAX_FORM_PARTS"] = 6  # a value set on the request wins over the config
        assert r.max_form_parts == 0
        r.max_content_length = r.max_form_memory_size = r.max_form_parts = None  # back to config
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 6)


@pytest.fixture
def limits_app(app: Tocsin) -> Tocsin:
    """A before_request function sets the limits the query string gives."""
    app.config["MAX_CONTENT_LENGTH"] = 1_000

    @app.before_request
    def set_limits() -> None:
        q = request.args
        if "mcl" in q:
            request.max_content_length = int(q["mcl"])
        if "mfm" in q:
            request.max_form_memory_size = int(q["mfm"])
        if "mfp" in q:
            request.max_form_parts = int(q["mfp"])

    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {
            "form": request.form.to_dict(),
            "files": sorted(request.files),
            "limits": [
                request.max_content_length,
                request.max_form_memory_size,
                request.max_form_parts,
            ],
        }

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    return app


def _multipart(**fields: t.Any) -> dict[str, t.Any]:
    return {"data": fields, "content_type": "multipart/form-data"}


_DEFAULTS = [1_000, 500_000, 1_000]


@pytest.mark.parametrize(
    ("url", "kwargs", "status", "body"),
    [
        ("/form", {"data": {"a": "1"}}, 200, {"form": {"a": "1"}, "limits": _DEFAULTS}),
        (
            "/form?mcl=3",
            {"data": {"a": "1"}},
            200,
            {"form": {"a": "1"}, "limits": [3, 500_000, 1_000]},
        ),
        ("/form?mcl=3", {"data": {"a": "12"}}, 413, None),
        ("/data?mcl=3", {"data": "abcdef"}, 413, None),
        ("/data?mcl=6", {"data": "abcdef"}, 200, "6"),
        # MAX_FORM_MEMORY_SIZE is for multipart fields (Werkzeug does not apply it otherwise)
        (
            "/form?mfm=3",
            {"data": {"a": "1234"}},
            200,
            {"form": {"a": "1234"}, "limits": [1_000, 3, 1_000]},
        ),
        ("/form", _multipart(a="1234"), 200, {"form": {"a": "1234"}, "limits": _DEFAULTS}),
        ("/form?mfm=3", _multipart(a="1234"), 413, None),
        ("/form?mfm=3", {"data": {"a": "1", "f": "<a file>"}}, 413, None),
        # MAX_FORM_PARTS counts multipart parts only
        (
            "/form?mfp=1",
            {"data": {"a": "1", "b": "2"}},
            200,
            {"form": {"a": "1", "b": "2"}, "limits": [1_000, 500_000, 1]},
        ),
        ("/form?mfp=1", _multipart(a="1", b="2"), 413, None),
        (
            "/form?mfp=2",
            _multipart(a="1", b="2"),
            200,
            {"form": {"a": "1", "b": "2"}, "limits": [1_000, 500_000, 2]},
        ),
    ],
)
def test_limits_set_in_before_request_apply_to_the_body(
    limits_app: Tocsin, driver: str, url: str, kwargs: dict[str, t.Any], status: int, body: t.Any
) -> None:
    data = kwargs.get("data")
    if isinstance(data, dict) and "f" in data:
        kwargs = {**kwargs, "data": {**data, "f": (io.BytesIO(b"x"), "f.txt")}}  # one per run
    rv = limits_app.test_client(driver=driver).post(url, **kwargs)
    assert rv.status_code == status
    if status == 413:
        assert _TOO_LARGE in rv.data
    elif isinstance(body, dict):
        assert rv.json == {"files": [], **body}
    else:
        assert rv.text == body


def test_max_content_length_raised_per_request(limits_app: Tocsin, driver: str) -> None:
    """Under WSGI (as in Flask) a request may allow more than MAX_CONTENT_LENGTH.

    The ASGI driver reads the body before ``before_request`` runs, with the
    config's limit, so there the config value is the most a request can get.
    """
    rv = limits_app.test_client(driver=driver).post("/data?mcl=3000", data="a" * 1_500)
    if driver == "wsgi":
        assert (rv.status_code, rv.text) == (200, "1500")
    else:
        assert (rv.status_code, _TOO_LARGE in rv.data) == (413, True)


# -- 3. url_for with values named like its own parameters -------------------------------------


@pytest.fixture
def names_app(app: Tocsin) -> Tocsin:
    app.add_url_rule("/s/<self>", "s", lambda self: "s")
    app.add_url_rule("/x/<self>/<endpoint>", "x", lambda self, endpoint: "x")
    app.add_url_rule("/v/<values>", "v", lambda values: "v")
    return app


def test_url_for_takes_self_and_other_parameter_names(names_app: Tocsin) -> None:
    with names_app.test_request_context():
        assert url_for("s", self=1) == "/s/1"
        assert names_app.url_for("s", self=1) == "/s/1"
        assert url_for(endpoint="s", self=2) == "/s/2"  # not positional-only, as in Flask
        assert names_app.url_for(endpoint="s", self=3) == "/s/3"
        assert url_for("v", values=4) == names_app.url_for("v", values=4) == "/v/4"
        assert url_for("s", self=1, app=2, error=3) == "/s/1?app=2&error=3"
        assert url_for("v", values=1, anchor="a", method="m", scheme="s", external="e") == (
            "/v/1?anchor=a&method=m&scheme=s&external=e"
        )


def test_url_for_value_named_endpoint_is_a_type_error(names_app: Tocsin) -> None:
    """As in Flask: ``endpoint`` is the endpoint parameter, so it cannot also be a value."""
    with names_app.test_request_context():
        with pytest.raises(
            TypeError, match=r"^url_for\(\) got multiple values for argument 'endpoint'$"
        ):
            url_for("x", self=1, endpoint=2)  # type: ignore[misc, arg-type]  # the point of the test
        with pytest.raises(
            TypeError, match=r"url_for\(\) got multiple values for argument 'endpoint'$"
        ):
            names_app.url_for("x", self=1, endpoint=2)  # type: ignore[misc, arg-type]  # the point of the test
