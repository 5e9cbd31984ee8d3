"""In-process WSGI benchmark: a raw WSGI callable, Flask and Tocsin side by side.

Run: ``.venv/bin/python bench/wsgi.py [--quick] [--only json,404] [--frameworks raw,flask]
[--base ../base/src]``; ``--base`` adds another checkout's Tocsin, timed in the same rounds.
No server: each app is called directly with a prebuilt environ (copied per
call), a no-op ``start_response``, and its body iterable consumed and closed.
See ``docs/performance.md`` for the method and the bars.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter_ns
from types import ModuleType
from typing import Any

from werkzeug.test import EnvironBuilder

import _harness as h

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

HELLO = b"Hello, World!"
#: The template scenario's page: a Jinja template with a loop, rendered per request.
TEMPLATE = "<h1>Hello, {{ name }}!</h1><ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>"
PAGE = b"<h1>Hello, World!</h1><ul><li>1</li><li>2</li><li>3</li></ul>"
FRAMEWORKS = ("raw", "flask", "tocsin")
LABELS = {"raw": "raw", "flask": "Flask", "tocsin": "Tocsin", h.BASE: h.BASE_LABEL}
SIGNAL_NAMES = (
    "request_started",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
)


@dataclass(frozen=True)
class Scenario:
    """One request shape: which app variant, which path, what must come back."""

    name: str
    kind: str
    path: str
    expect: h.Expect
    bar: float | None = None
    baseline: bool = False


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("hello", "hello", "/", h.Expect(200, body=HELLO), bar=0.25),
        Scenario(
            "json", "json", "/user/42", h.Expect(200, json={"id": 42, "name": "user42"}), bar=0.3
        ),
        Scenario(
            "hooks", "hooks", "/", h.Expect(200, body=HELLO, header=("X-After", "1")), bar=0.25
        ),
        Scenario("signals", "signals", "/", h.Expect(200, body=HELLO), baseline=True),
        Scenario("session", "session", "/", h.Expect(200, body=HELLO), baseline=True),
        Scenario("404", "hello", "/missing", h.Expect(404), bar=0.2),
        Scenario("template", "template", "/page/World", h.Expect(200, body=PAGE)),
    )
}
DELTA_BARS = {"signals": ("4 receivers add", 2.0), "session": ("SECRET_KEY adds", 1.0)}


@dataclass
class Target:
    """A built app plus the signals to connect while it is timed."""

    app: WSGIApp
    signals: tuple[Any, ...] = ()


# -- raw WSGI callables (the floor) ------------------------------------------


def _raw_respond(
    start_response: StartResponse,
    status: str,
    ctype: str,
    body: bytes,
    extra: tuple[tuple[str, str], ...] = (),
) -> list[bytes]:
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


def _raw_404(start_response: StartResponse) -> list[bytes]:
    return _raw_respond(start_response, "404 NOT FOUND", "text/plain", b"Not Found")


def raw_hello(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """GET / -> Hello, World!"""
    if environ["PATH_INFO"] != "/":
        return _raw_404(start_response)
    return _raw_respond(start_response, "200 OK", "text/plain; charset=utf-8", HELLO)


def raw_hooks(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Hello, with the X-After header an after-hook would add."""
    if environ["PATH_INFO"] != "/":
        return _raw_404(start_response)
    environ["bench.x"] = 1
    extra = (("X-After", "1"),)
    return _raw_respond(start_response, "200 OK", "text/plain; charset=utf-8", HELLO, extra)


def raw_json(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """GET /user/<int:id> -> {"id": id, "name": "user42"}."""
    path: str = environ["PATH_INFO"]
    tail = path[6:]
    if not (path.startswith("/user/") and tail.isdigit()):
        return _raw_404(start_response)
    body = json.dumps({"id": int(tail), "name": "user42"}).encode()
    return _raw_respond(start_response, "200 OK", "application/json", body)


def raw_template(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """GET /page/<name> -> the page, formatted by hand."""
    path: str = environ["PATH_INFO"]
    if not path.startswith("/page/"):
        return _raw_404(start_response)
    items = "".join(f"<li>{i}</li>" for i in (1, 2, 3))
    body = f"<h1>Hello, {path[6:]}!</h1><ul>{items}</ul>".encode()
    return _raw_respond(start_response, "200 OK", "text/html; charset=utf-8", body)


def build_raw(kind: str) -> Target:
    """The raw callable for an app variant (signals/session are plain hello)."""
    raw = {"json": raw_json, "hooks": raw_hooks, "template": raw_template}
    return Target(raw.get(kind, raw_hello))


# -- Flask and Tocsin (same code, Flask's API) -------------------------------


def _noop(sender: object, **extra: object) -> None:
    """A receiver that does nothing."""


def build_flasky(package: ModuleType, cls: type[Any], kind: str) -> Target:
    """Build the app variant ``kind`` with a Flask-API framework."""
    app = cls(__name__, template_folder=_template_folder()) if kind == "template" else cls(__name__)
    if kind == "json":

        @app.route("/user/<int:id>")
        def user(id: int) -> dict[str, object]:
            return {"id": id, "name": "user42"}

        return Target(app)
    if kind == "template":

        @app.route("/page/<name>")
        def page(name: str) -> str:
            return package.render_template("page.html", name=name, items=(1, 2, 3))

        return Target(app)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    if kind == "hooks":
        _add_hooks(app, package.g)
    if kind == "session":
        app.config["SECRET_KEY"] = "bench-secret-key"
    if kind == "signals":
        signals = importlib.import_module(f"{package.__name__}.signals")
        return Target(app, tuple(getattr(signals, name) for name in SIGNAL_NAMES))
    return Target(app)


@functools.cache
def _template_folder() -> str:
    """A temporary folder holding ``page.html`` (loaded once, then cached by Jinja)."""
    folder = tempfile.mkdtemp(prefix="tocsin-bench-")
    with open(os.path.join(folder, "page.html"), "w", encoding="utf-8") as f:
        f.write(TEMPLATE)
    return folder


def _add_hooks(app: Any, g: Any) -> None:
    """One before_request (sets g.x) and one after_request (sets X-After)."""

    @app.before_request
    def before() -> None:
        g.x = 1

    @app.after_request
    def after(response: Any) -> Any:
        response.headers["X-After"] = "1"
        return response


def builders(base: str | None = None) -> dict[str, Callable[[str], Target]]:
    """Builders for the frameworks that are importable now (``base``: a ``src`` dir)."""
    import flask

    found: dict[str, Callable[[str], Target]] = {
        "raw": build_raw,
        "flask": lambda kind: build_flasky(flask, flask.Flask, kind),
    }
    for key, package in h.tocsins(base).items():
        found[key] = functools.partial(build_flasky, package, package.Tocsin)
    return found


# -- calling and timing -------------------------------------------------------


def _write(data: bytes) -> None:
    """The write callable start_response returns; never used by these apps."""


def _start_response(status: str, headers: object, exc_info: object = None) -> Callable[..., None]:
    return _write


def call_once(app: WSGIApp, environ: Environ) -> tuple[int, dict[str, str], bytes]:
    """Call ``app`` once; return status code, lower-cased headers, body."""
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[..., None]:
        seen["status"], seen["headers"] = status, headers
        return _write

    result = app(dict(environ), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    headers = {name.lower(): value for name, value in seen["headers"]}
    return int(seen["status"].split()[0]), headers, body


def wsgi_batch(app: WSGIApp, environ: Environ) -> h.Batch:
    """A batch function: ``n`` calls of ``app``, timed, in seconds."""

    def batch(n: int) -> float:
        copy, respond = dict, _start_response
        start = perf_counter_ns()
        for _ in range(n):
            result = app(copy(environ), respond)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return (perf_counter_ns() - start) / 1e9

    return batch


def _connector(target: Target, connect: bool) -> Callable[[], None]:
    """Connect (or disconnect) one no-op receiver per signal for this app only."""

    def apply() -> None:
        for signal in target.signals:
            if connect:
                signal.connect(_noop, sender=target.app, weak=False)
            else:
                signal.disconnect(_noop, sender=target.app)

    return apply


def verify(target: Target, scenario: Scenario, environ: Environ) -> None:
    """One request must give the expected answer (and reach each receiver once)."""
    calls = [0] * len(target.signals)
    recorders = [_recorder(calls, index) for index in range(len(target.signals))]
    for signal, record in zip(target.signals, recorders, strict=True):
        signal.connect(record, sender=target.app, weak=False)
    try:
        h.check(scenario.expect, *call_once(target.app, environ))
    finally:
        for signal, record in zip(target.signals, recorders, strict=True):
            signal.disconnect(record, sender=target.app)
    if any(count != 1 for count in calls):
        raise AssertionError(f"receiver calls per signal {calls}, expected 1 each")


def _recorder(calls: list[int], index: int) -> Callable[..., None]:
    """A receiver that counts its calls in ``calls[index]``."""

    def record(sender: object, **extra: object) -> None:
        calls[index] += 1

    return record


def make_contender(
    build: Callable[[str], Target], key: str, scenario: Scenario, baseline: bool
) -> h.Contender | None:
    """Build, verify and wrap one app; the baseline is the plain hello app."""
    if baseline and (key == "raw" or not scenario.baseline):
        return None
    kind = "hello" if baseline else scenario.kind
    environ = EnvironBuilder(path=scenario.path, method="GET").get_environ()
    target = build(kind)
    verify(target, scenario, environ)
    return h.Contender(
        f"{key}:{kind}",
        wsgi_batch(target.app, environ),
        enter=_connector(target, True),
        leave=_connector(target, False),
    )


# -- report -------------------------------------------------------------------


def table(results: dict[str, h.Outcome], columns: tuple[str, ...]) -> str:
    """The markdown table of medians, ratios and bars (base ratios if timed)."""
    with_base = h.BASE in columns
    rows = []
    for name, outcome in results.items():
        scenario = SCENARIOS[name]
        value = outcome.ratio("tocsin", "flask")
        bar = "see below"
        if scenario.bar is not None:
            bar = f"<= {scenario.bar}x {h.verdict(value, scenario.bar)}"
        cells = [outcome.cell(key) for key in columns]
        versus_base = h.base_cells(outcome, "flask") if with_base else []
        rows.append([name, *cells, h.fmt_ratio(value), *versus_base, bar])
    base_headers = h.base_headers("Flask") if with_base else []
    headers = ["scenario", *(LABELS[key] for key in columns), "Tocsin/Flask", *base_headers, "bar"]
    return h.markdown_table(headers, rows)


def derived_lines(results: dict[str, h.Outcome], columns: tuple[str, ...]) -> list[str]:
    """'4 receivers add X us over hello' and 'SECRET_KEY adds Y us over hello'."""
    tocsins = ["tocsin", h.BASE] if h.BASE in columns else ["tocsin"]
    lines = []
    for name, (phrase, bar) in DELTA_BARS.items():
        if name not in results:
            continue
        flask = results[name].delta_us("flask")
        parts = []
        for key in tocsins:
            delta = results[name].delta_us(key)
            share = None if not flask or delta is None else delta / flask
            parts.append(
                f"{h.fmt_us(delta)} us in {LABELS[key]}, {h.fmt_ratio(share)} Flask's"
                f" (bar <= {bar:g} us: {h.verdict(delta, bar)})"
            )
        lines.append(f"- {phrase} {h.fmt_us(flask)} us over hello in Flask, " + "; ".join(parts))
    return lines


def main() -> int:
    """Run the chosen scenarios and print the report."""
    options = h.parse_args(__doc__.splitlines()[0], list(SCENARIOS), FRAMEWORKS)
    available = builders(options.base)
    chosen = [key for key in options.frameworks if key in available]
    results = {}
    for name in options.only:
        scenario = SCENARIOS[name]

        def make(key: str, baseline: bool, scenario: Scenario = scenario) -> h.Contender | None:
            return make_contender(available[key], key, scenario, baseline)

        results[name] = h.measure(name, chosen, make, options)
    print(h.header_line(f"WSGI, microseconds per request, {options.rounds} rounds"))
    print()
    columns = options.columns(FRAMEWORKS)
    print(table(results, columns))
    print()
    lines = derived_lines(results, columns)
    if options.verbose:
        lines += h.spread_lines(results, LABELS)
    print("\n".join(lines))
    return 1 if any(outcome.failed for outcome in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
