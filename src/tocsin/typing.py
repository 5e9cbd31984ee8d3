"""Type vocabulary shared by Tocsin's modules and its users."""

from __future__ import annotations

import collections.abc as cabc
import typing as t

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse as StartResponse
    from _typeshed.wsgi import WSGIApplication as WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment as WSGIEnvironment
    from werkzeug.datastructures import Headers

    from .wrappers import Response

__all__ = [
    "ASGIReceive",
    "ASGIScope",
    "ASGISend",
    "HeadersValue",
    "ResponseReturnValue",
    "ResponseValue",
    "RouteCallable",
    "StatusCode",
]

ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    cabc.Mapping[str, t.Any],
    cabc.Iterator[str],
    cabc.Iterator[bytes],
    cabc.AsyncIterator[str],
    cabc.AsyncIterator[bytes],
]
StatusCode = int | str
HeaderValue = str | list[str] | tuple[str, ...]
HeadersValue = t.Union[
    "Headers",
    cabc.Mapping[str, HeaderValue],
    cabc.Sequence[tuple[str, HeaderValue]],
]
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
    "WSGIApplication",
]
RouteCallable = t.Callable[..., t.Any]

ASGIScope = cabc.MutableMapping[str, t.Any]
ASGIMessage = cabc.MutableMapping[str, t.Any]
ASGIReceive = t.Callable[[], cabc.Awaitable[ASGIMessage]]
ASGISend = t.Callable[[ASGIMessage], cabc.Awaitable[None]]
