"""Testing helpers: a test client for either driver, and a CLI runner.

``app.test_client()`` runs requests through the WSGI driver;
``app.test_client(driver="asgi")`` runs the very same requests through the
ASGI driver (on an event loop owned by the client), so one test can check
both.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextlib
import copy
import functools
import importlib.metadata
import os
import typing as t
from types import TracebackType
from urllib.parse import urlsplit

import werkzeug.test
from click.testing import CliRunner, Result
from werkzeug.test import Client
from werkzeug.wrappers import Request as BaseRequest

from ._asgi_http import scope_from_environ
from ._async import LoopHolder
from .wrappers import status_line

if t.TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from .app import Tocsin
    from .ctx import RequestContext
    from .sessions import SessionMixin
    from .typing import StartResponse, WSGIEnvironment

__all__ = ["EnvironBuilder", "FlaskCliRunner", "FlaskClient", "TestClient", "TocsinCliRunner"]

DRIVERS = ("wsgi", "asgi")


@functools.cache
def _werkzeug_version() -> str:
    """The installed Werkzeug's version, for the test client's ``User-Agent``."""
    return importlib.metadata.version("werkzeug")


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """Werkzeug's ``EnvironBuilder`` with the app's defaults for the URL and JSON.

    :param app: the app the request is for.
    :param path: URL path; may include a query string.
    :param base_url: scheme, host and root; defaults from ``SERVER_NAME``,
        ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``.
    """

    def __init__(
        self,
        app: Tocsin,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        if base_url is None:
            http_host = app.config.get("SERVER_NAME") or "localhost"
            app_root = app.config["APPLICATION_ROOT"]
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            url = urlsplit(path)
            base_url = (
                f"{url.scheme or url_scheme}://{url.netloc or http_host}/{app_root.lstrip('/')}"
            )
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``json=`` data with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


class _ASGIBridge:
    """A WSGI callable that runs each request through the app's ASGI driver."""

    def __init__(self, app: Tocsin) -> None:
        self.app = app
        self._asgi = app.asgi  # held, as a server holds it (the app keeps it weakly)
        self._loop: LoopHolder | None = None
        #: For ``with client:``: told of the request's context.
        self.keep: t.Callable[[RequestContext], None] | None = None
        #: The last response's headers as the app made them (names in their own case).
        self.headers: list[tuple[str, str]] | None = None

    def seen(self, ctx: RequestContext) -> None:
        """Called by the ASGI driver with the context of the request it is answering."""
        if self.keep is not None:
            self.keep(ctx)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> cabc.Iterable[bytes]:
        if self._loop is None:
            self._loop = LoopHolder()
        scope = scope_from_environ(environ)
        scope["tocsin.test_client"] = self
        self.keep = environ.get("tocsin.preserve_context")
        self.headers = None
        body = environ["wsgi.input"].read()
        messages: list[dict[str, t.Any]] = []
        self._loop.loop.run_until_complete(self._run(scope, body, messages))
        start = next(m for m in messages if m["type"] == "http.response.start")
        headers = self.headers  # as under WSGI: Werkzeug's test response keeps their case
        if headers is None:
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        start_response(status_line(start["status"]), headers)
        return [b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")]

    async def _run(
        self, scope: dict[str, t.Any], body: bytes, messages: list[dict[str, t.Any]]
    ) -> None:
        done = asyncio.Event()
        sent_body = False

        async def receive() -> dict[str, t.Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, t.Any]) -> None:
            messages.append(message)

        try:
            await self._asgi(scope, receive, send)
        finally:
            done.set()


class TestClient(Client):
    """Werkzeug's test client, bound to an app, for either driver.

    Keeps cookies between requests, can follow redirects, and sends
    ``json=`` data with the app's JSON provider. In a ``with client:``
    block, the last request's context stays current until the next request
    or the end of the block, so ``request``, ``session`` and ``g`` can be
    inspected (its teardown functions have already run).

    :param driver: ``"wsgi"`` or ``"asgi"``; by default the value of the
        ``TOCSIN_TEST_DRIVER`` environment variable, else ``"wsgi"``. The
        variable runs an unchanged test suite (a Flask app's, say) through
        the ASGI driver: ``TOCSIN_TEST_DRIVER=asgi pytest``.
    """

    #: Not a test class, though pytest would collect it by its name.
    __test__ = False
    application: t.Any

    def __init__(
        self, app: Tocsin, *args: t.Any, driver: str | None = None, **kwargs: t.Any
    ) -> None:
        if driver is None:
            driver = os.environ.get("TOCSIN_TEST_DRIVER") or "wsgi"
            if driver not in DRIVERS:
                raise ValueError(f"TOCSIN_TEST_DRIVER must be one of {DRIVERS}, not {driver!r}")
        elif driver not in DRIVERS:
            raise ValueError(f"driver must be one of {DRIVERS}, not {driver!r}")
        target: t.Any = app if driver == "wsgi" else _ASGIBridge(app)
        super().__init__(target, *args, **kwargs)
        self.app = app
        #: Which driver runs the requests: ``"wsgi"`` or ``"asgi"``.
        self.driver = driver
        self.preserve_context = False
        self._preserved: RequestContext | None = None
        #: Environ keys every request gets (Flask's: the client address, Werkzeug's user agent).
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}",
        }

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        kwargs["environ_base"] = {**self.environ_base, **kwargs.get("environ_base", {})}
        builder = EnvironBuilder(self.app, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def open(
        self, *args: t.Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: t.Any
    ) -> TestResponse:
        if args and isinstance(args[0], (werkzeug.test.EnvironBuilder, dict, BaseRequest)):
            if isinstance(args[0], werkzeug.test.EnvironBuilder):
                builder = copy.copy(args[0])  # the caller's builder stays as it was
                builder.environ_base = {**self.environ_base, **(builder.environ_base or {})}
                request = builder.get_request()
            elif isinstance(args[0], dict):
                request = werkzeug.test.EnvironBuilder.from_environ(
                    args[0], environ_base=self.environ_base
                ).get_request()
            else:
                request = copy.copy(args[0])
                request.environ = {**self.environ_base, **request.environ}
        else:
            request = self._request_from_builder_args(args, kwargs)
        self._release_preserved()
        if self.preserve_context:
            request.environ["tocsin.preserve_context"] = self._keep
        response = super().open(request, buffered=buffered, follow_redirects=follow_redirects)
        response.json_module = self.app.json  # type: ignore[assignment]  # has the json module's API
        kept = self._preserved
        if kept is not None and not kept._tokens:  # (a followed redirect's open() set it already)
            kept.activate()
        return response

    @contextlib.contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> cabc.Iterator[SessionMixin]:
        """Open the client's session to read or change it between requests.

        The arguments are those of ``app.test_request_context()``; changes are
        saved into the client's cookies when the block ends::

            with client.session_transaction() as sess:
                sess["user"] = "ada"
        """
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.app
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.environ)
        with ctx:
            sess = app.session_interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")  # Flask's words
        yield sess
        response = app.response_class()
        if app.session_interface.is_null_session(sess):
            return
        with ctx:
            app.session_interface.save_session(app, sess, response)
        self._update_cookies_from_response(
            ctx.request.host.partition(":")[0],
            ctx.request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def _keep(self, ctx: RequestContext) -> None:
        self._preserved = ctx

    def _release_preserved(self) -> None:
        ctx, self._preserved = self._preserved, None
        if ctx is not None and ctx.pushed:
            ctx.deactivate()

    def __enter__(self) -> TestClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._release_preserved()


class TocsinCliRunner(CliRunner):
    """A click runner that invokes the app's commands in isolation."""

    def __init__(self, app: Tocsin, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any) -> Result:  # type: ignore[override]  # cli is optional, as in Flask
        """Invoke *cli* (default: the app's command group) with *args*."""
        from .cli import ScriptInfo

        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


#: Flask's names for the test client and the CLI runner, so ported tests import unchanged.
FlaskClient = TestClient
FlaskCliRunner = TocsinCliRunner
