"""The pages and their JSON: a blueprint, registered under the DevTools' prefix."""

from __future__ import annotations

import time
import typing as t

from werkzeug.exceptions import MethodNotAllowed

from ..blueprints import Blueprint
from ..globals import current_app, request, request_ctx
from ..helpers import abort, url_for
from ..templating import render_template
from ..tracing import Trace
from ._extension import EXTENSION, DevTools
from ._model import Filters, WrongFilter, route_rows, signal_sections, waterfall

__all__ = ["NAME", "blueprint"]

#: The blueprint's name (its endpoints are ``tocsin_devtools.index``...).
NAME = "tocsin_devtools"
#: The methods the rules accept, so that the gate answers them all with the same 404
#: (a rule that did not list one would give it a 405, telling that the URL exists).
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT"]
_READ = ("GET", "HEAD", "OPTIONS")


def devtools() -> DevTools:
    """The DevTools of the current app."""
    return t.cast(DevTools, current_app.extensions[EXTENSION])


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app they are served for)."""
    bp = Blueprint(NAME, __name__, template_folder="templates")
    bp.before_request(gate)
    bp.add_url_rule("/", "index", index, methods=_METHODS, strict_slashes=False)
    bp.add_url_rule("/trace/<int:number>", "trace", trace_page, methods=_METHODS)
    bp.add_url_rule("/trace/<int:number>.json", "trace_json", trace_json, methods=_METHODS)
    bp.add_url_rule("/routes", "routes", routes, methods=_METHODS)
    bp.add_url_rule("/signals", "signals", signals, methods=_METHODS)
    bp.add_url_rule("/traces.json", "traces_json", traces_json, methods=_METHODS)
    bp.add_url_rule("/stats.json", "stats_json", stats_json, methods=_METHODS)
    return bp


def gate() -> None:
    """``before_request``: a 404 unless the request is allowed; only reading methods."""
    if not devtools().allowed(request_ctx.request):
        abort(404)
    if request.method not in _READ:
        raise MethodNotAllowed(valid_methods=list(_READ))


# -- what is shown ----------------------------------------------------------------------


def _own() -> bool:
    """``?own=1``: show the pages' own requests too."""
    return request.args.get("own") == "1"


def _filters() -> Filters:
    try:
        return Filters.parse(request.args)
    except WrongFilter as e:
        abort(400, description=str(e))


def _listed() -> list[Trace]:
    """The kept traces, newest first, without this request's own (and the pages' unless asked)."""
    current = request_ctx.trace
    return [tr for tr in devtools().traces(own=_own()) if tr is not current]


def _shown(filters: Filters) -> list[Trace]:
    """The listed traces the filters admit, newest first."""
    return [tr for tr in _listed() if filters.admit(tr)]


def _found(number: int) -> Trace:
    trace = devtools().find(number)
    if trace is None:
        abort(404, description=f"No trace #{number} is kept (the tracer keeps the latest ones).")
    return trace


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


# -- the views --------------------------------------------------------------------------


def index() -> str:
    """The recent requests, newest first, filtered by ``?path=`` and ``?status=``."""
    filters = _filters()
    tools = devtools()
    shown = [(tools.id_of(tr), _clock(tr.started), tr) for tr in _shown(filters)]
    return render_template(
        "_tocsin/index.html",
        rows=shown,
        filters=filters,
        own=_own(),
        kept=len(_listed()),
        page="index",
    )


def _clock(started: float) -> str:
    """A wall-clock time of day, to the millisecond (the server's local time)."""
    return time.strftime("%H:%M:%S", time.localtime(started)) + f".{int(started % 1 * 1000):03d}"


def trace_page(number: int) -> str:
    """One request's waterfall: each step, with its calls and signals, timed."""
    trace = _found(number)
    return render_template(
        "_tocsin/trace.html",
        number=number,
        trace=trace,
        rows=waterfall(trace),
        page="trace",
    )


def trace_json(number: int) -> dict[str, t.Any]:
    """One trace as JSON (see :func:`trace_dict`)."""
    return trace_dict(_found(number))


def routes() -> str:
    """Per route and method: count, statuses, duration percentiles, per step."""
    return render_template("_tocsin/routes.html", routes=_route_stats(), own=_own(), page="routes")


def _route_stats() -> list[t.Any]:
    tools = devtools()
    own = _own()

    def keep(rule: str | None) -> bool:
        return own or rule is None or not tools.is_own(rule)

    return route_rows(tools.tracer().stats(), keep)


def signals() -> str:
    """Every namespace's signals, with the receivers they call for this app in call order."""
    return render_template(
        "_tocsin/signals.html",
        sections=signal_sections(request_ctx.app),
        page="signals",
    )


def traces_json() -> dict[str, t.Any]:
    """``{"traces": [...]}``: the kept traces the filters admit, newest first."""
    return {"traces": [trace_dict(tr) for tr in _shown(_filters())]}


def stats_json() -> dict[str, t.Any]:
    """``{"routes": [...]}``: each route's ``RouteStats.as_dict()``, busiest first."""
    return {"routes": [s.as_dict() for s in _route_stats()]}
