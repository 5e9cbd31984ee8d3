"""The pages and their JSON: a blueprint, registered under the DevTools' prefix."""

from __future__ import annotations

import time
import typing as t

from werkzeug.exceptions import MethodNotAllowed

from ..blueprints import Blueprint
from ..globals import current_app, request, request_ctx
from ..helpers import abort, url_for
from ..tracing import Trace
from ._extension import EXTENSION, DevTools
from ._model import Filters, WrongFilter, error_text, route_rows, signal_sections, waterfall
from ._templates import render

__all__ = ["NAME", "blueprint"]

#: The blueprint's name (its endpoints are ``tocsin_devtools.index``...).
NAME = "tocsin_devtools"
#: The methods the rules accept, so that the gate answers them all with the same 404
#: (a rule that did not list one would give it a 405, telling that the URL exists).
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
_READ = ("GET", "HEAD", "OPTIONS")
_ALLOW = {"Allow": ", ".join(_READ)}
#: The endpoints that answer JSON (their errors too).
_JSON = frozenset(f"{NAME}.{name}" for name in ("trace_json", "traces_json", "stats_json"))

#: A JSON error: ``({"error": message}, status)`` or with headers.
JSONError = tuple[dict[str, str], int] | tuple[dict[str, str], int, dict[str, str]]


def devtools() -> DevTools:
    """The DevTools of the current app."""
    return t.cast(DevTools, current_app.extensions[EXTENSION])


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app they are served for).

    The rules neither merge slashes nor add one: a request for
    ``/_tocsin//routes`` would otherwise get a redirect from the router,
    before the gate runs, telling that the pages exist.
    """
    bp = Blueprint(NAME, __name__)
    bp.before_request(gate)
    rules: list[tuple[str, str, t.Callable[..., t.Any]]] = [
        ("/", "index", index),
        ("/trace/<int:number>", "trace", trace_page),
        ("/trace/<int:number>.json", "trace_json", trace_json),
        ("/routes", "routes", routes),
        ("/signals", "signals", signals),
        ("/traces.json", "traces_json", traces_json),
        ("/stats.json", "stats_json", stats_json),
    ]
    for rule, endpoint, view in rules:
        bp.add_url_rule(
            rule,
            endpoint,
            view,
            methods=_METHODS,
            provide_automatic_options=False,  # the gate answers OPTIONS
            merge_slashes=False,
            strict_slashes=rule != "/",  # /_tocsin and /_tocsin/, without a redirect
        )
    return bp


def gate() -> t.Any:
    """``before_request``: a 404 unless the request is allowed; only reading methods.

    An allowed request is one of the pages' own: its trace leaves the
    tracer's kept ones (see :meth:`DevTools.keep_own`). ``OPTIONS`` is
    answered here, with the methods the pages answer.
    """
    tools = devtools()
    if not tools.allowed(request_ctx.request):
        abort(404)
    trace = request_ctx.trace
    if trace is not None:
        tools.keep_own(trace)
    if request.method == "OPTIONS":
        return current_app.response_class(headers=_ALLOW)
    if request.method not in _READ:
        if request.endpoint in _JSON:
            message = f"these URLs answer GET, HEAD and OPTIONS, not {request.method}"
            return {"error": message}, 405, _ALLOW
        raise MethodNotAllowed(valid_methods=list(_READ))
    return None


# -- what is shown ----------------------------------------------------------------------


def _own() -> bool:
    """``?own=1``: show the pages' own requests too."""
    return request.args.get("own") == "1"


def _listed() -> list[Trace]:
    """The kept traces, newest first, without this request's own (and the pages' unless asked)."""
    current = request_ctx.trace
    return [tr for tr in devtools().traces(own=_own()) if tr is not current]


def _shown(filters: Filters) -> list[Trace]:
    """The listed traces the filters admit, newest first."""
    return [tr for tr in _listed() if filters.admit(tr)]


def _missing(number: int) -> str:
    return f"No trace #{number} is kept (the tracer keeps the latest ones)."


def trace_dict(trace: Trace) -> dict[str, t.Any]:
    """``trace.as_dict()`` with the trace's ``id``, ``rule``, ``endpoint`` and page ``url``."""
    number = devtools().id_of(trace)
    return {
        "id": number,
        **trace.as_dict(),
        "rule": trace.rule,
        "endpoint": trace.endpoint,
        "url": url_for(f"{NAME}.trace", number=number),
    }


def _page(name: str, **context: t.Any) -> str:
    """A page of DevTools, given the app's tracer (``None``: the page says it has none)."""
    return render(f"_tocsin/{name}.html", page=name, tracer=devtools().tracer(), **context)


# -- the views --------------------------------------------------------------------------


def index() -> str:
    """The recent requests, newest first, filtered by ``?path=`` and ``?status=``."""
    try:
        filters = Filters.parse(request.args)
    except WrongFilter as e:
        abort(400, description=str(e))
    tools = devtools()
    shown = [(tools.id_of(tr), _clock(tr.started), tr) for tr in _shown(filters)]
    return _page("index", rows=shown, filters=filters, own=_own(), kept=len(_listed()))


def _clock(started: float) -> str:
    """A wall-clock time of day, to the millisecond (the server's local time)."""
    return time.strftime("%H:%M:%S", time.localtime(started)) + f".{int(started % 1 * 1000):03d}"


def trace_page(number: int) -> str:
    """One request's waterfall: each step, with its calls and signals, timed."""
    trace = devtools().find(number)
    if trace is None:
        abort(404, description=_missing(number))
    has_view = trace.endpoint is not None and trace.endpoint in current_app.view_functions
    return _page(
        "trace",
        number=number,
        trace=trace,
        raised=error_text(trace.raised),
        rows=waterfall(trace, has_view),
    )


def trace_json(number: int) -> dict[str, t.Any] | JSONError:
    """One trace as JSON (see :func:`trace_dict`); ``{"error": ...}`` and a 404 if not kept."""
    trace = devtools().find(number)
    if trace is None:
        return {"error": _missing(number)}, 404
    return trace_dict(trace)


def routes() -> str:
    """Per route and method: count, statuses, duration percentiles, per step."""
    return _page("routes", routes=_route_stats(), own=_own())


def _route_stats() -> list[t.Any]:
    tools = devtools()
    tracer = tools.tracer()
    if tracer is None:
        return []
    own = _own()

    def keep(rule: str | None) -> bool:
        return own or rule is None or not tools.is_own(rule)

    return route_rows(tracer.stats(), keep)


def signals() -> str:
    """Every namespace's signals, with the receivers they call for this app in call order."""
    return _page("signals", sections=signal_sections(request_ctx.app))


def traces_json() -> dict[str, t.Any] | JSONError:
    """``{"traces": [...]}``: the kept traces the filters admit, newest first."""
    try:
        filters = Filters.parse(request.args)
    except WrongFilter as e:
        return {"error": str(e)}, 400
    return {"traces": [trace_dict(tr) for tr in _shown(filters)]}


def stats_json() -> dict[str, t.Any]:
    """``{"routes": [...]}``: each route's ``RouteStats.as_dict()``, busiest first."""
    return {"routes": [s.as_dict() for s in _route_stats()]}
