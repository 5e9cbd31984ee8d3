"""The compiler: from the lifecycle table and an app's registrations, the plans that run.

:data:`tocsin.lifecycle.STEPS` says what happens and in which order;
:mod:`tocsin._steps` has the function of each step. For one app, this
module builds once, and keeps in one object (:class:`Lifecycle`, at
``app.compiled``), everything a request needs from them:

* per endpoint (``None`` for a request no rule matched), a :class:`Plan`:
  for each phase, the entries ``(step function, its work, kind)``
  of only the steps that have work, in the table's order, with the hooks of
  the endpoint's blueprint scope flattened and their ``async`` flags
  decided, and the plain or the generator variant of each step picked;
* the getters of the built-in signals' receivers (see
  ``Signal._sync_calls``), the Flask request methods the app overrides
  (their steps are replaced by a call to the override), and the fast paths
  (steps 1 and 2 in one call, a response with no object, steps 16 to 19 as
  two resets) decided here, not on each request.

Any change to the registrations (decorators, the hook dicts, a signal's
``connect``/``disconnect``) makes the app drop it (``app._changed``) or
makes it stale (the signals' generation); the next request compiles again.
A request keeps the plan it began with.

When a tracer is installed, the requests it samples run a traced twin
(``compiled(app, traced=True)``, kept on the plain one): the same plans,
fast paths included, with each entry and each hook, view, handler and
receiver wrapped by :mod:`tocsin.tracing` (a call that does several steps
records them as one); the step functions know nothing of tracing, and the
plain plans nothing of the tracer.
"""

from __future__ import annotations

import functools
import typing as t
import weakref

from . import _steps, lifecycle
from . import signals as _sig
from ._async import is_async_callable
from ._responses import direct_allowed, direct_response, never_direct
from .signals import _registry
from .wrappers import _blueprint_chain

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext

__all__ = ["OVERRIDABLE", "Entry", "Lifecycle", "Plan", "compiled", "stock"]

#: One step of a plan: ``(function, work, kind)``; kind: ``False`` for a plain
#: function, ``True`` for a generator, :data:`~tocsin._steps.AWAITS` for a function
#: returning an awaitable.
Entry = tuple[t.Callable[..., t.Any], t.Any, t.Any]

#: Flask's request methods, outermost first, and the steps each one runs.
#: An app (or its class) that defines its own has those steps replaced, in
#: every plan, by a call to it.
OVERRIDABLE: dict[str, tuple[str, ...]] = {
    "full_dispatch_request": (
        "before_first_request",
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "dispatch",
        "handle_exception",
        "make_response",
        "after_this_request",
        "after_request",
        "save_session",
        "request_finished",
    ),
    "finalize_request": (
        "make_response",
        "after_this_request",
        "after_request",
        "save_session",
        "request_finished",
    ),
    "preprocess_request": ("url_value_preprocessor", "before_request"),
    "process_response": ("after_this_request", "after_request", "save_session"),
    "dispatch_request": ("dispatch",),
    "handle_user_exception": ("handle_exception",),
    "handle_http_exception": ("handle_exception",),
}
#: Overridable methods that replace no step: the error path, and what teardown gets.
OVERRIDABLE_ELSEWHERE = ("handle_exception", "should_ignore_error")

#: The built-in signals the steps send (the table's ``signal`` column).
_SIGNALLED = tuple(s.signal for s in lifecycle.STEPS if s.signal is not None)


class Plan:
    """What runs for the requests of one endpoint, phase by phase."""

    __slots__ = (
        "app_teardown",
        "blueprints",
        "enter",
        "error_path",
        "generation",
        "handle",
        "in_thread",
        "overridden",
        "recover",
        "resets_only",
        "respond",
        "respond_error",
        "steps",
        "streams_body",
        "teardown",
        "teardown_sync",
    )

    #: Blueprint names, innermost first (for error handlers).
    blueprints: tuple[str, ...]
    enter: tuple[Entry, ...]
    handle: tuple[Entry, ...]
    #: Step 9's entry, also used by an unmatched request's step 8.
    recover: Entry
    respond: tuple[Entry, ...]
    #: Steps 10 to 14 after an unhandled error, one entry per step (each may fail alone).
    respond_error: tuple[Entry, ...]
    #: Steps 16 and 17 (or one entry for 16 to 19, when only the pops have work).
    teardown: tuple[Entry, ...]
    #: Whether :attr:`teardown` is one entry that only resets both contexts
    #: (nothing registered for steps 16 to 19: nothing to tell, nothing can fail).
    resets_only: bool
    #: Whether no entry of :attr:`teardown` or :attr:`app_teardown` is a generator.
    teardown_sync: bool
    #: Steps 18 and 19, unless :attr:`teardown` does them.
    app_teardown: tuple[Entry, ...]
    #: The error path's entry (see :attr:`Lifecycle.error_path`).
    error_path: Entry
    #: The Flask request methods the app overrides.
    overridden: frozenset[str]
    #: The signals' generation the plan was compiled at (see :func:`compiled`).
    generation: int
    #: Under ASGI, whether the request runs from step 4 on in a worker thread
    #: (a sync view, or an overridden Flask method: sync code).
    in_thread: bool
    #: Whether the view reads the body as it arrives (``stream_request_body``).
    streams_body: bool
    #: Each step's own entry (before overridden Flask methods replace any), by
    #: step name: what those methods run when called.
    steps: dict[str, Entry]


class Lifecycle:
    """Everything derived from one app's registrations, built at its first request.

    Read by the pipeline and the drivers; rebuilt after any change (see the
    module docstring).
    """

    def __init__(self, app: Tocsin, wrap: t.Any = None) -> None:
        self.generation = _registry.generation  # read first: a change meanwhile is seen
        self._app = weakref.ref(app)  # the app holds this: no cycle
        #: The tracer's wrapper, for the traced twin (see :func:`compiled`).
        self._wrap = wrap
        self.traced = wrap is not None
        #: The traced twin of this lifecycle, made at the first sampled request.
        self.twin: Lifecycle | None = None
        self.calls: dict[str, _steps.Getters | None] = {
            name: getattr(_sig, name)._sync_calls(app) for name in _SIGNALLED
        }
        own = set(OVERRIDABLE) | set(OVERRIDABLE_ELSEWHERE)
        self.overridden = frozenset(name for name in own if _overridden(app, name))
        #: Whether plain return values may skip the response object (Direct tuples),
        #: and how the response steps try it.
        self.direct = direct_allowed(app)
        self._direct_response: t.Any = direct_response if self.direct else never_direct
        #: Whether a custom session interface opens the session in step 2.
        self.opens_session = app.session_interface.saves_every_request()
        self.open = self._open()
        #: The error path (traced as step 9; see :data:`tocsin.lifecycle.ERROR_PATH`).
        got = _sig.got_request_exception
        got_calls = got._sync_calls(app)
        if got_calls is not None and self._wrap is not None:
            got_calls = self._wrap.signal(got, got_calls, app)
        self.error_path = self._wrap_entry(
            "handle_exception",
            (_steps.unhandled, (got_calls, self._traced_signal(got), self._find_handler()), True),
        )
        #: The entries of the steps that do not depend on the endpoint, by step name.
        self.steps: dict[str, Entry] = {}
        self._plain_pop: Entry = self._wrap_entry(
            "pop_app_context", (_steps.pop_app_context, ((), _sig.appcontext_popped), False)
        )
        #: Whether steps 18 and 19 have nothing to do but the pop (set by ``_app_teardown``).
        self._app_teardown_plain = False
        #: Steps 18 and 19 (also run by an app context popped outside a request).
        self.app_teardown = self._app_teardown()
        self._plans: dict[str | None, Plan] = {}

    @property
    def app(self) -> Tocsin:
        """The app this was compiled for."""
        app = self._app()
        assert app is not None, "an app's compiled lifecycle outlives it"
        return app

    # -- entries -------------------------------------------------------------------

    def _entry(self, name: str, work: t.Any = None, is_async: bool = False) -> Entry:
        """The entry of step *name*: its function (or its ``_async`` variant), wrapped if traced."""
        runs = lifecycle.step(name).runs
        assert runs is not None
        fn = getattr(_steps, f"{runs}_async", None) if is_async else None
        if fn is None:
            fn = getattr(_steps, runs)
        kind: bool | int = is_async or runs in _ALWAYS_GENERATORS
        if is_async and runs in _AWAITING:
            kind = _steps.AWAITS
        entry = (fn, work, kind)
        return self._wrap(name, entry) if self._wrap is not None else entry

    def _hooks(self, name: str, funcs: t.Iterable[t.Callable[..., t.Any]]) -> Entry | None:
        """The entry of hook step *name*; ``None`` when it has no function (and is untraced)."""
        hooks = [(f, is_async_callable(f)) for f in funcs]
        if not hooks:
            return None
        if self._wrap is not None:
            hooks = [self._wrap.call(name, f, a) for f, a in hooks]
        if len(hooks) == 1 and hooks[0][1] and name in _ONE_ASYNC:  # one async function
            fn, awaits = _ONE_ASYNC[name]
            return self._wrap_entry(name, (fn, hooks[0][0], awaits))
        if any(a for _, a in hooks):
            return self._entry(name, tuple(hooks), True)
        return self._entry(name, tuple(f for f, _ in hooks))

    def _signal(self, step: str) -> Entry | None:
        """The entry of a step whose only work is to send its signal (the table's)."""
        name = lifecycle.step(step).signal
        assert name is not None
        calls = self.calls[name]
        signal = getattr(_sig, name)
        if calls is None:
            return self._entry(step, self._traced_signal(signal), True)
        if not calls:
            return None
        return self._entry(step, self._wrapped_calls(signal, calls))

    def _wrapped_calls(self, signal: t.Any, calls: t.Any) -> t.Any:
        """The getters of *signal*'s receivers, wrapped to record the send when traced."""
        if self._wrap is None or not calls:
            return calls
        return self._wrap.signal(signal, calls, self.app)

    # -- open: steps 1 to 3 --------------------------------------------------------

    def _open(self) -> tuple[Entry, ...]:
        pushed = self._signal("push_app_context")
        if pushed is None and not self.opens_session:
            fused = self._wrap_entry(
                ("push_app_context", "push_request_context"), (_steps.push_contexts, None, False)
            )
            return (fused, self._entry("match_url"))
        if pushed is None:
            pushed = self._entry("push_app_context", ())
        return (
            pushed,
            self._entry("push_request_context", self.opens_session),
            self._entry("match_url"),
        )

    # -- per endpoint --------------------------------------------------------------

    def plan(self, ctx: RequestContext) -> Plan:
        """The plan of the request of *ctx*, once its URL is matched."""
        rule = ctx.url_rule
        endpoint = rule.endpoint if rule is not None else None
        plan = self._plans.get(endpoint)
        if plan is None:
            plan = self._plans[endpoint] = self._compile(endpoint)
        return plan

    def _compile(self, endpoint: str | None) -> Plan:
        app = self.app
        scope = endpoint.rpartition(".")[0] if endpoint and "." in endpoint else None
        chain = tuple(_blueprint_chain(scope)) if scope else ()
        plan = Plan()
        plan.generation = self.generation
        plan.overridden = self.overridden
        plan.error_path = self.error_path
        plan.blueprints = chain
        view = app.view_functions.get(endpoint) if endpoint is not None else None
        view_is_async = view is not None and is_async_callable(view)
        plan.streams_body = bool(getattr(view, "stream_request_body", False))
        plan.in_thread = (view is not None and not view_is_async) or bool(
            self.overridden - {"should_ignore_error"}
        )

        def scoped(registry: dict[str | None, list[t.Any]], hook: str) -> list[t.Any]:
            if lifecycle.runs_reversed(hook):
                return [f for name in (*chain, None) for f in reversed(registry.get(name, ()))]
            return [f for name in (None, *reversed(chain)) for f in registry.get(name, ())]

        handlers_async = any(
            is_async_callable(h)
            for name in (None, *chain)
            for by_class in app.error_handler_spec.get(name, {}).values()
            for h in by_class.values()
        )
        find = self._find_handler()
        own_recover = self._entry("handle_exception", find, handlers_async)
        recover = own_recover
        if self.overridden & {"handle_user_exception", "handle_http_exception"}:
            recover = (_call_override, "handle_user_exception", False)
        steps: dict[str, Entry | None] = {}
        if app.before_first_request_funcs and not app._first_request_done:
            steps["before_first_request"] = self._entry("before_first_request")
        steps["request_started"] = self._signal("request_started")
        steps["url_value_preprocessor"] = self._hooks(
            "url_value_preprocessor", scoped(app.url_value_preprocessors, "url_value_preprocessor")
        )
        steps["before_request"] = self._hooks(
            "before_request", scoped(app.before_request_funcs, "before_request")
        )
        if view is None and endpoint is not None:  # a rule without a view: a KeyError, in step 8
            view = functools.partial(_no_view, app.view_functions, endpoint)
        if view is None:
            fn = _steps.dispatch_unmatched_async if recover[2] else _steps.dispatch_unmatched
            steps["dispatch"] = self._wrap_entry("dispatch", (fn, recover, recover[2]))
        elif self._wrap is not None and not view_is_async:  # the step and its view: one wrapper
            steps["dispatch"] = self._wrap.dispatch((_steps.dispatch, view, False))
        else:
            if self._wrap is not None:
                view = self._wrap.call("view", view, view_is_async)[0]
            steps["dispatch"] = self._entry("dispatch", view, view_is_async)
        after = self._hooks("after_request", scoped(app.after_request_funcs, "after_request"))
        finished = self._signal("request_finished")
        steps["make_response"] = self._entry("make_response", self._direct_response)
        steps["after_this_request"] = self._entry("after_this_request")
        steps["after_request"] = after
        steps["save_session"] = self._entry("save_session")
        steps["request_finished"] = finished
        steps["handle_exception"] = own_recover
        own = plan.steps = {name: e for name, e in steps.items() if e is not None}
        request_teardown_funcs = scoped(app.teardown_request_funcs, "teardown_request")
        teardown = self._teardown_step("teardown_request", request_teardown_funcs)
        if teardown is not None:
            own["teardown_request"] = teardown
        if self.overridden & {"handle_user_exception", "handle_http_exception"}:
            recover = (_call_override, "handle_user_exception", False)
        after_error = self._substitute(dict(steps), exclude="full_dispatch_request")
        plan.respond_error = tuple(  # (as Flask's handle_exception calls finalize_request)
            e for s in lifecycle.phase("respond") if (e := after_error.get(s.name)) is not None
        )
        finished_calls = self.calls["request_finished"]
        if (
            self.direct and after is None and finished_calls is not None and not self.overridden
        ):  # 10, 11, 13 and 14 in one call
            steps["make_response"] = self._wrap_entry(
                _RESPOND_DIRECT,
                (
                    _steps.respond_direct,
                    self._wrapped_calls(_sig.request_finished, finished_calls),
                    False,
                ),
            )
            del steps["after_this_request"], steps["save_session"], steps["request_finished"]
        elif not self.overridden:  # 10 and 11 in one call
            steps["make_response"] = self._wrap_entry(
                ("make_response", "after_this_request"),
                (_steps.make_response_once, self._direct_response, False),
            )
            del steps["after_this_request"]
        steps = self._substitute(steps)

        def phase(name: str) -> tuple[Entry, ...]:
            return tuple(e for s in lifecycle.phase(name) if (e := steps.get(s.name)) is not None)

        plan.enter = phase("enter")
        plan.handle = phase("handle")
        plan.recover = recover
        plan.respond = phase("respond")
        plan.resets_only = teardown is None and self._app_teardown_plain
        if plan.resets_only:
            plan.teardown = (self._wrap_entry(_TEARDOWN, (_steps.pop_contexts, None, False)),)
            plan.app_teardown = ()
        elif self._only_receivers(request_teardown_funcs):
            work = (
                self._wrapped_calls(_sig.request_tearing_down, self.calls["request_tearing_down"]),
                self._wrapped_calls(
                    _sig.appcontext_tearing_down, self.calls["appcontext_tearing_down"]
                ),
            )
            entry = (_steps.pop_contexts_telling, work, False)
            plan.teardown, plan.app_teardown = (self._wrap_entry(_TEARDOWN, entry),), ()
        else:
            popped = self._entry("pop_request_context")
            plan.teardown = (teardown, popped) if teardown is not None else (popped,)
            plan.app_teardown = self.app_teardown
        plan.teardown_sync = _all_plain(plan.teardown) and _all_plain(plan.app_teardown)
        return plan

    def _traced_signal(self, signal: t.Any) -> t.Any:
        """*signal*, or when traced, a stand-in for it that records its async sends."""
        return self._wrap.sent(signal, self.app) if self._wrap is not None else signal

    def _find_handler(self) -> _steps.FindHandler:
        """How steps find an error handler: the app's lookup, its result wrapped if traced."""
        find: _steps.FindHandler = type(self.app)._find_error_handler
        wrap = self._wrap
        if wrap is None:
            return find

        def find_traced(app: t.Any, e: BaseException, blueprints: tuple[str, ...]) -> t.Any:
            handler = find(app, e, blueprints)
            return wrap.call("errorhandler", *handler) if handler is not None else None

        return find_traced

    def _wrap_entry(self, name: str | tuple[str, ...], entry: Entry) -> Entry:
        return self._wrap(name, entry) if self._wrap is not None else entry

    def _substitute(
        self, steps: dict[str, Entry | None], exclude: str = ""
    ) -> dict[str, Entry | None]:
        """Replace the steps of each overridden Flask method (but *exclude*) by a call to it.

        The outermost override wins: it calls the inner methods itself.
        """
        done: set[str] = set()
        for method, names in OVERRIDABLE.items():
            if method not in self.overridden or method == exclude or done & set(names):
                continue
            for name in names:
                steps.pop(name, None)
            steps[names[0]] = (_call_override, method, False)
            done.update(names)
        return steps

    def _only_receivers(self, request_funcs: list[t.Any]) -> bool:
        """Whether steps 16 to 19 have only sync receivers of the tearing-down signals to call."""
        return (
            not request_funcs
            and not self.app.teardown_appcontext_funcs
            and self.calls["request_tearing_down"] is not None
            and self.calls["appcontext_tearing_down"] is not None
            and self.calls["appcontext_popped"] == ()
        )

    def _app_teardown(self) -> tuple[Entry, ...]:
        """Steps 18 and 19, for a request's app context and for one pushed outside requests."""
        funcs = list(reversed(self.app.teardown_appcontext_funcs))
        app = self._teardown_step("teardown_appcontext", funcs)
        if app is not None:
            self.steps["teardown_appcontext"] = app
        signal = _sig.appcontext_popped
        popped = self.calls["appcontext_popped"]
        self._app_teardown_plain = app is None and popped == ()
        if popped is None:
            pop = self._entry("pop_app_context", self._traced_signal(signal), True)
        elif not popped:
            pop = self._plain_pop
        else:
            pop = self._entry("pop_app_context", (self._wrapped_calls(signal, popped), signal))
        return (*((app,) if app is not None else ()), pop)

    def _teardown_step(self, name: str, funcs: list[t.Any]) -> Entry | None:
        """The entry of teardown step *name* (16 or 18): its functions, then its signal."""
        signal_name = lifecycle.step(name).signal
        assert signal_name is not None
        signal = getattr(_sig, signal_name)
        calls = self.calls[signal_name]
        hooks = [(f, is_async_callable(f)) for f in funcs]
        if not hooks and calls == ():
            return None
        if self._wrap is not None:
            hooks = [self._wrap.call(name, f, a) for f, a in hooks]
            if calls is not None:
                calls = self._wrapped_calls(signal, calls)
        if calls is None or any(a for _, a in hooks):
            return self._entry(name, (tuple(hooks), self._traced_signal(signal)), True)
        return self._entry(name, (tuple(f for f, _ in hooks), calls, signal))


#: The steps one call does: steps 10, 11, 13 and 14 (a plain response), 16 to 19 (teardown).
_RESPOND_DIRECT = ("make_response", "after_this_request", "save_session", "request_finished")
_TEARDOWN = tuple(s.name for s in lifecycle.phase("teardown"))
#: Steps whose function is always a generator (it always waits for something).
_ALWAYS_GENERATORS = frozenset(("before_first_request",))
#: Hook steps whose only function is ``async``: what runs them without a generator.
_ONE_ASYNC = {
    "before_request": (_steps.before_request_one_async, _steps.ANSWERS),
    "after_request": (_steps.after_request_one_async, _steps.RESPONDS),
}
#: Steps whose ``_async`` variant returns an awaitable rather than being a generator.
_AWAITING = frozenset(("dispatch",))


F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _all_plain(entries: tuple[Entry, ...]) -> bool:
    """Whether none of *entries* is a generator (nor returns an awaitable)."""
    return not any(kind for _, _, kind in entries)


def _no_view(views: dict[str, t.Any], endpoint: str, **values: t.Any) -> t.Any:
    """The view of a rule no view function was registered for: Flask's ``KeyError``."""
    return views[endpoint](**values)


def stock(method: F) -> F:
    """Mark one of Tocsin's own app methods (an app's own is an override)."""
    method.__tocsin_stock__ = True  # type: ignore[attr-defined]
    return method


def _overridden(app: Tocsin, name: str) -> bool:
    """Whether *app* (its class, or the instance itself) has its own Flask method *name*."""
    func = getattr(getattr(app, name), "__func__", None)
    return not getattr(func, "__tocsin_stock__", False)


def _call_override(ctx: RequestContext, name: str, value: t.Any) -> t.Any:
    """Run the app's own Flask method *name* where its steps would run."""
    method = getattr(ctx.app, name)
    if name in ("full_dispatch_request", "dispatch_request"):
        return method()
    if name == "preprocess_request":
        rv = method()
        return value if rv is None else rv
    if name == "finalize_request":
        return method(value, from_error_handler=ctx.error is not None)
    return method(value)  # process_response


def compiled(app: Tocsin, traced: bool = False) -> Lifecycle:
    """The current :class:`Lifecycle` of *app*, compiled now if there is none or it is stale.

    :param traced: the traced twin instead (for a request the tracer samples);
        made at the first such request, dropped with the plain one.
    """
    c = app.compiled
    if c is None or c.generation != _registry.generation:
        c = app.compiled = Lifecycle(app)
    if traced:
        twin = c.twin
        if twin is None or twin.generation != c.generation:
            tracer = app.tracer
            twin = c.twin = Lifecycle(app, tracer.wrapper() if tracer is not None else None)
        return twin
    return c
