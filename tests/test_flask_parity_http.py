"""HTTP behaviours matched to Flask 3.1.3: limits, url_for, hosts, streams, JSON, static, client.

Each expectation here was first observed on the real Flask 3.1.3 with the same app.
"""

from __future__ import annotations

import typing as t

import pytest

from tocsin import (
    Tocsin,
    has_app_context,
    has_request_context,
    url_for,
)

_TOO_LARGE = b"<p>The data value transmitted exceeds the capacity limit.</p>"
_BAD_REQUEST = (
    b"<p>The browser (or proxy) sent a request that this server could not understand.</p>"
)


@pytest.fixture(autouse=True)
def _no_leaked_context() -> t.Iterator[None]:
    yield
    assert not has_request_context()
    assert not has_app_context()


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
