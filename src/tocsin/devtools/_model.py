"""What the pages show, as plain rows: the filters, a trace's waterfall, routes, signals."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from .._async import is_async_callable
from ..lifecycle import STEPS
from ..signals import Namespace, connections, labelled_namespaces
from ..tracing import Call, Node, RouteStats, Send, Trace, exception_text
from ..tracing._record import _record_watched  # (the tracer's recorder of watched namespaces)

if t.TYPE_CHECKING:
    from ..app import Tocsin

__all__ = [
    "Filters",
    "Row",
    "WrongFilter",
    "error_text",
    "route_rows",
    "signal_sections",
    "waterfall",
]

_NUMBERS = {s.name: s.number for s in STEPS}
#: ASCII digits only (``\d`` would take other scripts' digits, Arabic-Indic ones, for 404).
_STATUS = re.compile(r"[1-5](?:xx|XX|[0-9][0-9])")
#: What a step not run shows when an earlier step answered the request.
NOT_RUN = "not run"


class WrongFilter(ValueError):
    """A filter of the query string that means nothing (answered with a 400)."""


@dataclass(frozen=True)
class Filters:
    """The requests list's filters: ``?path=`` (a substring), ``?status=`` (``404``, ``5xx``)."""

    path: str = ""
    status: str = ""

    @classmethod
    def parse(cls, args: t.Mapping[str, str]) -> Filters:
        """The filters of a query string.

        :raises WrongFilter: for a status that is neither a code from 100 to
            599 nor a class such as ``4xx``.
        """
        status = args.get("status", "").strip()
        if status and not _STATUS.fullmatch(status):
            raise WrongFilter(
                f"status must be a code such as 404 or a class such as 5xx, not {status!r}"
            )
        return cls(args.get("path", ""), status.lower())

    def admit(self, trace: Trace) -> bool:
        """Whether *trace* passes the filters (a running request has no status yet)."""
        if self.path and self.path not in trace.path:
            return False
        if not self.status:
            return True
        if trace.status is None:
            return False
        if self.status.endswith("xx"):
            return trace.status // 100 == int(self.status[0])
        return trace.status == int(self.status)

    def args(self) -> dict[str, str]:
        """The filters set, as query arguments."""
        return {k: v for k, v in (("path", self.path), ("status", self.status)) if v}


@dataclass(frozen=True)
class Row:
    """One line of a waterfall: a step, a call or a signal send."""

    #: ``"step"``, ``"call"`` or ``"signal"``.
    type: str
    #: How deep it is nested (0 for a step).
    depth: int
    #: A step's name; a call's kind; a signal's name.
    label: str
    #: A call's function (a render's template); a signal's receivers; ``""`` for a step.
    name: str
    #: ``ran``, ``skipped``, ``not run``, ``returned``, ``raised``, ``running``, or ``sent``.
    outcome: str
    at_ms: float | None = None
    took_ms: float | None = None
    #: The bar's left edge and width, in percent of the request's duration.
    left: float = 0.0
    width: float = 0.0
    #: What a call raised: its type's name and message.
    error_type: str = ""
    error_message: str = ""
    #: True for a step done by the same call as the one before it (its time is that row's).
    same_call: bool = False
    #: A step's number in the lifecycle table.
    number: int | None = None


def waterfall(trace: Trace, has_view: bool = False) -> list[Row]:
    """Every step of *trace* in the order they ran (skipped ones too), each with its calls.

    *has_view*: the matched rule's endpoint has a view. Then a finished
    request whose ``dispatch`` did not run had it passed over (an earlier
    step answered or raised): that row is ``not run``, not ``skipped``.
    """
    passed_over = has_view and trace.rule is not None and trace.duration_ns is not None
    steps = trace.steps
    total = trace.duration_ns or max(
        ((s.start_ns or 0) + (s.duration_ns or 0) for s in steps), default=0
    )
    rows: list[Row] = []
    for step in steps:
        for k, name in enumerate(step.covers or (step.name,)):
            number = _NUMBERS.get(name, step.number)
            if not step.ran:
                outcome = NOT_RUN if passed_over and name == "dispatch" else "skipped"
                rows.append(Row("step", 0, name, "", outcome, number=number))
                continue
            left, width = _bar(step.start_ns, step.duration_ns, total)
            rows.append(
                Row(
                    "step",
                    0,
                    name,
                    "",
                    "ran",
                    _ms(step.start_ns),
                    _ms(step.duration_ns),
                    left,
                    width,
                    same_call=k > 0,
                    number=number,
                )
            )
        _nested(step.children, 1, total, rows)
    return rows


def _nested(nodes: tuple[Node, ...], depth: int, total: int, rows: list[Row]) -> None:
    """The calls and signals of *nodes*, depth first."""
    for node in nodes:
        if isinstance(node, Call):
            left, width = _bar(node.start_ns, node.duration_ns, total)
            error_type, error_message = error_text(node.exception)
            rows.append(
                Row(
                    "call",
                    depth,
                    node.kind,
                    node.name,
                    node.outcome,
                    _ms(node.start_ns),
                    _ms(node.duration_ns),
                    left,
                    width,
                    error_type,
                    error_message,
                )
            )
            _nested(node.children, depth + 1, total, rows)
        elif isinstance(node, Send):
            left, width = _bar(node.start_ns, node.duration_ns, total)
            receivers = ", ".join(node.receivers) or "no receiver"
            rows.append(
                Row(
                    "signal",
                    depth,
                    node.signal,
                    receivers,
                    "sent",
                    _ms(node.start_ns),
                    _ms(node.duration_ns),
                    left,
                    width,
                )
            )
            _nested(node.calls, depth + 1, total, rows)


def error_text(e: BaseException | None) -> tuple[str, str]:
    """An exception's type name and message (a stand-in if its ``__str__`` fails), or ``""``."""
    if e is None:
        return "", ""
    return type(e).__qualname__, exception_text(e)


def _bar(start: int | None, duration: int | None, total: int) -> tuple[float, float]:
    """A bar's left edge and width in percent of *total* (at least a sliver, to be seen)."""
    if start is None or total <= 0:
        return 0.0, 0.0
    left = min(100.0, max(0.0, start * 100 / total))
    width = max(0.5, (duration or 0) * 100 / total)
    return round(left, 2), round(min(width, 100.0 - left), 2)


def _ms(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e6


def route_rows(
    stats: t.Mapping[tuple[str | None, str], RouteStats], keep: t.Callable[[str | None], bool]
) -> list[RouteStats]:
    """The per-route aggregates of the rules *keep* admits, busiest first."""
    shown = [s for s in stats.values() if keep(s.rule)]
    return sorted(shown, key=lambda s: -s.count)


@dataclass(frozen=True)
class Receiver:
    """One receiver a signal calls for the app, at its place in call order."""

    position: int
    priority: int
    name: str
    asynchronous: bool
    #: True when connected for any sender, False when for this app only.
    for_any: bool


@dataclass(frozen=True)
class SignalRow:
    """A signal of a namespace with its receivers for the app, in call order."""

    name: str
    doc: str
    receivers: tuple[Receiver, ...]


def signal_sections(app: Tocsin) -> list[tuple[str, list[SignalRow]]]:
    """Each namespace's label and signals (built-in, default, then the others as created)."""
    return [(label, _signals_of(ns, app)) for label, ns in labelled_namespaces()]


def _signals_of(namespace: Namespace, app: Tocsin) -> list[SignalRow]:
    """The signals of *namespace*, without the tracer's own recorder of watched namespaces."""
    rows = []
    for name, signal in list(namespace.items()):
        found = [
            c
            for c in connections(signal, app)
            if getattr(c.receiver, "func", None) is not _record_watched
        ]
        receivers = tuple(
            Receiver(n, c.priority, _dotted(c.receiver), is_async_callable(c.receiver), c.for_any)
            for n, c in enumerate(found, 1)
        )
        doc = vars(signal).get("__doc__") or ""  # (its own, not the class's)
        rows.append(SignalRow(name, str(doc).strip(), receivers))
    return rows


def _dotted(func: t.Any) -> str:
    """``module.qualname`` of a receiver; ``partial(...)`` around a partial's function."""
    inner = getattr(func, "func", None)
    if inner is not None and hasattr(func, "args"):  # functools.partial
        return f"partial({_dotted(inner)})"
    qualname = getattr(func, "__qualname__", None) or f"{type(func).__qualname__}()"
    module = getattr(func, "__module__", None) or type(func).__module__
    return f"{module}.{qualname}"
