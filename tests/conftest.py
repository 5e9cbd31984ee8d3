"""Fixtures shared by the tests: an app, and a client for each driver."""

from __future__ import annotations

import pytest

from tocsin import Tocsin
from tocsin.testing import TestClient


@pytest.fixture
def app() -> Tocsin:
    """A bare app in testing mode (exceptions propagate)."""
    app = Tocsin("tocsin_test_app", root_path="/nonexistent")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture(params=["wsgi", "asgi"])
def driver(request: pytest.FixtureRequest) -> str:
    """The driver a test runs under; every test that takes it runs under both."""
    return str(request.param)


@pytest.fixture
def client(app: Tocsin, driver: str) -> TestClient:
    """A test client of ``app`` running requests through ``driver``."""
    return app.test_client(driver=driver)
