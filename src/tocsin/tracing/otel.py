"""Traced requests as OpenTelemetry spans: ``instrument(app)``.

Needs the ``otel`` extra (``pip install tocsin[otel]``). Each request the
app's :class:`~tocsin.tracing.Tracer` traces becomes, once it is over, a
``SERVER`` span named ``"{METHOD} {rule}"`` with the HTTP semantic
conventions' attributes, and under it an ``INTERNAL`` span for each step
that ran (``detail="steps"``, the default) and, with ``detail="calls"``, for
each hook, view, error handler, receiver, render and session call. The
spans are made after the fact from the trace's record, with its start and
end times; an incoming ``traceparent`` (through the global propagator)
makes the server span a child of the caller's.

Only sampled requests are traced, so only they become spans: a tracer with
``sample=0.1`` exports one request in ten.
"""

from __future__ import annotations

import os
import typing as t
import weakref
from dataclasses import dataclass, field

try:
    from opentelemetry import propagate
    from opentelemetry import trace as otel_trace
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, SpanKind, Status, StatusCode
except ImportError as e:
    raise ImportError(
        "tocsin.tracing.otel needs OpenTelemetry: pip install tocsin[otel]"
        " (opentelemetry-api and opentelemetry-sdk)"
    ) from e

from .. import __version__
from . import Call, Send, Step, Trace, Tracer

if t.TYPE_CHECKING:
    from ..app import Tocsin
    from ..ctx import RequestContext

__all__ = [
    "DETAILS",
    "KNOWN_METHODS",
    "Instrumentation",
    "instrument",
    "redact_query",
    "request_attributes",
]

#: The detail levels of :func:`instrument`, from the fewest spans to the most.
DETAILS = ("request", "steps", "calls")

#: The methods ``http.request.method`` names as they are (RFC 9110 and PATCH); any
#: other is ``_OTHER``. ``OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`` (comma-separated)
#: or ``instrument(known_methods=...)`` replaces the list.
KNOWN_METHODS = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")
)

#: Query parameters whose values ``url.query`` shows as ``REDACTED`` (semantic conventions).
_REDACTED_QUERY_KEYS = frozenset(("AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"))

_Attributes = dict[str, t.Any]

#: The instrumentation of each instrumented app (one at most).
_instrumented: weakref.WeakKeyDictionary[Tocsin, Instrumentation] = weakref.WeakKeyDictionary()


@dataclass
class _Request:
    """What :func:`instrument`'s ``began`` subscriber keeps of a request until it is over."""

    #: The caller's context (from ``traceparent``), or an empty one.
    parent: Context
    #: The server span's request attributes (method, URL, server, client...).
    attributes: _Attributes
    #: ``http.request.method``'s value, for the span's name.
    method: str
    #: The application root (``SCRIPT_NAME``), which ``http.route`` begins with.
    root: str = ""


@dataclass(eq=False)
class Instrumentation:
    """What :func:`instrument` installed on an app: :meth:`uninstall` takes it off."""

    app: Tocsin
    #: The app's tracer the spans come from.
    tracer: Tracer
    #: ``"request"``, ``"steps"`` or ``"calls"``.
    detail: str
    _otel: otel_trace.Tracer = field(repr=False)
    _known: frozenset[str] = field(repr=False)
    _cancel: t.Callable[[], None] | None = field(default=None, repr=False)
    _requests: weakref.WeakKeyDictionary[Trace, _Request] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )

    @property
    def installed(self) -> bool:
        """Whether traced requests still become spans."""
        return self._cancel is not None

    def uninstall(self) -> None:
        """Stop making spans (the app's tracer stays: ``app.tracer.uninstall()`` removes it)."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        if _instrumented.get(self.app) is self:
            del _instrumented[self.app]

    # -- the tracer's subscribers ---------------------------------------------------------

    def began(self, ctx: RequestContext, trace: Trace) -> None:
        """Before step 1: read the request's headers (``traceparent``) and attributes."""
        environ = ctx.environ
        carrier = {
            key[5:].lower().replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        method, attributes = request_attributes(environ, self._known)
        self._requests[trace] = _Request(
            propagate.extract(carrier), attributes, method, _text(environ.get("SCRIPT_NAME", ""))
        )

    def finished(self, trace: Trace) -> None:
        """After step 19: the trace, made into spans."""
        request = self._requests.pop(trace, None)
        if request is None:  # begun before this instrumentation was installed
            return
        _export(self._otel, trace, request, self.detail)


def instrument(
    app: Tocsin,
    tracer_provider: otel_trace.TracerProvider | None = None,
    *,
    detail: str = "steps",
    known_methods: t.Iterable[str] | None = None,
) -> Instrumentation:
    """Make each request *app* traces into OpenTelemetry spans.

    :param tracer_provider: where the spans go (the global provider if ``None``).
    :param detail: ``"request"`` (the server span alone), ``"steps"`` (and a
        span per step that ran) or ``"calls"`` (and a span per hook, view,
        error handler, receiver, render and session call).
    :param known_methods: the methods ``http.request.method`` names as they
        are (:data:`KNOWN_METHODS`, or the
        ``OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`` environment variable).
    :return: an :class:`Instrumentation`, whose ``uninstall()`` stops it.

    It uses ``app.tracer``; an app without one gets a :class:`Tracer` made
    from the config's ``TRACE_SAMPLE``, ``TRACE_KEEP`` and
    ``TRACE_SERVER_TIMING``. Only sampled requests become spans.
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(map(repr, DETAILS))}, not {detail!r}")
    if app in _instrumented:
        raise RuntimeError(
            f"the app {app.name!r} is already instrumented: uninstall() the first instrumentation"
            " before making another"
        )
    tracer = app.tracer
    if tracer is None:
        tracer = Tracer.from_config(app)
    if known_methods is None:
        env = os.environ.get("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS")
        names = [] if env is None else [m.strip() for m in env.split(",")]
        known = frozenset(m for m in names if m) or KNOWN_METHODS
    else:
        known = frozenset(known_methods)
    otel = otel_trace.get_tracer("tocsin", __version__, tracer_provider)
    inst = Instrumentation(app, tracer, detail, otel, known)
    inst._cancel = tracer.subscribe(inst.finished, began=inst.began)
    _instrumented[app] = inst
    return inst


# -- the request's attributes ----------------------------------------------------------------


def request_attributes(
    environ: t.Mapping[str, t.Any], known: frozenset[str] = KNOWN_METHODS
) -> tuple[str, _Attributes]:
    """``http.request.method`` and the server span's attributes read from a WSGI *environ*."""
    original = str(environ.get("REQUEST_METHOD", "GET"))
    if original in known:
        method = original
    else:
        method = original.upper() if original.upper() in known else "_OTHER"
    attrs: _Attributes = {"http.request.method": method}
    if method != original:
        attrs["http.request.method_original"] = original
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    path = _text(environ.get("SCRIPT_NAME", "")) + _text(environ.get("PATH_INFO", ""))
    attrs["url.path"] = path or "/"
    query = _text(environ.get("QUERY_STRING", ""))
    if query:
        attrs["url.query"] = redact_query(query)
    attrs["url.scheme"] = scheme
    host, port = _server(environ, scheme)
    if host:
        attrs["server.address"] = host
        if port is not None:
            attrs["server.port"] = port
    peer = environ.get("REMOTE_ADDR")
    if peer:
        attrs["client.address"] = attrs["network.peer.address"] = str(peer)
        peer_port = _port(environ.get("REMOTE_PORT"))
        if peer_port:
            attrs["network.peer.port"] = peer_port
    agent = environ.get("HTTP_USER_AGENT")
    if agent:
        attrs["user_agent.original"] = _text(agent)
    protocol = str(environ.get("SERVER_PROTOCOL", ""))
    if protocol.upper().startswith("HTTP/"):
        attrs["network.protocol.version"] = protocol[5:]
    return method, attrs


def redact_query(query: str) -> str:
    """*query* with the values of signature parameters (``sig``...) shown as ``REDACTED``."""
    if not any(key in query for key in _REDACTED_QUERY_KEYS):
        return query
    parts = []
    for part in query.split("&"):
        key, eq, _ = part.partition("=")
        parts.append(f"{key}=REDACTED" if eq and key in _REDACTED_QUERY_KEYS else part)
    return "&".join(parts)


def _server(environ: t.Mapping[str, t.Any], scheme: str) -> tuple[str, int | None]:
    """``server.address`` and ``server.port``: from the ``Host`` header, else the server's name."""
    host = environ.get("HTTP_HOST")
    if not host:
        return str(environ.get("SERVER_NAME", "")), _port(environ.get("SERVER_PORT"))
    host = _text(host).split(",")[0].strip()
    if host.startswith("["):  # an IPv6 literal: [::1]:8080
        name, _, rest = host[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = host.partition(":")
    port = _port(port_text) if port_text else {"http": 80, "https": 443}.get(scheme)
    return name, port


def _port(value: t.Any) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def _text(value: t.Any) -> str:
    """WSGI text (the latin-1 text of the bytes received) as the UTF-8 text it holds."""
    text = str(value)
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


# -- spans -----------------------------------------------------------------------------------


def _export(otel: otel_trace.Tracer, trace: Trace, request: _Request, detail: str) -> None:
    """Make the finished *trace* into spans: the server span, then what *detail* asks."""
    epoch = trace.started_ns
    end = epoch + (trace.duration_ns or 0)
    attrs = dict(request.attributes)
    rule = trace.rule
    route = request.root + rule if rule is not None else None
    if route is not None:
        attrs["http.route"] = route
    if trace.endpoint is not None:
        attrs["tocsin.endpoint"] = trace.endpoint
    status = trace.status if trace.raised is None else None  # (None: the app sent no response)
    if status is not None:
        attrs["http.response.status_code"] = status
    error = _request_error(trace.steps)
    failed = status is None or status >= 500
    if failed:
        attrs["error.type"] = (
            _type_name(error) if error is not None else str(status) if status else "_OTHER"
        )
    verb = "HTTP" if request.method == "_OTHER" else request.method
    name = f"{verb} {route}" if route is not None else verb
    span = otel.start_span(
        name, request.parent, kind=SpanKind.SERVER, attributes=attrs, start_time=epoch
    )
    try:
        if not span.is_recording():  # not sampled by the provider's sampler
            return
        if failed:
            if error is not None:
                span.record_exception(error, timestamp=end)
            span.set_status(Status(StatusCode.ERROR))
        if detail != "request":
            parent = otel_trace.set_span_in_context(span)
            for step in trace.steps:
                if step.ran:
                    _step_span(otel, parent, step, epoch, end, detail == "calls")
    finally:
        span.end(end_time=end)


def _step_span(
    otel: otel_trace.Tracer, parent: Context, step: Step, epoch: int, end: int, calls: bool
) -> None:
    """The span of a step that ran, with its signals as events and, if asked, its calls."""
    start = epoch + (step.start_ns or 0)
    stop = start + step.duration_ns if step.duration_ns is not None else end
    attrs: _Attributes = {"tocsin.step.number": step.number, "tocsin.step.name": step.name}
    if len(step.covers) > 1:
        attrs["tocsin.step.covers"] = list(step.covers)
    span = otel.start_span(step.name, parent, attributes=attrs, start_time=start)
    try:
        raised = _raised(step.children)
        if raised is not None:
            _failed(span, raised[0], epoch + raised[1])
        _children(otel, span, step.children, epoch, stop, calls)
    finally:
        span.end(end_time=stop)


def _children(
    otel: otel_trace.Tracer,
    span: Span,
    nodes: tuple[Call | Send | Step, ...],
    epoch: int,
    stop: int,
    calls: bool,
) -> None:
    """Under *span*: each signal sent as an event, and each call as a span if *calls*."""
    context = otel_trace.set_span_in_context(span) if calls else None
    for node in nodes:
        if isinstance(node, Send):
            span.add_event(
                f"signal {node.signal}",
                {
                    "tocsin.signal.name": node.signal,
                    "tocsin.signal.receivers": list(node.receivers),
                },
                timestamp=epoch + node.start_ns,
            )
            _children(otel, span, node.calls, epoch, stop, calls)
        elif isinstance(node, Call):
            if context is not None:
                _call_span(otel, context, node, epoch, stop)
            else:  # (no span of its own: the signals it sent go to the step's)
                _children(otel, span, node.children, epoch, stop, calls)


def _call_span(otel: otel_trace.Tracer, parent: Context, call: Call, epoch: int, end: int) -> None:
    """The span of one call (hook, view, handler, receiver, render...), and of what it called."""
    start = epoch + call.start_ns
    stop = start + call.duration_ns if call.duration_ns is not None else end
    attrs: _Attributes = {"tocsin.call.kind": call.kind}
    if call.kind == "render":
        attrs["tocsin.template.name"] = call.name
    else:
        attrs["code.function.name"] = call.name
    if call.outcome != "returned":
        attrs["tocsin.call.outcome"] = call.outcome
    span = otel.start_span(f"{call.kind} {call.name}", parent, attributes=attrs, start_time=start)
    try:
        if call.exception is not None:
            _failed(span, call.exception, stop)
        _children(otel, span, call.children, epoch, stop, True)
    finally:
        span.end(end_time=stop)


def _failed(span: Span, error: BaseException, at: int) -> None:
    """Record *error* on *span* (an ``exception`` event) and set its status to ``ERROR``."""
    span.record_exception(error, timestamp=at)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__qualname__}: {error}"))


def _raised(nodes: tuple[Call | Send | Step, ...]) -> tuple[BaseException, int] | None:
    """The first exception a step's own calls raised (a signal's receivers included), and when.

    Calls nested in those (a render in a view) are left out: what they raise
    reaches the step only if the call around them raises too.
    """
    for node in nodes:
        for call in node.calls if isinstance(node, Send) else (node,):
            if isinstance(call, Call) and call.exception is not None:
                return call.exception, call.start_ns + (call.duration_ns or 0)
    return None


def _request_error(steps: tuple[Step, ...]) -> BaseException | None:
    """The exception the request's last error handling (step 9) was about, if any.

    That is the last one raised by a step's own calls up to the last
    ``handle_exception`` step (its error handler's included); ``None`` if
    no such step ran.
    """
    last: BaseException | None = None
    error: BaseException | None = None
    for step in steps:
        if not step.ran:
            continue
        for node in step.children:
            for call in node.calls if isinstance(node, Send) else (node,):
                if isinstance(call, Call) and call.exception is not None:
                    last = call.exception
        if step.name == "handle_exception":
            error = last
    return error


def _type_name(error: BaseException) -> str:
    """The fully qualified name of *error*'s class (``error.type``)."""
    cls = type(error)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
