"""Between ASGI and WSGI: the environ of a scope, the scope of an environ, headers as bytes.

What the ASGI driver (:mod:`tocsin.asgi`) translates, without any I/O: a
request context from a scope (the path decoded as WSGI servers do), the
headers it notes, the WSGI environ Werkzeug's request reads, and response
headers as ASGI's lowercase byte pairs.
"""

from __future__ import annotations

import collections.abc as cabc
import functools
import io
import sys
import typing as t
from urllib.parse import unquote_to_bytes

from werkzeug.exceptions import BadRequest

from .ctx import RequestContext

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .typing import ASGIScope, WSGIEnvironment

__all__ = [
    "encode_headers",
    "environ_from_scope",
    "request_context",
    "scan_headers",
    "scope_from_environ",
    "unframed",
]

#: The headers :func:`scan_headers` looks for.
_NOTED_HEADERS = frozenset((b"content-length", b"transfer-encoding", b"cookie", b"host"))


def environ_from_scope(scope: ASGIScope, body: bytes | t.IO[bytes]) -> WSGIEnvironment:
    """A WSGI environ for an ASGI HTTP scope, so Werkzeug's request object can read it.

    *body* is the request body, or a file that reads it: the input stream
    is terminated (``wsgi.input_terminated``), so a body sent without
    ``Content-Length`` (chunked, HTTP/2) is read like any other.
    """
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("127.0.0.1", 0)
    query: t.Any = scope.get("query_string", b"")
    try:
        query = query.decode("latin-1")
    except AttributeError:  # text, from a server that breaks the spec: WSGI's latin-1 text
        query = query if isinstance(query, str) else ""
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": _wsgi_text(scope.get("root_path", ""), "strict"),
        "PATH_INFO": _wsgi_text(scope["path"], "surrogateescape"),  # the driver 400s those
        "QUERY_STRING": query,
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": client[1],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body) if isinstance(body, bytes) else body,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        env[name] = f"{env[name]},{value}" if name in env else value
    return env


def _wsgi_text(text: str, errors: str) -> str:
    """ASGI text (a path) as WSGI's latin-1 text of its UTF-8 bytes.

    Text that cannot be encoded (lone surrogates) is kept as it is: the
    request object answers it with a 400.
    """
    try:
        return text.encode("utf-8", errors).decode("latin-1")
    except UnicodeEncodeError:
        return text


def _header_bytes(value: t.Any) -> bytes:
    """A header value as a client sends it: latin-1, or UTF-8 for text latin-1 cannot hold."""
    text = str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:  # (a test may build a Host like "☃.test")
        return text.encode("utf-8")


def scope_from_environ(environ: WSGIEnvironment) -> dict[str, t.Any]:
    """An ASGI HTTP scope for a WSGI environ (used by the test client's ASGI mode)."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        if value == "" and key == "CONTENT_LENGTH":
            continue
        headers.append((name.replace("_", "-").lower().encode("latin-1"), _header_bytes(value)))
    path = environ.get("PATH_INFO", "") or "/"
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": path.encode("latin-1").decode("utf-8", "surrogateescape"),
        "raw_path": path.encode("latin-1"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": environ.get("SCRIPT_NAME", ""),
        "headers": headers,
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT") or 80)),
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), int(environ.get("REMOTE_PORT") or 0)),
    }


_ENCODED: dict[tuple[str, str], tuple[bytes, bytes]] = {}
#: Hashes of the header pairs seen once: a pair seen again is shared, and kept.
_SEEN: set[int] = set()


def encode_headers(headers: cabc.Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """ASGI header pairs: lowercase latin-1 bytes.

    A pair seen in two responses (``Content-Type: text/html``...) is encoded
    once and kept, up to 1,024 of them. A pair made for one response (a
    session's ``Set-Cookie``) is never seen again: only its hash is noted,
    so no value of a past request stays in memory.
    """
    rv = []
    cache = _ENCODED
    for pair in headers:
        encoded = cache.get(pair)
        if encoded is None:
            encoded = (pair[0].lower().encode("latin-1"), pair[1].encode("latin-1"))
            key = hash(pair)
            if key in _SEEN:
                if len(cache) < 1024:
                    cache[pair] = encoded
            elif len(_SEEN) < 4096:
                _SEEN.add(key)
            else:  # full of pairs seen once: start again
                _SEEN.clear()
        rv.append(encoded)
    return rv


def request_context(app: Tocsin, scope: ASGIScope) -> RequestContext:
    """A request context for an HTTP scope; a path that is not UTF-8 is stored as a 400.

    The method is uppercased, as the WSGI driver does (h11 passes it as sent).
    """
    ctx = RequestContext(app, None)
    ctx.environ_factory = functools.partial(environ_from_scope, scope, b"")
    path = ctx.path = scope["path"] or "/"
    if not path.isascii() and not _is_utf8(scope, path):
        ctx.routing_exception = BadRequest("The request path is not valid UTF-8.")
    method = ctx.method = scope["method"]
    if method not in _COMMON_METHODS:  # one set lookup for the usual methods
        ctx.method = method.upper()
    return ctx


#: Methods that need no uppercasing.
_COMMON_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))


def _is_utf8(scope: ASGIScope, path: str) -> bool:
    """Whether a non-ASCII *path* was valid UTF-8 on the wire.

    Lone surrogates tell that a server escaped bytes that were not UTF-8. A
    U+FFFD may be a server's replacement for them (uvicorn decodes with
    ``errors="replace"``): ``raw_path``, when the server gives it, tells.
    """
    try:
        path.encode()
    except UnicodeEncodeError:
        return False
    if "\ufffd" in path:
        raw = scope.get("raw_path")
        if isinstance(raw, bytes):
            try:
                unquote_to_bytes(raw.partition(b"?")[0]).decode()
            except UnicodeDecodeError:
                return False
    return True


def scan_headers(scope: ASGIScope) -> tuple[bool, bool, str | None]:
    """Whether the request announces a body, whether it carries cookies, and its ``Host``."""
    has_body = has_cookie = False
    host: bytes | None = None
    for name, value in scope.get("headers", ()):
        if name in _NOTED_HEADERS:  # one set lookup for most headers
            if name == b"cookie":
                has_cookie = True
            elif name == b"host":  # several are joined, as in the environ
                host = value if host is None else host + b"," + value
            else:
                has_body = True
    return has_body, has_cookie, host.decode("latin-1") if host is not None else None


def unframed(headers: cabc.Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a HEAD response to a method sent as "head", without ``Content-Length``.

    The method token is case-sensitive: h11 (under uvicorn) frames the response
    to "head" as one with a body, and a ``Content-Length`` with no body then
    breaks the connection. Without it, the empty body is a valid one.
    """
    return [pair for pair in headers if pair[0].lower() != "content-length"]
