"""Turning what a view returns into a response (lifecycle step 10)."""

from __future__ import annotations

import collections.abc as cabc
import sys
import typing as t

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from ._async import run_coroutine
from .globals import _cv_request
from .json.provider import DefaultJSONProvider
from .wrappers import Response, ResponseHeaders

if t.TYPE_CHECKING:
    from ._pipeline import Direct
    from .json.provider import JSONProvider

__all__ = [
    "AsyncBody",
    "ResponseMaker",
    "complete_headers",
    "direct_allowed",
    "direct_response",
    "never_direct",
]

_TEXT = "text/html; charset=utf-8"
_BAD_TUPLE = (
    "The view function did not return a valid response tuple. The tuple must have the"
    " form (body, status, headers), (body, status), or (body, headers)."
)


class AsyncBody:
    """A response body from an async iterator, usable by both drivers.

    The ASGI driver iterates it with ``async for``; the WSGI driver iterates
    it synchronously, running each step on the thread's event loop.
    """

    def __init__(self, aiter: cabc.AsyncIterator[t.Any]) -> None:
        self.aiter = aiter

    def __aiter__(self) -> cabc.AsyncIterator[t.Any]:
        return self.aiter

    def __iter__(self) -> cabc.Iterator[t.Any]:
        while True:
            try:
                yield run_coroutine(anext(self.aiter))
            except StopAsyncIteration:
                return

    def close(self) -> None:
        aclose = getattr(self.aiter, "aclose", None)
        if aclose is not None:
            run_coroutine(aclose())


class ResponseMaker:
    """The app's ``make_response`` (its fast path is :func:`direct_response`)."""

    response_class: type[Response]
    json: JSONProvider

    def make_response(self, rv: t.Any) -> Response:
        """Convert a view's return value into a response object.

        Accepted: a response object; ``str``/``bytes`` (the body);
        a ``dict`` or ``list`` (JSON); an iterator or generator, sync or async
        (a streamed body); an ``HTTPException``; a WSGI callable; or a tuple
        ``(body, status)``, ``(body, headers)`` or ``(body, status, headers)``.
        """
        status: t.Any = None
        headers: t.Any = None
        if isinstance(rv, tuple):
            rv, status, headers = _split_tuple(rv)
        if rv is None:
            ctx = _cv_request.get(None)
            endpoint = ctx.url_rule.endpoint if ctx is not None and ctx.url_rule else None
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The"
                " function either returned None or ended without a return statement."
            )
        if not isinstance(rv, self.response_class):
            rv = self._to_response(rv, status, headers)
            if not isinstance(rv, tuple):
                status = headers = None
            else:
                rv = rv[0]
        response: Response = rv
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                response.status = status  # type: ignore[assignment]  # bytes passed on, as in Flask
            else:
                response.status_code = status
        if headers:
            response.headers.update(headers)
        return response

    def _to_response(self, rv: t.Any, status: t.Any, headers: t.Any) -> t.Any:
        cls = self.response_class
        if isinstance(rv, (str, bytes, bytearray, cabc.Iterator)):
            return cls(rv, status=status, headers=headers)  # type: ignore[arg-type]  # bytearray ok
        if isinstance(rv, cabc.AsyncIterator):
            return cls(AsyncBody(rv), status=status, headers=headers)
        if isinstance(rv, (dict, list)):
            return (self.json.response(rv),)
        if isinstance(rv, HTTPException):
            return (cls.force_type(rv.get_response(), _environ()),)
        if isinstance(rv, BaseResponse) or callable(rv):
            try:
                return (cls.force_type(rv, _environ()),)
            except TypeError as e:
                raise TypeError(
                    f"{e}\nThe view function did not return a valid response. The return type"
                    " must be a string, dict, list, tuple with headers or status, Response"
                    f" instance, or WSGI callable, but it was a {type(rv).__name__}."
                ).with_traceback(sys.exc_info()[2]) from None
        raise TypeError(
            "The view function did not return a valid response. The return type must be a"
            " string, dict, list, tuple with headers or status, Response instance, or WSGI"
            f" callable, but it was a {type(rv).__name__}."
        )

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` response: empty, with ``Allow``."""
        ctx = _cv_request.get()
        adapter = ctx.get_url_adapter()
        methods = adapter.allowed_methods() if adapter is not None else []
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response to *location*."""
        return _wz_redirect(location, code=code, Response=self.response_class)


_ERROR_BODIES: dict[tuple[type[HTTPException], str | None], bytes] = {}


def _error_body(e: HTTPException) -> bytes:
    """The HTML body of *e*, rendered once per error class and description."""
    key = (type(e), e.description)
    body = _ERROR_BODIES.get(key)
    if body is None:
        body = e.get_body().encode()
        if len(_ERROR_BODIES) < 256:
            _ERROR_BODIES[key] = body
    return body


def _plain_http_error(e: HTTPException) -> bool:
    return (
        e.code is not None
        and e.response is None
        and type(e).get_response is HTTPException.get_response
        and not isinstance(e, RoutingException)
    )


def _split_tuple(rv: tuple[t.Any, ...]) -> tuple[t.Any, t.Any, t.Any]:
    if len(rv) == 3:
        return rv[0], rv[1], rv[2]
    if len(rv) == 2:
        if isinstance(rv[1], (Headers, dict, tuple, list)):
            return rv[0], None, rv[1]
        return rv[0], rv[1], None
    raise TypeError(_BAD_TUPLE)


def _environ() -> t.Any:
    ctx = _cv_request.get(None)
    return ctx.environ if ctx is not None else None


_NAME_KINDS: dict[str, int] = {}


def _name_kind(name: str) -> int:
    """1 for ``Content-Length``, 2 for ``Location`` and ``Content-Location``, else 0 (cached)."""
    lowered = name.lower()
    if lowered == "content-length":
        kind = 1
    elif lowered == "location" or lowered == "content-location":
        kind = 2
    else:
        kind = 0
    if len(_NAME_KINDS) < 512:  # bounded: names are few, unless an app makes them up
        _NAME_KINDS[name] = kind
    return kind


def direct_response(app: t.Any, rv: t.Any) -> Direct | None:
    """A :data:`~tocsin._pipeline.Direct` tuple for *app*'s plain return value, or ``None``.

    Only for an app :func:`direct_allowed` allows (the compiler decides):
    text, bytes, JSON of the stock provider, a plain HTTP error.
    """
    status = 0  # none given with the body
    if type(rv) is tuple and len(rv) == 2 and type(rv[1]) is int:
        rv, status = rv
        if status < 200 or status == 204 or status == 304:
            return None  # a status without a body: Werkzeug drops it and its length
    tp = type(rv)
    if tp is str:
        body = rv.encode()
        ctype = _TEXT
    elif tp is bytes:
        body = rv
        ctype = _TEXT
    elif (
        (tp is dict or tp is list)
        and isinstance(json := app.json, DefaultJSONProvider)
        and json._encoder  # made, so dumps and response are stock (else let them run)
    ):
        body = json._encode(rv).encode()
        ctype = json.mimetype
    elif isinstance(rv, HTTPException) and _plain_http_error(rv):
        body = _error_body(rv)
        headers = rv.get_headers()
        headers.append(("Content-Length", str(len(body))))
        return (status or t.cast(int, rv.code), headers, body)
    else:
        return None
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    return (status or 200, headers, body)


def direct_allowed(app: t.Any) -> bool:
    """Whether *app*'s plain return values may skip the response object (Direct tuples).

    Yes unless the response class or ``make_response`` is custom (they may do
    anything). Decided by the compiler, once per compiled lifecycle; the JSON
    provider's encoder is made then, so that the first JSON response may take
    the fast path too.
    """
    json = app.json
    if isinstance(json, DefaultJSONProvider) and json._encoder is None:
        json._make_encoder()  # (else the first JSON response makes it)
    return bool(
        app.response_class is Response
        and type(app).make_response is ResponseMaker.make_response
        and "make_response" not in app.__dict__
    )


def never_direct(app: t.Any, rv: t.Any) -> None:
    """What the compiler gives the response steps of an app :func:`direct_allowed` refuses."""
    return None


def complete_headers(response: Response) -> list[tuple[str, str]] | None:
    """The headers to send as they are, or ``None`` when Werkzeug must prepare the response.

    That is the case for a streamed or closing body, a body of ``str`` items,
    a status without a body, a missing ``Content-Length`` or a ``Location``
    to make absolute.
    """
    code: int = response._status_code  # Werkzeug's storage behind status_code
    body = response.response
    if type(body) is not list or response._on_close or code < 200 or code == 204 or code == 304:
        return None  # (== rather than ``in``: an int comparison the interpreter specializes)
    current = response.headers
    if type(current) is ResponseHeaders and current._adopted_intact:
        return current._list  # a _complete response's own list, no decisive name changed
    for chunk in body:
        if type(chunk) is not bytes:
            return None  # str items: Werkzeug encodes them
    headers = current._list[:]  # what to_wsgi_list() gives, without two calls
    has_length = False
    kinds = _NAME_KINDS
    for name, _ in headers:
        kind = kinds.get(name)
        if kind is None:
            kind = _name_kind(name)
        if kind == 1:
            has_length = True
        elif kind == 2:
            return None  # Werkzeug makes an IRI a URI (and joins it, if autocorrecting)
    return headers if has_length else None
