"""The request lifecycle as data.

Rule: every ordering decision lives in this file. Each row names the
function of :mod:`tocsin._steps` that runs it; the compiler
(:mod:`tocsin._compile`) builds each request's plan from these rows, in
this order, and the pipeline (:mod:`tocsin._pipeline`) runs the plan phase
by phase, sending exceptions where :data:`PHASES` says. The tracer names
its events after the rows, ``tocsin explain`` prints them and the docs
quote them. No other module encodes order.

Theory of operation
-------------------
A request goes through nineteen steps. Steps 1 to 14 produce a response
(:func:`tocsin._pipeline.dispatch`); step 15 hands it to the server, which
the driver (WSGI or ASGI) does; steps 16 to 19 always run, even after an
error, once the body is finished or closed (:func:`tocsin._pipeline.finish`).

Error path: an exception from steps 4 to 9 that no error handler takes (and
an exception raised by a handler, or in steps 10 to 14) is *unhandled*:
``got_request_exception`` is sent, then it propagates when
``PROPAGATE_EXCEPTIONS`` is true, else it becomes a 500 response (the 500
handler, if any, gets ``original_exception``) and steps 10 to 14 run on that
500 response once. HTTP errors (404, 405, ``abort``) are not unhandled: they
become their error response without ``got_request_exception``. Teardown gets
the unhandled exception as ``exc``; after a handled error it gets ``None``.

Hooks registered on a blueprint run for requests routed to that blueprint:
preprocessors and ``before_request`` run app first, then blueprints outer to
inner; ``after_request`` and teardown run inner blueprint first, then the
app, each in reverse registration order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

__all__ = [
    "ERROR_PATH",
    "PHASES",
    "STEPS",
    "Step",
    "StreamAborted",
    "phase",
    "runs_reversed",
    "step",
]


class StreamAborted(asyncio.CancelledError):
    """Teardown's ``exc`` when a streamed response body was closed before its end.

    The client went away (or the server gave up) in the middle of the
    stream: under WSGI the server closed the body before it was exhausted,
    under ASGI the client disconnected and the stream was cancelled. Both
    drivers then give ``teardown_request`` and ``teardown_appcontext``
    functions and the ``request_tearing_down`` and ``appcontext_tearing_down``
    receivers this exception (never raised, only passed), so teardown can
    tell an aborted stream from a finished one (``None``).

    A subclass of :exc:`asyncio.CancelledError`, since under ASGI that is
    what the abort is (the request's task is cancelled): code that checks
    ``isinstance(exc, asyncio.CancelledError)`` keeps working. Like it, it
    is a ``BaseException``, not an ``Exception``.
    """


@dataclass(frozen=True)
class Step:
    """One step of a request's life."""

    #: Position in the lifecycle, from 1.
    number: int
    #: Short snake_case name, used by the tracer and ``Server-Timing``.
    name: str
    #: What happens in this step.
    summary: str
    #: Names of the hook registration methods that run here, in order.
    hooks: tuple[str, ...] = ()
    #: Name of the built-in signal sent here (sender is the app), if any.
    signal: str | None = None
    #: True when a hook's return value may end the step chain early.
    short_circuit: bool = False
    #: True when the step runs even after an error.
    always: bool = False
    #: True when its hook functions run innermost blueprint first, then the
    #: app, each scope in reverse registration order (else: app first, then
    #: blueprints outer to inner, in registration order).
    reverse: bool = False
    #: The phase the step belongs to; a phase's exceptions go where
    #: :data:`PHASES` says.
    phase: str = "handle"
    #: The name of the function of :mod:`tocsin._steps` that runs the step
    #: (``None``: the driver runs it). Defaults to the step's name.
    runs: str | None = ""

    def __post_init__(self) -> None:
        if self.runs == "":
            object.__setattr__(self, "runs", self.name)


STEPS: tuple[Step, ...] = (
    Step(
        1,
        "push_app_context",
        "application context pushed; current_app and g usable",
        signal="appcontext_pushed",
        phase="open",
    ),
    Step(
        2,
        "push_request_context",
        "request context pushed; request and session usable (a custom session"
        " interface opens the session now, the stock cookie session on first use)",
        phase="open",
    ),
    Step(
        3,
        "match_url",
        "URL matched; a routing error (404, 405, redirect) is stored, not raised",
        phase="open",
    ),
    Step(
        4,
        "before_first_request",
        "first request only, once per app, thread and task safe",
        hooks=("before_first_request",),
        phase="enter",
    ),
    Step(5, "request_started", "the request starts", signal="request_started", phase="enter"),
    Step(
        6,
        "url_value_preprocessor",
        "URL values preprocessed: app, then blueprints outer to inner",
        hooks=("url_value_preprocessor",),
    ),
    Step(
        7,
        "before_request",
        "before-request functions, same order; a non-None return becomes the response",
        hooks=("before_request",),
        short_circuit=True,
    ),
    Step(
        8, "dispatch", "a stored routing error is raised now; else the view runs", hooks=("view",)
    ),
    Step(
        9,
        "handle_exception",
        "an exception from steps 6 to 8 goes to its error handler (blueprint before app)",
        hooks=("errorhandler",),
        phase="recover",
        runs="handle_user_exception",
    ),
    Step(10, "make_response", "the return value is made into a Response", phase="respond"),
    Step(
        11,
        "after_this_request",
        "one-shot functions of this request",
        hooks=("after_this_request",),
        phase="respond",
    ),
    Step(
        12,
        "after_request",
        "after-request functions: blueprint then app, each in reverse registration order",
        hooks=("after_request",),
        reverse=True,
        phase="respond",
    ),
    Step(13, "save_session", "the session is saved", phase="respond"),
    Step(
        14,
        "request_finished",
        "the response is final",
        signal="request_finished",
        phase="respond",
    ),
    Step(
        15,
        "send_response",
        "response handed to the server; a streamed body runs to its end or is closed",
        phase="send",
        runs=None,
    ),
    Step(
        16,
        "teardown_request",
        "always; reverse registration order",
        hooks=("teardown_request",),
        signal="request_tearing_down",
        always=True,
        reverse=True,
        phase="teardown",
    ),
    Step(17, "pop_request_context", "request context popped", always=True, phase="teardown"),
    Step(
        18,
        "teardown_appcontext",
        "always, even after an error; reverse registration order",
        hooks=("teardown_appcontext",),
        signal="appcontext_tearing_down",
        always=True,
        reverse=True,
        phase="teardown",
    ),
    Step(
        19,
        "pop_app_context",
        "application context popped",
        signal="appcontext_popped",
        always=True,
        phase="teardown",
    ),
)

#: The phases, in order, and where an exception raised in each goes.
PHASES: dict[str, str] = {
    "open": "the error path (steps 1 and 2 do not fail; a custom session interface may)",
    "enter": "the error path",
    "handle": "step 9, handle_exception: its error handler",
    "recover": "the error path (no handler took it, or the handler raised)",
    "respond": "the error path; after an error, it is only logged",
    "send": "the driver: teardown gets it",
    "teardown": "kept: every function and receiver runs, both contexts are popped, then raised",
}

#: What the error path does (``tocsin._steps.unhandled``; traced as step 9).
ERROR_PATH = (
    "An exception from steps 4-9 that no error handler takes, or one raised in steps 10-14, "
    "sends got_request_exception, then propagates if PROPAGATE_EXCEPTIONS, else becomes a 500 "
    "response on which steps 10-14 run once. HTTP errors (404, 405, abort) are not unhandled."
)

_BY_NAME: dict[str, Step] = {s.name: s for s in STEPS}


def step(name: str) -> Step:
    """Return the step called *name*.

    :raises KeyError: with the list of known names when *name* is unknown.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(f"no lifecycle step {name!r}; the steps are: {known}") from None


def phase(name: str) -> tuple[Step, ...]:
    """The steps of the phase *name* (see :data:`PHASES`), in order."""
    if name not in PHASES:
        raise KeyError(f"no lifecycle phase {name!r}; the phases are: {', '.join(PHASES)}")
    return tuple(s for s in STEPS if s.phase == name)


def runs_reversed(hook: str) -> bool:
    """Whether the functions of *hook* (e.g. ``"after_request"``) run in reverse order."""
    return any(hook in s.hooks and s.reverse for s in STEPS)
