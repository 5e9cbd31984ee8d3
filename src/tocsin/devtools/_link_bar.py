"""The link bar: a small fixed bar at the end of each HTML page, linking to its trace."""

from __future__ import annotations

import typing as t

from ..globals import _cv_request, current_app
from ..helpers import url_for
from ._extension import EXTENSION, LINK_BAR_KEY, DevTools
from ._templates import render
from ._views import NAME

if t.TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["add_link_bar"]

_END = b"</body>"
#: Headers of a body that must stay as it is: encoded, or validated by a client's cache
#: (a bar added after the ETag was made would give two bodies one ETag, and a 304
#: would keep a stale bar), or one range of it.
_LEFT_ALONE = ("Content-Encoding", "ETag", "Last-Modified", "Content-Range")


def add_link_bar(response: Response) -> Response:
    """``after_request``: insert the bar before ``</body>`` of an HTML page, when allowed.

    Left alone: a response that is not ``text/html``, is streamed, passed
    through (a file), encoded (gzip), carries an ``ETag``, ``Last-Modified``
    or ``Content-Range``; one without ``</body>``; the pages' own; any when
    the link bar is off (``TOCSIN_DEVTOOLS_LINK_BAR = False``) or the
    request may not see the pages. A ``HEAD`` request gets the bar a ``GET``
    would (nobody sees it, but ``Content-Length`` counts it).
    """
    headers = response.headers
    if (
        response.mimetype != "text/html"
        or response.is_streamed
        or response.direct_passthrough
        or any(name in headers for name in _LEFT_ALONE)
    ):
        return response
    app = current_app
    tools = t.cast(DevTools, app.extensions[EXTENSION])
    ctx = _cv_request.get()
    if (
        not app.config.get(LINK_BAR_KEY, True)
        or tools.is_own(ctx.request.path)
        or not tools.allowed(ctx.request)
    ):
        return response
    body = response.get_data()
    at = body.lower().rfind(_END)
    if at < 0:
        return response
    trace = ctx.trace
    tracer = tools.tracer()
    number = None  # (a tracer with keep=0 keeps no trace to link to)
    if trace is not None and tracer is not None and tracer.keep > 0:
        number = tools.id_of(trace)
    method = ctx.request.method
    bar = render(
        "_tocsin/link_bar.html",
        method="GET" if method == "HEAD" else method,
        path=ctx.request.path,
        status=response.status_code,
        traced=trace is not None,
        number=number,
        trace_url=None if number is None else url_for(f"{NAME}.trace", number=number),
        index_url=url_for(f"{NAME}.index"),
    )
    try:
        added = bar.encode(response.mimetype_params.get("charset", "utf-8"), "xmlcharrefreplace")
    except LookupError:  # a charset Python does not know: leave the page as it is
        return response
    response.set_data(body[:at] + added + body[at:])
    return response
