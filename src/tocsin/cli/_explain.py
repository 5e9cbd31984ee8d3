"""``tocsin explain``: the request lifecycle, for the whole app or for one request."""

from __future__ import annotations

import dataclasses
import json
import textwrap
import typing as t

import click

from .. import lifecycle
from .. import signals as _sig
from ..app import Tocsin
from ._discovery import ScriptInfo, _NothingToLoad, pass_script_info
from ._route import _REGISTRIES, Call, Route, _scope_label, explain_route
from ._tables import _describe, _table


def _hook_lines(app: Tocsin, hook: str) -> list[str]:
    """The functions registered for *hook*, one line each, in call order."""
    if hook == "view":
        return [f"{len(app.view_functions)} view functions (see 'tocsin routes')"]
    if hook == "after_this_request":
        return ["(added during a request by after_this_request())"]
    if hook == "errorhandler":
        return _error_handler_lines(app)
    registry = _REGISTRIES[hook](app)
    scopes = [scope for scope, funcs in registry.items() if scope is not None and funcs]
    reverse = lifecycle.runs_reversed(hook)
    ordered = [*reversed(scopes), None] if reverse else [None, *scopes]
    funcs = {scope: list(registry.get(scope, ())) for scope in ordered}
    return [
        f"{_scope_label(scope)}: {_describe(f)}"
        for scope in ordered
        for f in (reversed(funcs[scope]) if reverse else funcs[scope])
    ]


def _error_handler_lines(app: Tocsin) -> list[str]:
    """Error handlers, blueprints first (they are tried before the app's)."""
    spec = app.error_handler_spec
    scopes = [*(scope for scope in spec if scope is not None), None]
    return [
        f"{_scope_label(scope)}: {code or exc_class.__name__} -> {_describe(handler)}"
        for scope in scopes
        for code, handlers in list(spec.get(scope, {}).items())
        for exc_class, handler in handlers.items()
    ]


def _step_details(step: lifecycle.Step, app: Tocsin | None, verbose: bool) -> list[str]:
    """Indented lines under a step: its summary, then the app's functions and receivers."""
    lines = [step.summary] if verbose else []
    if app is not None:
        for hook in step.hooks:
            lines.extend(_hook_lines(app, hook) or [f"{hook}: (none registered)"])
        if step.signal is not None:
            signal: _sig.Signal = getattr(_sig, step.signal)
            lines.extend(f"receiver: {_describe(r)}" for r in signal.receivers_for(app))
    return [f"      {line}" for line in lines]


def _optional_app(info: ScriptInfo) -> Tocsin | None:
    """The application, or ``None`` when none was named and none is in the current directory."""
    try:
        return info.load_app()
    except _NothingToLoad:
        return None


@click.command("explain", short_help="Show the request lifecycle and the app's hooks.")
@click.argument("method", required=False)
@click.argument("path", required=False)
@click.option(
    "--subdomain", metavar="NAME", help="With METHOD PATH: the subdomain the request is for."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--verbose", "-v", is_flag=True, help="Also say what happens in each step.")
@pass_script_info
def explain_command(
    info: ScriptInfo,
    method: str | None,
    path: str | None,
    subdomain: str | None,
    as_json: bool,
    verbose: bool,
) -> None:
    """Show the nineteen steps of a request, from tocsin.lifecycle.STEPS.

    With an application (--app, TOCSIN_APP or FLASK_APP, or wsgi.py or
    app.py in the current directory), also list under each step the
    functions registered for its hooks and the receivers of its signal, in
    the order they are called.
    Works without an application too.

    With METHOD and PATH (a path, with a query string if you like, or a
    full URL), resolve the URL as the app would (its rule, endpoint, view,
    blueprints and URL values, or the 404, 405 or redirect it gives) and
    list what each step would run for that request, from the plan the app
    compiled for it, with the error handlers that would take a 404, 405 or
    500 there. No request is made.
    """
    if (method is None) != (path is None) or (subdomain is not None and path is None):
        raise click.UsageError(
            "Give both METHOD and PATH (as in 'tocsin explain GET /'), or neither."
        )
    if method is not None and path is not None:
        route = explain_route(info.load_app(), method, path, subdomain)
        if as_json:
            click.echo(json.dumps(_jsonable(dataclasses.asdict(route)), indent=2))
        else:
            click.echo("\n".join(_route_lines(route, verbose)))
        return
    app = _optional_app(info)
    if as_json:
        click.echo(json.dumps(_lifecycle_data(app), indent=2))
        return
    rows = [
        [str(s.number), s.name, ", ".join(s.hooks) or "-", s.signal or "-"] for s in lifecycle.STEPS
    ]
    table = _table(("#", "Step", "Hooks", "Signal"), rows)
    out = table[:2]
    for step, line in zip(lifecycle.STEPS, table[2:], strict=True):
        out.append(line)
        out.extend(_step_details(step, app, verbose))
    out.append("")
    out.append("Error path:")
    out.append(textwrap.fill(lifecycle.ERROR_PATH, 79, initial_indent="  ", subsequent_indent="  "))
    click.echo("\n".join(out))


def _lifecycle_data(app: Tocsin | None) -> dict[str, t.Any]:
    """The whole-app listing as JSON-ready data."""
    steps = []
    for step in lifecycle.STEPS:
        data: dict[str, t.Any] = {
            "number": step.number,
            "name": step.name,
            "summary": step.summary,
            "phase": step.phase,
            "hooks": list(step.hooks),
            "signal": step.signal,
        }
        if app is not None:
            data["registered"] = [line.strip() for line in _step_details(step, app, False)]
        steps.append(data)
    return {"steps": steps, "error_path": lifecycle.ERROR_PATH}


def _jsonable(value: t.Any) -> t.Any:
    """*value* with what JSON cannot hold (a URL value's UUID, say) as its ``str``."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _route_head(route: Route) -> list[str]:
    """The header of ``explain METHOD PATH``: how the URL resolves."""
    if route.outcome == "matched":
        head = f"{route.method} {route.path} -> {route.endpoint}"
    elif route.outcome == "redirect":
        head = f"{route.method} {route.path} -> {route.status} redirect to {route.reason}"
    else:
        status = f"{route.status} " if route.status is not None else ""
        head = f"{route.method} {route.path} -> {status}{route.reason}"
    fields = [("URL", route.url)]
    if route.rule is not None:
        fields.append(("rule", f"{route.rule} ({', '.join(route.methods)})"))
    if route.host is not None:
        fields.append(("host", route.host))
    if route.subdomain is not None:
        fields.append(("subdomain", route.subdomain))
    if route.view is not None:
        fields.append(("view", route.view))
    if route.blueprints:
        fields.append(("blueprints", ", ".join(route.blueprints) + " (innermost first)"))
    if route.url_values:
        values = ", ".join(f"{k}={v!r}" for k, v in route.url_values.items())
        fields.append(("URL values", values))
    if route.allowed:
        fields.append(("allowed", ", ".join(route.allowed)))
    width = max(len(name) for name, _ in fields)
    return [head, *(f"  {name.ljust(width)}  {value}" for name, value in fields)]


def _call_line(call: Call) -> str:
    """One line of what a step runs."""
    name = call.name + (" (async)" if call.is_async else "")
    if call.kind == "receiver":
        sender = "any sender" if call.sender == "any" else "this app only"
        return f"receiver: {name}, priority {call.priority}, {sender}"
    if call.kind == "handler":
        return f"{call.error}: {call.scope}: {name}" + ("  <- takes it" if call.takes else "")
    if call.kind == "default":
        return f"{call.error}: no handler: {name}"
    if call.kind == "hook":
        return f"{call.scope}: {name}"
    return f"{call.kind}: {name}"


def _route_lines(route: Route, verbose: bool = False) -> list[str]:
    """``explain METHOD PATH`` as text: the resolution, then every step and what it runs."""
    lines = [*_route_head(route), ""]
    for step, row in zip(route.steps, lifecycle.STEPS, strict=True):
        lines.append(f"{str(step.number).ljust(2)}  {step.name}")
        if verbose:
            lines.append(f"      - {row.summary}")
        details = [*step.notes, *map(_call_line, step.calls)] or ["(nothing registered)"]
        lines.extend(f"      {line}" for line in details)
    lines.append("")
    lines.append("Error path (an exception no handler takes):")
    receivers = [_call_line(c) for c in route.error_path] or ["(nothing registered)"]
    lines.append("  got_request_exception")
    lines.extend(f"      {line}" for line in receivers)
    lines.append("  then it propagates (PROPAGATE_EXCEPTIONS), or the 500 handlers of step 9 run")
    return lines
