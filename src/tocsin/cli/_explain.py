"""``tocsin explain``: the request lifecycle, with the application's hooks and receivers."""

from __future__ import annotations

import collections.abc as c
import textwrap
import typing as t

import click

from .. import lifecycle
from .. import signals as _sig
from ..app import Tocsin
from ._discovery import ScriptInfo, _NothingToLoad, pass_script_info
from ._tables import _describe, _table

#: Where each hook of the lifecycle table keeps its functions, by scope
#: (``None`` for the app, else a blueprint's name).
_REGISTRIES: dict[str, c.Callable[[Tocsin], c.Mapping[str | None, c.Sequence[t.Any]]]] = {
    "before_first_request": lambda app: {None: app.before_first_request_funcs},
    "url_value_preprocessor": lambda app: app.url_value_preprocessors,
    "before_request": lambda app: app.before_request_funcs,
    "after_request": lambda app: app.after_request_funcs,
    "teardown_request": lambda app: app.teardown_request_funcs,
    "teardown_appcontext": lambda app: {None: app.teardown_appcontext_funcs},
}


def _scope_label(scope: str | None) -> str:
    return "app" if scope is None else f"blueprint {scope}"


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
@click.option("--verbose", "-v", is_flag=True, help="Also say what happens in each step.")
@pass_script_info
def explain_command(info: ScriptInfo, verbose: bool) -> None:
    """Show the nineteen steps of a request, from tocsin.lifecycle.STEPS.

    With an application (--app, TOCSIN_APP or FLASK_APP, or wsgi.py or
    app.py in the current directory), also list under each step the
    functions registered for its hooks and the receivers of its signal, in
    the order they are called.
    Works without an application too.
    """
    app = _optional_app(info)
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
