import tocsin.as_flask  # noqa: I001 -- first: the extensions imported below get Tocsin as flask

# Fixtures of the ecosystem suite: real Flask extensions on Tocsin, on both drivers.
#
# With TOCSIN_AS_FLASK=0 the line above does nothing and the very same tests
# run on the real Flask (one "flask" driver then: Flask has no ASGI driver).

import typing as t

import flask
import pytest

#: The drivers each client test runs under.
DRIVERS = ["wsgi", "asgi"] if tocsin.as_flask.installed() else ["flask"]


@pytest.fixture(scope="session", autouse=True)
def flask_is_what_was_asked() -> None:
    """The whole run is on Tocsin, or (TOCSIN_AS_FLASK=0) on the real Flask, never a mix."""
    on_tocsin = tocsin.as_flask.installed()
    assert (flask.Flask is tocsin.Tocsin) is on_tocsin
    assert on_tocsin is tocsin.as_flask.enabled()


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    """The driver a test's clients use: every test that takes it runs under each."""
    return str(request.param)


@pytest.fixture
def make_client(driver: str) -> t.Callable[..., t.Any]:
    """``make_client(app)``: ``app.test_client()``, or ``app.test_client(driver="asgi")``."""

    def make(app: flask.Flask, **kwargs: t.Any) -> t.Any:
        if driver == "asgi":
            return app.test_client(driver="asgi", **kwargs)
        return app.test_client(**kwargs)

    return make
