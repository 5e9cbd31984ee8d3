"""Step 15, prepared once for both drivers: the response as it goes to the server.

The pipeline ends with one of four shapes: a :data:`~tocsin._pipeline.Direct`
tuple; a response whose headers can be sent as they are
(:func:`~tocsin._responses.complete_headers`); an in-memory response that
Werkzeug must finish (a ``Location`` to make absolute, a 204 or 304...); or
a streamed response (whose async iterator body, ``Response(async_gen)``,
is made an :class:`~tocsin._responses.AsyncBody`, as a view's async
generator is, so that both drivers can send it). :func:`prepare` turns each
into one :data:`Outgoing` tuple, with the ``HEAD`` rule, the test client's
hook and the tracer's ``Server-Timing`` applied; the drivers only translate
it to their protocol.
"""

from __future__ import annotations

import typing as t

from ._responses import AsyncBody, complete_headers

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .typing import WSGIEnvironment
    from .wrappers import Response

__all__ = ["Outgoing", "prepare", "sent_environ"]

#: ``(status code, headers, body, response, streamed)``: *body* is complete
#: (empty for ``HEAD``, and for a stream); *response* is ``None`` for a
#: ``Direct`` tuple; a *streamed* response's body is still to be iterated.
Outgoing = tuple[int, list[tuple[str, str]], bytes, "Response | None", bool]


def sent_environ(ctx: RequestContext) -> WSGIEnvironment:
    """The environ Werkzeug prepares the response for: a method sent as "head" reads HEAD."""
    environ = ctx.environ
    if ctx.method == "HEAD" and environ["REQUEST_METHOD"] != "HEAD":
        environ = {**environ, "REQUEST_METHOD": "HEAD"}  # Werkzeug then leaves out the body
    return environ


def prepare(
    app: Tocsin,
    ctx: RequestContext,
    response: t.Any,
    seen: t.Callable[[RequestContext], None] | None = None,
) -> Outgoing:
    """The outgoing form of what the pipeline returned.

    :param seen: the test client's hook, told of the context (``with client:``).
    """
    if seen is not None:
        seen(ctx)
    tracer = app.tracer
    if tracer is not None:  # every request counts; a sampled one has a trace
        tracer.annotate(ctx, response)
    head = ctx.method == "HEAD"
    if type(response) is tuple:  # a Direct response
        code, headers, body = response
        return code, headers, b"" if head else body, None, False
    headers = complete_headers(response)
    if headers is not None:  # a list of bytes and nothing to call on close
        body = b"" if head else b"".join(response.response)
        return response._status_code, headers, body, response, False
    if response.is_streamed:  # (the environ is only needed for a Location to correct)
        body = response.response
        if not hasattr(body, "__iter__") and hasattr(body, "__aiter__"):  # Response(async gen)
            response.response = AsyncBody(body)  # as a view's async generator: both drivers
        environ = sent_environ(ctx) if response.autocorrect_location_header else {}
        headers = response.get_wsgi_headers(environ).to_wsgi_list()
        return response.status_code, headers, b"", response, True
    environ = sent_environ(ctx)  # in memory, but Werkzeug must finish it
    headers = response.get_wsgi_headers(environ).to_wsgi_list()
    body = b"".join(response.get_app_iter(environ))
    response.close()
    return response._status_code, headers, body, response, False
