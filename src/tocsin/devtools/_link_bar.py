"""The link bar: a small fixed bar at the end of each HTML page, linking to its trace."""

from __future__ import annotations

import typing as t

from ..globals import _cv_request, current_app
from ..helpers import url_for
from ._extension import EXTENSION, LINK_BAR_KEY, DevTools
from ._views import NAME

if t.TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["add_link_bar"]

_END = b"</body>"


def add_link_bar(response: Response) -> Response:
    """``after_request``: insert the bar before ``</body>`` of an HTML page, when allowed.

    Left alone: a response that is not ``text/html``, is streamed, passed
    through (a file) or encoded (gzip); one without ``</body>``; the pages'
    own; any when the link bar is off (``TOCSIN_DEVTOOLS_LINK_BAR = False``)
    or the request may not see the pages.
    """
    if (
        response.mimetype != "text/html"
        or response.is_streamed
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
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
    number = None if trace is None else tools.id_of(trace)
    bar = app.jinja_env.get_template("_tocsin/link_bar.html").render(
        method=ctx.request.method,
        path=ctx.request.path,
        status=response.status_code,
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
