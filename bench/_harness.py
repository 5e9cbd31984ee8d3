"""Shared timing code for the in-process benchmarks in ``bench/``.

Each contender is a batch function ``batch(n) -> seconds`` that runs ``n``
requests and times them itself (so setup such as starting an event loop stays
outside the measurement). The harness calibrates ``n`` per contender, then
runs many rounds; inside a round every contender runs one batch, in an order
shuffled per round (a fixed seed), each batch preceded by a short untimed
warm-up so that no contender inherits warm or cold caches from the one
before it. The result for each contender is one per-request time per round;
we report medians, and ratios as the median of per-round ratios.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import random
import statistics
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

Batch = Callable[[int], float]

#: The framework key and label of another checkout's Tocsin (``--base``).
BASE = "base"
BASE_LABEL = "Tocsin (base)"


def _nothing() -> None:
    """Default setup/teardown: do nothing."""


@dataclass
class Contender:
    """One thing to time: ``batch(n)`` runs ``n`` requests, returns seconds.

    ``enter``/``leave`` run around every batch, outside the timing (used to
    connect signal receivers only while their own app is being timed).
    """

    key: str
    batch: Batch
    enter: Callable[[], None] = _nothing
    leave: Callable[[], None] = _nothing
    per_round: list[float] = field(default_factory=list)
    n: int = 0

    def timed(self, n: int, warm_up: int = 0) -> float:
        """Run ``warm_up`` untimed calls, then ``n`` timed ones with the GC off."""
        self.enter()
        gc.disable()
        try:
            if warm_up:
                self.batch(warm_up)
            return self.batch(n)
        finally:
            gc.enable()
            self.leave()


@dataclass(frozen=True)
class Options:
    """Command line options shared by the benchmarks."""

    rounds: int
    target_s: float
    only: tuple[str, ...]
    frameworks: tuple[str, ...]
    verbose: bool
    base: str | None = None

    def columns(self, frameworks: Sequence[str]) -> tuple[str, ...]:
        """The table's framework columns: ``frameworks``, then ``base`` if asked for."""
        return (*frameworks, BASE) if self.base else tuple(frameworks)


def parse_args(description: str, scenarios: Sequence[str], frameworks: Sequence[str]) -> Options:
    """Parse ``--quick``, ``--only``, ``--frameworks``, ``--rounds``, ``--base``, ``-v``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="few short rounds (smoke run)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated scenarios of: {','.join(scenarios)}"
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(frameworks),
        help=f"comma-separated frameworks of: {','.join(frameworks)}",
    )
    parser.add_argument("--rounds", type=int, default=0, help="override the number of rounds")
    parser.add_argument(
        "--base",
        metavar="SRC_DIR",
        help="another checkout's src folder: its tocsin is timed too, as column 'base'",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print spread and N")
    args = parser.parse_args()
    only = _choices(args.only, scenarios, "--only", parser) or tuple(scenarios)
    chosen = _choices(args.frameworks, frameworks, "--frameworks", parser)
    if args.base is not None:
        if not (Path(args.base) / "tocsin" / "__init__.py").is_file():
            parser.error(f"--base: no tocsin/__init__.py in {args.base}")
        chosen = (*chosen, BASE)
    rounds = args.rounds or (7 if args.quick else 41)
    target_s = 0.004 if args.quick else 0.010
    return Options(rounds, target_s, only, chosen, args.verbose, args.base)


def _choices(
    raw: str, allowed: Sequence[str], flag: str, parser: argparse.ArgumentParser
) -> tuple[str, ...]:
    """Split a comma-separated option and reject unknown names."""
    picked = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [name for name in picked if name not in allowed]
    if unknown:
        parser.error(f"{flag}: unknown {unknown}; choose from {list(allowed)}")
    return picked


@dataclass(frozen=True)
class Expect:
    """What one request must return before it is worth timing."""

    status: int
    body: bytes | None = None
    json: object = None
    header: tuple[str, str] | None = None


def check(expect: Expect, status: int, headers: Mapping[str, str], body: bytes) -> None:
    """Raise ``AssertionError`` naming the first difference from ``expect``."""
    if status != expect.status:
        raise AssertionError(f"status {status}, expected {expect.status}; body {body[:200]!r}")
    if expect.body is not None and body != expect.body:
        raise AssertionError(f"body {body[:200]!r}, expected {expect.body!r}")
    if expect.json is not None and json.loads(body) != expect.json:
        raise AssertionError(f"JSON body {body[:200]!r}, expected {expect.json!r}")
    if expect.header is not None:
        name, value = expect.header
        got = headers.get(name.lower())
        if got != value:
            raise AssertionError(f"header {name}: {got!r}, expected {value!r}")


def load_tocsin() -> ModuleType | None:
    """Import tocsin if it is usable yet; ``None`` (and a note) if not."""
    try:
        tocsin = importlib.import_module("tocsin")
        tocsin.Tocsin  # noqa: B018 - the attribute is the readiness test
    except Exception as exc:
        warn(f"tocsin is not usable yet ({exc!r}); its column shows n/a")
        return None
    return tocsin


def load_checkout(src: str, name: str = "tocsin_base") -> ModuleType:
    """Import the ``tocsin`` package under ``src`` as the module ``name``.

    Tocsin's modules import each other relatively, so the copy gets its own
    classes, context variables and signals beside ``import tocsin``. The
    loaded ``tocsin`` modules are hidden while the copy runs, so one of its
    modules importing ``tocsin`` by absolute name (mixing the checkouts)
    shows up, and is refused.
    """
    package = Path(src).resolve() / "tocsin"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {package}")
    module = importlib.util.module_from_spec(spec)
    hidden = {key: sys.modules.pop(key) for key in _tocsin_modules()}
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        mixed = {key: sys.modules.pop(key) for key in _tocsin_modules()}
        sys.modules.update(hidden)
    if mixed:
        raise ImportError(f"{package} imported {sorted(mixed)} by absolute name, not relatively")
    return module


def _tocsin_modules() -> list[str]:
    """The names in ``sys.modules`` of ``tocsin`` and its submodules."""
    return [key for key in sys.modules if key.split(".")[0] == "tocsin"]


def tocsins(base: str | None) -> dict[str, ModuleType]:
    """The usable Tocsin packages by framework key: ``tocsin``, and ``base`` if given."""
    found: dict[str, ModuleType] = {}
    tocsin = load_tocsin()
    if tocsin is not None:
        found["tocsin"] = tocsin
    if base is not None:
        found[BASE] = load_checkout(base)
    return found


def calibrate(contender: Contender, target_s: float) -> int:
    """Pick ``n`` so that one batch of this contender takes about ``target_s``.

    Double ``n`` until a batch is measurable, then refine twice from the
    fastest of three batches, so one preempted batch cannot skew ``n``.
    """
    limit = 1 << 24
    n = 1
    while n < limit and contender.timed(n) < target_s / 8:
        n *= 2
    for _ in range(2):
        fastest = min(contender.timed(n) for _ in range(3))
        n = min(limit, max(1, round(n * target_s / max(fastest, 1e-9))))
    return n


def run_rounds(contenders: Sequence[Contender], rounds: int, target_s: float) -> None:
    """Calibrate, then run ``rounds`` interleaved rounds; fill ``per_round``."""
    for contender in contenders:
        contender.n = calibrate(contender, target_s)
        contender.per_round.clear()
    rng = random.Random(20240611)
    order = list(contenders)
    for _ in range(rounds):
        gc.collect()
        rng.shuffle(order)
        for contender in order:
            elapsed = contender.timed(contender.n, warm_up=max(2, contender.n // 16))
            contender.per_round.append(elapsed / contender.n)


@dataclass
class Outcome:
    """Per-framework results of one scenario: the timed contenders."""

    timed: dict[str, Contender] = field(default_factory=dict)
    baselines: dict[str, Contender] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def us(self, framework: str) -> float | None:
        """Median microseconds per request, or ``None`` if not measured."""
        contender = self.timed.get(framework)
        return None if contender is None else statistics.median(contender.per_round) * 1e6

    def cell(self, framework: str) -> str:
        """Table cell: the median, ``FAIL`` or ``n/a``."""
        if framework in self.failed:
            return "FAIL"
        return fmt_us(self.us(framework))

    def ratio(self, subject: str, reference: str) -> float | None:
        """Median over rounds of subject/reference, both timed in each round.

        Pairing per round cancels the machine's slow phases, which last
        several rounds and hit every contender of those rounds alike.
        """
        pairs = self._pairs(self.timed.get(subject), self.timed.get(reference))
        return None if pairs is None else statistics.median(a / b for a, b in pairs)

    def relative(self, subject: str, other: str, peer: str) -> float | None:
        """(subject/peer) / (other/peer): a change read against the same run's peer."""
        mine, theirs = self.ratio(subject, peer), self.ratio(other, peer)
        return None if mine is None or not theirs else mine / theirs

    def delta_us(self, framework: str) -> float | None:
        """Median over rounds of (app - its hello baseline), in microseconds."""
        pairs = self._pairs(self.timed.get(framework), self.baselines.get(framework))
        return None if pairs is None else statistics.median(a - b for a, b in pairs) * 1e6

    @staticmethod
    def _pairs(
        subject: Contender | None, reference: Contender | None
    ) -> list[tuple[float, float]] | None:
        if subject is None or reference is None:
            return None
        return list(zip(subject.per_round, reference.per_round, strict=True))


Make = Callable[[str, bool], Contender | None]


def measure(scenario: str, frameworks: Sequence[str], make: Make, options: Options) -> Outcome:
    """Build, verify and time every framework for one scenario.

    ``make(framework, baseline)`` builds the app, verifies one request and
    returns its contender; with ``baseline=True`` it returns the plain hello
    app to time in the same rounds (or ``None`` when there is no baseline).
    A framework whose app fails to build or verify is reported, not timed.
    """
    outcome = Outcome()
    order: list[Contender] = []
    for framework in frameworks:
        try:
            main = _made(make(framework, False))
            base = make(framework, True)
        except Exception as exc:
            warn(f"{scenario}/{framework}: FAILED: {type(exc).__name__}: {exc}")
            outcome.failed[framework] = str(exc)
            continue
        outcome.timed[framework] = main
        order.append(main)
        if base is not None:
            outcome.baselines[framework] = base
            order.append(base)
    run_rounds(order, options.rounds, options.target_s)
    return outcome


def _made(contender: Contender | None) -> Contender:
    """The main contender must exist."""
    if contender is None:
        raise AssertionError("no app built")
    return contender


def spread(contender: Contender) -> str:
    """``p25..p75`` of the per-request times in microseconds, and N."""
    quartiles = statistics.quantiles(contender.per_round, n=4)
    low, high = quartiles[0] * 1e6, quartiles[2] * 1e6
    return f"{fmt_us(low)}..{fmt_us(high)} us (N={contender.n})"


def spread_lines(results: Mapping[str, Outcome], labels: Mapping[str, str]) -> list[str]:
    """One ``- scenario Framework: p25..p75 us (N=...)`` line per measurement."""
    return [
        f"- {name} {labels[key]}: {spread(contender)}"
        for name, outcome in results.items()
        for key, contender in outcome.timed.items()
    ]


def fmt_us(value: float | None) -> str:
    """Format microseconds with about three significant digits."""
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    """Format a ratio like ``0.23x``."""
    return "n/a" if value is None else f"{value:.2f}x"


def verdict(value: float | None, bar: float) -> str:
    """``PASS`` if ``value <= bar``, ``MISS`` if above, ``n/a`` if unknown."""
    if value is None:
        return "n/a"
    return "PASS" if value <= bar else "MISS"


def base_headers(peer_label: str) -> list[str]:
    """Headers of the ``--base`` ratio columns against ``peer_label``."""
    return [f"base/{peer_label}", "Tocsin/base relative"]


def base_cells(outcome: Outcome, peer: str) -> list[str]:
    """Cells under ``base_headers``: base/peer and (Tocsin/peer)/(base/peer)."""
    relative = outcome.relative("tocsin", BASE, peer)
    return [fmt_ratio(outcome.ratio(BASE, peer)), fmt_ratio(relative)]


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Render a markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def header_line(title: str) -> str:
    """A one-line description of the interpreter, for the top of a report."""
    version = sys.version.split()[0]
    return f"{title} (CPython {version}, in-process, median of per-round times)"


def warn(message: str) -> None:
    """Print a loud message on stderr."""
    print(f"!! {message}", file=sys.stderr, flush=True)
