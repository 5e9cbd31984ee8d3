"""Request and Response, Werkzeug's with what the app adds."""

from __future__ import annotations

import functools
import io
import json
import string
import typing as t
from urllib.parse import quote_from_bytes

from werkzeug.datastructures import Headers
from werkzeug.exceptions import (
    BadRequest,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
)
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request as _WerkzeugRequest
from werkzeug.wrappers import Response as _WerkzeugResponse
from werkzeug.wsgi import LimitedStream

from .globals import _cv_app, _cv_request

if t.TYPE_CHECKING:
    from werkzeug.routing import Rule

    from .typing import WSGIEnvironment

__all__ = ["Request", "Response", "ResponseHeaders", "status_line"]

_QUERY_SAFE = string.punctuation  # quote only spaces, controls and non-ASCII bytes


_STATUS_LINES: dict[int, str] = {
    code: f"{code} {reason.upper()}" for code, reason in HTTP_STATUS_CODES.items()
}


def status_line(code: int) -> str:
    """``200`` -> ``"200 OK"``, as Werkzeug writes it."""
    line = _STATUS_LINES.get(code)
    return line if line is not None else f"{code} UNKNOWN"


class _JSONModule:
    """The ``json`` module as Werkzeug's ``get_json`` uses it, with one difference.

    JSON nested too deeply to parse raises ``ValueError`` like any other invalid
    JSON (not ``RecursionError``), so ``get_json`` answers it with a 400, or
    ``None`` when *silent*, and caches that as usual.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
        """``json.loads``; too deep a nesting is a ``ValueError``."""
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply.") from None


class Request(_WerkzeugRequest):
    """The request object: Werkzeug's request plus what routing found.

    Size limits (``MAX_CONTENT_LENGTH``, ``MAX_FORM_MEMORY_SIZE``,
    ``MAX_FORM_PARTS``) come from the current app's config, unless set on
    the request itself.
    """

    #: The rule that matched, or ``None`` if matching failed.
    url_rule: Rule | None = None
    #: The values the rule matched, or ``None`` if matching failed.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect) stored during matching, if any.
    routing_exception: HTTPException | None = None
    #: What :meth:`get_json` parses with (JSON nested too deeply is invalid JSON too).
    json_module: t.Any = _JSONModule

    def __init__(
        self, environ: WSGIEnvironment, populate_request: bool = True, shallow: bool = False
    ) -> None:
        try:
            super().__init__(environ, populate_request, shallow)
        except UnicodeEncodeError:  # SCRIPT_NAME, PATH_INFO or QUERY_STRING not latin-1 text
            _replace_non_latin1(environ)
            raise BadRequest(_NOT_LATIN1) from None
        query = self.query_string
        if not query.isascii() or 13 in query or 10 in query:  # 13, 10: CR, LF
            # Fixed in the environ too, where the URL adapter reads it (the
            # query of a strict-slash redirect).
            self.query_string = query = _safe_query(query)
            environ["QUERY_STRING"] = query.decode("ascii")

    #: Limits set on this request (``None``: not set, the app's config decides).
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    def _limit(self, own: int | None, key: str, default: int | None) -> int | None:
        """*own* when set, else the current app's *key*, else Werkzeug's *default*."""
        if own is not None:
            return own
        ctx = _cv_app.get(None)
        return ctx.app.config[key] if ctx is not None else default

    @property
    def max_content_length(self) -> int | None:
        """The largest body accepted (a larger one is a 413), or ``None`` for no limit.

        ``MAX_CONTENT_LENGTH`` of the current app unless set on this request
        (in a ``before_request`` function or the view, before the body is
        read); setting ``None`` goes back to the config value. (The ASGI
        driver receives an ``async def`` view's body before its hooks run,
        with the config value: there a request's limit can only be lower.)
        """
        return self._limit(self._max_content_length, "MAX_CONTENT_LENGTH", None)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """The largest non-file field of a multipart form (a larger one is a 413).

        ``MAX_FORM_MEMORY_SIZE`` of the current app (``500_000`` outside
        one) unless set on this request, as :attr:`max_content_length`.
        """
        return self._limit(self._max_form_memory_size, "MAX_FORM_MEMORY_SIZE", 500_000)

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property  # type: ignore[override]  # Werkzeug types it int
    def max_form_parts(self) -> int | None:
        """The most parts a multipart form may have (more is a 413).

        ``MAX_FORM_PARTS`` of the current app (``1_000`` outside one) unless
        set on this request, as :attr:`max_content_length`.
        """
        return self._limit(self._max_form_parts, "MAX_FORM_PARTS", 1_000)

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def _load_form_data(self) -> None:
        """Parse the form data, as Werkzeug does.

        In debug mode, for a body that is not ``multipart/form-data``,
        ``request.files[key]`` for a key of ``request.form`` then raises
        :class:`~tocsin.debughelpers.DebugFilesKeyError`, which explains why.
        """
        super()._load_form_data()
        ctx = _cv_app.get(None)
        if (
            ctx is not None
            and ctx.app.debug
            and self.mimetype != "multipart/form-data"
            and not self.files
        ):
            from .debughelpers import attach_enctype_error_multidict  # (debug help, above)

            attach_enctype_error_multidict(self)

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the (innermost) blueprint that handles this request, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """Names of the blueprints of this request, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        return _blueprint_chain(name)

    async def body_chunks(self, chunk_size: int = 65536) -> t.AsyncIterator[bytes]:
        """Iterate over the request body in chunks, under either driver.

        For a view marked with :func:`~tocsin.stream_request_body`, served
        by the ASGI driver, the chunks come from the client as they arrive
        (none of the body was received before), up to ``MAX_CONTENT_LENGTH``
        (beyond it: a 413). Otherwise they are read from :attr:`stream`.
        """
        ctx = _cv_request.get(None)
        receiver = ctx.body_receiver if ctx is not None and ctx._request is self else None
        if receiver is not None:
            async for chunk in receiver:
                yield chunk
            return
        while chunk := self.stream.read(chunk_size):
            yield chunk

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The input stream, guarded as Werkzeug guards it, and against the server's errors.

        Two differences: a body the server terminates (chunked, no
        ``Content-Length``) that is longer than ``MAX_CONTENT_LENGTH`` is a 413
        when read, not cut short at the limit; and whatever the server's stream
        raises while it is read (a malformed chunk, a reset connection: not
        only ``OSError`` and ``ValueError``) is Werkzeug's
        ``ClientDisconnected``, a 400, with the server's error as its
        ``__cause__`` (under WSGI: the ASGI driver's own streams raise 4xx errors
        themselves). (:attr:`input_stream` is the server's stream, unguarded.)
        """
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True': reading the input stream is"
                " disabled."
            )
        environ = self.environ
        limit = self.max_content_length
        length = self.content_length
        if length is not None and limit is not None and length > limit:
            raise RequestEntityTooLarge()
        source = environ["wsgi.input"]
        if "asgi.scope" not in environ:  # a WSGI server's (the ASGI driver's own raise 4xx errors)
            source = _GuardedInput(source)
        if "wsgi.input_terminated" in environ:  # the server ends the body: read it all
            if limit is None:
                return t.cast(t.IO[bytes], source)
            return t.cast(t.IO[bytes], _CappedStream(source, limit))
        if length is None:  # nothing says where the body ends: none is read (as Werkzeug)
            return io.BytesIO()
        return t.cast(t.IO[bytes], LimitedStream(source, length))

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Raise a 400 saying the body is not valid JSON."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ex:
            ctx = _cv_app.get(None)
            if ctx is not None and ctx.app.debug:
                raise
            raise BadRequest(
                "The request body is not valid JSON"
                + (" (the Content-Type is not application/json)." if e is None else ".")
            ) from ex


_NOT_LATIN1 = "The request URL holds characters that no HTTP request can contain."


def _safe_query(query: bytes) -> bytes:
    """A query string made safe to use: ASCII, with no line break.

    Raw bytes a client sent unencoded are percent-encoded as a browser would
    do, so that ``args``, ``full_path`` and ``url`` never fail to decode. In a
    query that is otherwise ASCII only CR and LF are: they would end a header
    line (the ``Location`` of a redirect that keeps the query).
    """
    if query.isascii():
        return query.replace(b"\r", b"%0D").replace(b"\n", b"%0A")
    return quote_from_bytes(query, _QUERY_SAFE).encode("ascii")


def _replace_non_latin1(environ: WSGIEnvironment) -> None:
    """Make the URL parts of *environ* latin-1 text, as a server would have: their UTF-8 bytes.

    Only a faulty server (or a hand-made environ) gives text that is not
    latin-1; the request is then a 400, and the parts are replaced so that
    the request object can be made for the error page.
    """
    for key in ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING"):
        value = environ.get(key)
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                environ[key] = value.encode("utf-8", "surrogatepass").decode("latin-1")


class _GuardedInput(io.RawIOBase):
    """The server's input stream, whose every error is Werkzeug's ``ClientDisconnected`` (a 400).

    The one place that reads ``wsgi.input`` for the request object: what a
    server raises when the body cannot be read (gunicorn's ``InvalidChunkSize``
    for a malformed chunk, a reset socket's ``OSError``) becomes a clean 400,
    the original kept as ``__cause__``. An HTTP error (a middleware's own
    limit) passes as it is.
    """

    def __init__(self, stream: t.Any) -> None:
        self._stream = stream

    def readable(self) -> bool:
        """Always true."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to *size* bytes (all when negative or ``None``)."""
        return self._guarded(self._stream.read, size)

    def readall(self) -> bytes:
        """The rest of the body."""
        return self.read()

    def readline(self, size: int | None = -1) -> bytes:
        """One line, of at most *size* bytes when given."""
        return self._guarded(self._stream.readline, size)

    @staticmethod
    def _guarded(method: t.Callable[..., bytes], size: int | None) -> bytes:
        """``method(size)`` (``method()`` for all), any non-HTTP error a ``ClientDisconnected``."""
        try:
            return method() if size is None or size < 0 else method(size)
        except HTTPException:
            raise
        except Exception as e:
            raise ClientDisconnected("The request body could not be read.") from e

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed's Buffer is wider
        """Read into *buffer*; the number of bytes read."""
        data = self.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        return count


class _CappedStream(io.RawIOBase):
    """A body the server terminates, read up to *limit* bytes: one byte more is a 413.

    (Werkzeug's ``LimitedStream`` stops at the limit, so a longer chunked
    body would silently be cut short.)
    """

    def __init__(self, stream: t.Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._pos = 0

    def readable(self) -> bool:
        """Always true."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed's Buffer is wider
        """Read into *buffer*; reading past the limit raises ``RequestEntityTooLarge``."""
        size = min(len(buffer), self._limit - self._pos + 1)  # one past the limit: is there more?
        try:
            data = self._stream.read(size)
        except (OSError, ValueError) as e:  # as Werkzeug: the client went away
            raise ClientDisconnected() from e
        count = len(data)
        self._pos += count
        if self._pos > self._limit:
            raise RequestEntityTooLarge()
        buffer[:count] = data
        return count


def _blueprint_chain(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


class ResponseHeaders(Headers):
    """Werkzeug's ``Headers``, with a quicker ``headers[name] = value`` for strings.

    Responses made from a plain return value get these. A name and value
    that are not both ``str``, or a value with a line break, go to
    Werkzeug's own ``__setitem__``, so results and errors are Werkzeug's.

    They also know whether the names that decide how a response is sent
    (``Content-Length``, ``Location``, ``Content-Location``) may have
    changed since the list was taken from a complete response: every
    Werkzeug method that changes headers says so (see :data:`_CHANGERS`).
    """

    #: True while no change could have touched a name of :data:`_DECISIVE`
    #: since :meth:`Response._complete` adopted the list; the drivers then send
    #: the list with no checks.
    _adopted_intact = False

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        if type(key) is not str or type(value) is not str or "\n" in value or "\r" in value:
            self._adopted_intact = False
            return super().__setitem__(key, value)
        lowered = key.lower()
        if lowered in _DECISIVE:
            self._adopted_intact = False
        items = self._list
        size = len(key)
        for pair in items:  # (latin-1 names keep their length when lowered: others differ)
            if len(pair[0]) == size and pair[0].lower() == lowered:
                break
        else:  # a new name (the usual case)
            items.append((key, value))
            return None
        index = items.index(pair)  # replace the first, drop the others
        items[index] = (key, value)
        items[index + 1 :] = [pair for pair in items[index + 1 :] if pair[0].lower() != lowered]
        return None


#: The header names that decide whether a complete response needs Werkzeug's preparation.
_DECISIVE = frozenset(("content-length", "location", "content-location"))

#: Every method of Werkzeug's ``Headers`` that changes the headers (Werkzeug 3.1).
_CHANGERS = (
    "__delitem__",
    "__ior__",
    "add",
    "add_header",
    "clear",
    "extend",
    "pop",
    "popitem",
    "remove",
    "set",
    "setdefault",
    "setlist",
    "setlistdefault",
    "update",
)


def _marks_change(method: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    @functools.wraps(method)
    def change(self: ResponseHeaders, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._adopted_intact = False
        return method(self, *args, **kwargs)

    return change


for _name in _CHANGERS:
    setattr(ResponseHeaders, _name, _marks_change(getattr(Headers, _name)))


_new = object.__new__


class Response(_WerkzeugResponse):
    """The response object: Werkzeug's response, HTML by default."""

    default_mimetype: str | None = "text/html"
    #: Whether to autocorrect the ``Location`` header to an absolute URL.
    autocorrect_location_header = False

    direct_passthrough = False  # Werkzeug sets it per instance; the default, for _complete

    @classmethod
    def _complete(cls, status_code: int, headers: list[tuple[str, str]], body: bytes) -> Response:
        """A response with a complete body, built without re-parsing anything.

        Equivalent to ``cls(body, status_code, headers)`` when *headers* already
        hold ``Content-Type`` and ``Content-Length`` (``tests/test_wrappers.py``
        checks it), and several times faster: Werkzeug's status storage is set
        directly, and *headers* become the :class:`ResponseHeaders`' own list
        (``Headers(headers)`` without its copy and checks). The response
        takes *headers* over: the caller must not reuse the list.
        """
        self = _new(cls)
        adopted = self.headers = _new(ResponseHeaders)
        adopted._list = headers
        adopted._adopted_intact = True
        self._status = _STATUS_LINES.get(status_code) or status_line(status_code)
        self._status_code = status_code
        self._on_close = []
        self.response = [body]
        return self

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]  # read from the app's config
        """``MAX_COOKIE_SIZE`` of the current app (Werkzeug's default outside one)."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]  # config values are Any
        return super().max_cookie_size
