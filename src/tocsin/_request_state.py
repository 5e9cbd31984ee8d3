"""What the pipeline keeps of one request: :class:`RequestState`, a base of the request context."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from ._compile import Plan
    from .tracing import Trace

__all__ = ["RequestState"]


class RequestState:
    """What the pipeline keeps of one request, beside Flask's fields of :class:`RequestContext`.

    The drivers (:mod:`tocsin.wsgi`, :mod:`tocsin.asgi`), the steps
    (:mod:`tocsin._steps`) and the tracer read and write these fields, and
    nothing else of a context but Flask's public ones and the methods of its
    "current or not" section (:meth:`RequestContext.activate` and kin). A
    base class rather than an object the context holds: each field is one
    slot of the context, read as quickly as any attribute.
    """

    __slots__ = (
        "body_pending",
        "body_receiver",
        "error",
        "has_cookie",
        "host",
        "method",
        "path",
        "plan",
        "trace",
        "trace_t0",
    )

    #: The request method, upper case (``HEAD`` for ``HEAD``: see ``sent_environ``).
    method: str
    #: The decoded path the URL is matched with.
    path: str
    #: The ``Host`` header, ``None`` without one.
    host: str | None
    #: Whether the request carries a ``Cookie`` header (set by the drivers), or
    #: the session interface saves every request: whether step 13 may have work.
    has_cookie: bool
    #: Under ASGI, whether the body is still to be read once the URL is matched.
    body_pending: bool
    #: Under ASGI, for a view marked with ``stream_request_body``: the async
    #: iterator of the body chunks not yet received.
    body_receiver: t.Any
    #: The compiled plan of the request's endpoint, once the URL is matched.
    plan: Plan | None
    #: The unhandled exception that became a 500 response, if any.
    error: BaseException | None
    #: The request's lifecycle trace, when a tracer samples it.
    trace: Trace | None
    #: The tracer's clock when it began the request (set only by a tracer).
    trace_t0: int
