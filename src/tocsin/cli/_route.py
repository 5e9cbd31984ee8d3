"""What one request would run: its URL resolved as the app resolves it, its plan read step by step.

``tocsin explain METHOD PATH`` prints this. Nothing here makes a request:
the URL is matched by the app's own matcher (its ``SERVER_NAME``,
subdomain and host rules, an overridden ``create_url_adapter``), and what
each step runs is read from the plan the app compiled for the endpoint
(:meth:`tocsin._compile.Lifecycle.plan`, :attr:`~tocsin._compile.Plan.steps`),
the very entries the pipeline runs. The registries only give the names:
which scope a hook belongs to, a receiver's priority, which error handlers
are registered and in what order the app looks them up.
"""

from __future__ import annotations

import collections.abc as c
import typing as t
from dataclasses import dataclass, field

from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)
from werkzeug.routing import RequestRedirect
from werkzeug.routing.exceptions import RoutingException

from .. import lifecycle
from .. import signals as _sig
from .._async import is_async_callable
from .._compile import OVERRIDABLE, Entry, Lifecycle, Plan, compiled
from ..app import Tocsin
from ..ctx import RequestContext
from ..scaffold import _exc_class_and_code
from ._tables import _names

__all__ = ["Call", "Route", "StepReport", "explain_route"]


@dataclass(frozen=True)
class Call:
    """One function or receiver that a step runs (or, for an error handler, may run)."""

    #: ``hook``, ``view``, ``receiver``, ``handler``, ``session``, or ``default`` (no
    #: handler for an error: :attr:`name` says what answers it instead).
    kind: str
    #: ``module.qualname``.
    name: str
    is_async: bool = False
    #: For hooks and handlers: ``app`` or ``blueprint NAME``.
    scope: str | None = None
    #: For receivers: the signal's name, its priority, and ``any`` (connected for
    #: every sender) or ``app`` (for this app only).
    signal: str | None = None
    priority: int | None = None
    sender: str | None = None
    #: For handlers: the error (``404``, ``ValueError``) and whether the app
    #: picks this handler for it (the first one it finds).
    error: str | None = None
    takes: bool | None = None


@dataclass(frozen=True)
class StepReport:
    """One step of :data:`tocsin.lifecycle.STEPS` for this request."""

    number: int
    name: str
    #: What runs, in call order; empty when nothing is registered.
    calls: tuple[Call, ...] = ()
    #: Remarks: first request only, a replaced Flask method, a routing error raised here...
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A request's URL as the app resolves it, and what each step would run for it."""

    method: str
    path: str
    url: str
    #: ``matched``, ``redirect`` or ``error`` (a 404, a 405, a bad host...).
    outcome: str
    #: The routing error's or redirect's status code (``None`` when matched).
    status: int | None
    #: The routing error's name (``Not Found``), or the redirect's target.
    reason: str | None
    rule: str | None
    #: The rule's subdomain (or host, with host matching), if it has one.
    subdomain: str | None
    host: str | None
    endpoint: str | None
    methods: tuple[str, ...]
    view: str | None
    #: Blueprint names, innermost first (the order error handlers are looked up).
    blueprints: tuple[str, ...]
    url_values: dict[str, t.Any]
    #: For a 405: the methods the URL allows.
    allowed: tuple[str, ...]
    steps: tuple[StepReport, ...] = field(default=())
    #: The error path's ``got_request_exception`` receivers.
    error_path: tuple[Call, ...] = field(default=())


def resolve(app: Tocsin, method: str, path: str, subdomain: str | None = None) -> RequestContext:
    """A request context for *method* and *path*, its URL matched by the app (step 3).

    The environ is the test client's (``SERVER_NAME``, ``APPLICATION_ROOT``
    and ``PREFERRED_URL_SCHEME`` give the host and root; *path* may be a
    full URL). The context is not pushed and nothing runs.
    """
    ctx = app.test_request_context(path, method=method.upper(), subdomain=subdomain)
    if ctx.url_rule is None and ctx.routing_exception is None:
        ctx.match_request()
    return ctx


def explain_route(app: Tocsin, method: str, path: str, subdomain: str | None = None) -> Route:
    """Resolve *method* *path* and read, step by step, what the app's plan for it runs."""
    ctx = resolve(app, method, path, subdomain)
    life = compiled(app)
    plan = life.plan(ctx)
    rule, error = ctx.url_rule, ctx.routing_exception
    if error is None:
        outcome, status, reason = "matched", None, None
    elif isinstance(error, RequestRedirect):
        outcome, status, reason = "redirect", error.code, error.new_url
    else:
        outcome = "error"
        status = error.code if isinstance(error, HTTPException) else None
        reason = error.name if isinstance(error, HTTPException) else type(error).__name__
    endpoint = rule.endpoint if rule is not None else None
    view = app.view_functions.get(endpoint) if endpoint is not None else None
    reader = _PlanReader(app, life, plan, ctx)
    return Route(
        method=ctx.method,
        path=path,
        url=ctx.request.url,
        outcome=outcome,
        status=status,
        reason=reason,
        rule=rule.rule if rule is not None else None,
        subdomain=(rule.subdomain or None) if rule is not None else None,
        host=(rule.host or None) if rule is not None else None,
        endpoint=endpoint,
        methods=tuple(sorted(rule.methods or ())) if rule is not None else (),
        view=_name(view) if view is not None else None,
        blueprints=plan.blueprints,
        url_values=dict(ctx.view_args or {}),
        allowed=tuple(sorted(error.valid_methods or ()))
        if isinstance(error, MethodNotAllowed)
        else (),
        steps=tuple(reader.step(s) for s in lifecycle.STEPS),
        error_path=tuple(reader.receivers("got_request_exception")),
    )


def _name(func: t.Any) -> str:
    qualname, module = _names(func)
    return f"{module}.{qualname}"


def _scope_label(scope: str | None) -> str:
    return "app" if scope is None else f"blueprint {scope}"


def _same(planned: t.Any, registered: t.Any) -> bool:
    """Whether a plan's function is *registered* (or the tracer's wrapper of it)."""
    return planned is registered or getattr(planned, "__wrapped__", None) is registered


def _hook_functions(work: t.Any) -> list[t.Any]:
    """The functions of a hook step's plan entry, in call order.

    The compiler gives a tuple of functions, a tuple of ``(function, is
    async)`` pairs, or the one ``async`` function itself.
    """
    if work is None:
        return []
    if not isinstance(work, tuple):
        return [work]
    return [f[0] if isinstance(f, tuple) else f for f in work]


#: Where each hook keeps its functions, by scope (``None``: the app).
_REGISTRIES: dict[str, c.Callable[[Tocsin], c.Mapping[str | None, c.Sequence[t.Any]]]] = {
    "before_first_request": lambda app: {None: app.before_first_request_funcs},
    "url_value_preprocessor": lambda app: app.url_value_preprocessors,
    "before_request": lambda app: app.before_request_funcs,
    "after_request": lambda app: app.after_request_funcs,
    "teardown_request": lambda app: app.teardown_request_funcs,
    "teardown_appcontext": lambda app: {None: app.teardown_appcontext_funcs},
}

#: The errors whose handlers ``explain`` lists for a matched route.
_ERRORS: tuple[type[HTTPException], ...] = (NotFound, MethodNotAllowed, InternalServerError)


class _PlanReader:
    """Reads one request's plan, step by step, into :class:`StepReport` objects."""

    def __init__(self, app: Tocsin, life: Lifecycle, plan: Plan, ctx: RequestContext) -> None:
        self.app = app
        self.life = life
        self.plan = plan
        self.ctx = ctx
        self.entries: dict[str, Entry] = {**life.steps, **plan.steps}

    def step(self, step: lifecycle.Step) -> StepReport:
        """What *step* runs for this request."""
        calls: list[Call] = []
        notes: list[str] = []
        name = step.name
        if name == "before_first_request" and self.app.before_first_request_funcs:
            done = name not in self.entries  # (compiled only until the first request ran it)
            notes.append("already ran, at the first request" if done else "first request only")
        if name in _REGISTRIES:
            calls.extend(self.hooks(name))
        elif name == "dispatch":
            self.dispatch(calls, notes)
        elif name == "handle_exception":
            self.handlers(calls, notes)
        elif name == "after_this_request":
            notes.append("functions added during the request by after_this_request()")
        elif name in ("push_request_context", "save_session") and self.life.opens_session:
            iface = self.app.session_interface
            method = "open_session" if name == "push_request_context" else "save_session"
            calls.append(Call("session", _name(getattr(iface, method))))
        elif name == "match_url":
            notes.append(self._match_note())
        if step.signal is not None:
            calls.extend(self.receivers(step.signal))
        override = self._override(name)
        if override is not None:
            notes.append(override)
        return StepReport(step.number, name, tuple(calls), tuple(notes))

    def hooks(self, name: str) -> list[Call]:
        """The hook functions of step *name*, from its plan entry, with their scopes."""
        entry = self.entries.get(name)
        if entry is None:
            return []
        work = entry[1]
        if name == "before_first_request":
            planned = list(self.app.before_first_request_funcs)  # (the step runs them all)
        elif name in ("teardown_request", "teardown_appcontext"):
            planned = _hook_functions(work[0])
        else:
            planned = _hook_functions(work)
        labelled = self._registered(name)
        calls, position = [], 0
        for fn in planned:  # (each matched to the next registered function it is)
            at = next(
                (i for i in range(position, len(labelled)) if _same(fn, labelled[i][1])), None
            )
            if at is None:  # (never: the plan is built from the same registries)
                calls.append(Call("hook", _name(fn), is_async_callable(fn), "?"))
                continue
            scope, registered = labelled[at]
            position = at + 1
            calls.append(Call("hook", _name(registered), is_async_callable(registered), scope))
        return calls

    def _registered(self, name: str) -> list[tuple[str, t.Any]]:
        """``(scope label, function)`` of hook *name* for this request, in the table's order."""
        registry = _REGISTRIES[name](self.app)
        chain = self.plan.blueprints
        if lifecycle.runs_reversed(name):  # (innermost blueprint first, each scope reversed)
            return [
                (_scope_label(s), f) for s in (*chain, None) for f in reversed(registry.get(s, ()))
            ]
        return [(_scope_label(s), f) for s in (None, *reversed(chain)) for f in registry.get(s, ())]

    def dispatch(self, calls: list[Call], notes: list[str]) -> None:
        """Step 8: the view, or the stored routing error it raises."""
        ctx, rule = self.ctx, self.ctx.url_rule
        error = ctx.routing_exception
        if error is not None:
            notes.append(f"raises the stored {_error_label(error)}; no view runs")
            return
        assert rule is not None
        view = self.app.view_functions.get(rule.endpoint)
        if view is None:
            notes.append(f"no view function for endpoint {rule.endpoint!r}: a KeyError")
            return
        if ctx.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            notes.append("the automatic OPTIONS response; the view is not called")
            return
        calls.append(Call("view", _name(view), is_async_callable(view)))

    def handlers(self, calls: list[Call], notes: list[str]) -> None:
        """Step 9: the error handlers for this route's 404, 405 and 500, in lookup order."""
        error = self.ctx.routing_exception
        if isinstance(error, RoutingException):
            notes.append("a redirect is its own response: no error handler")
            errors: tuple[BaseException, ...] = (InternalServerError(),)
        elif error is not None:
            errors = (error, InternalServerError())
        else:
            errors = tuple(cls() for cls in _ERRORS)
        for e in errors:
            found = self.handlers_for(e)
            if not found:  # (what answers instead: the error itself, or the error path)
                calls.append(Call("default", _default_response(e), error=_error_key(e), takes=True))
            calls.extend(found)
        listed = {(c.scope, c.name) for c in calls}
        for scope, key, handler in self._other_handlers():
            if (scope, _name(handler)) not in listed:
                listed.add((scope, _name(handler)))
                is_async = is_async_callable(handler)
                calls.append(Call("handler", _name(handler), is_async, scope, error=key))

    def handlers_for(self, e: BaseException) -> list[Call]:
        """The handlers registered for *e* in this request's scopes, in the app's lookup order.

        As :meth:`~tocsin.app.Tocsin._find_error_handler` looks: by code
        before by class, blueprints (innermost first) before the app, the
        exception's classes in MRO order. The first one takes it (the app's
        own lookup says which).
        """
        exc_class, code = _exc_class_and_code(type(e))
        spec = self.app.error_handler_spec
        taken = self.app._find_error_handler(e, self.plan.blueprints)
        found: list[Call] = []
        for key in (code, None) if code is not None else (None,):
            for scope in (*self.plan.blueprints, None):
                handler_map = spec.get(scope, {}).get(key) or {}
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is None:
                        continue
                    takes = taken is not None and taken[0] is handler and not found
                    found.append(
                        Call(
                            "handler",
                            _name(handler),
                            is_async_callable(handler),
                            _scope_label(scope),
                            error=_error_key(e),
                            takes=takes,
                        )
                    )
        return found

    def _other_handlers(self) -> list[tuple[str, str, t.Any]]:
        """Every other handler of this request's scopes: ``(scope, error, handler)``."""
        spec = self.app.error_handler_spec
        out = []
        for scope in (*self.plan.blueprints, None):
            for code, by_class in spec.get(scope, {}).items():
                for cls, handler in by_class.items():
                    out.append((_scope_label(scope), str(code) if code else cls.__name__, handler))
        return out

    def receivers(self, signal_name: str) -> list[Call]:
        """The receivers of the built-in signal *signal_name* for this app, in call order."""
        signal: _sig.Signal = getattr(_sig, signal_name)
        return [
            Call(
                "receiver",
                _name(receiver),
                is_async_callable(receiver),
                signal=signal_name,
                priority=priority,
                sender="any" if for_any else "app",
            )
            for receiver, priority, for_any in _sig.connections(signal, self.app)
        ]

    def _match_note(self) -> str:
        ctx = self.ctx
        if ctx.routing_exception is not None:
            return f"stores {_error_label(ctx.routing_exception)}"
        assert ctx.url_rule is not None
        return f"matches {ctx.url_rule.rule} -> {ctx.url_rule.endpoint}"

    def _override(self, name: str) -> str | None:
        """The app's own Flask method that runs *name* in place of the stock step, if any."""
        for method, names in OVERRIDABLE.items():
            if name in names and method in self.plan.overridden:
                own = getattr(self.app, method)
                return f"run by the app's own {method}() ({_name(own)})"
        return None


def _error_key(e: BaseException) -> str:
    code = getattr(e, "code", None)
    return str(code) if isinstance(e, HTTPException) and code else type(e).__name__


def _error_label(e: BaseException) -> str:
    if isinstance(e, RequestRedirect):
        return f"{e.code} redirect to {e.new_url}"
    if isinstance(e, HTTPException):
        return f"{e.code} {e.name}"
    return type(e).__name__


def _default_response(e: BaseException) -> str:
    if isinstance(e, HTTPException):
        return f"the default {e.code} {e.name} response"
    return "the error path"
