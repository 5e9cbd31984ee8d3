"""Small versions of the scripts in ``stress/``: the same checks, seconds instead of minutes.

The scripts are plain modules in ``stress/`` (not a package); they are
imported from there by path. See ``stress/README.md`` for the full-size runs.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

STRESS = Path(__file__).resolve().parent.parent / "stress"


def _script(name: str) -> ModuleType:
    if str(STRESS) not in sys.path:
        sys.path.insert(0, str(STRESS))
    return importlib.import_module(name)


isolation = _script("isolation")
faults = _script("faults")
memory = _script("memory")
bad_input = _script("bad_input")


# -- concurrency isolation ------------------------------------------------------------------


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_isolation_under_a_real_server(server: str) -> None:
    result = isolation.run(server, requests=300, concurrency=32)
    assert result.statuses == {200: 300}
    assert result.problems() == []
    assert not result.failed


def test_isolation_report_check_finds_each_kind_of_failure() -> None:
    result = isolation.Result("fake", requests=3)
    report = {
        "counts": {"r0": [1] * 6, "r1": [1, 1, 2, 1, 1, 1], "r9": [1] * 6},
        "mismatches": ["r0: before_request (g.rid) saw 'r1'"],
        "leaks": ["r2: a context is current when a WSGI request came in"],
    }
    isolation._check_report(report, result)
    assert result.teardown_errors == [
        "r1: teardown_appcontext=2",
        "r2: teardown_request=0, teardown_request_async=0, teardown_appcontext=0, "
        "teardown_appcontext_async=0, request_tearing_down=0, appcontext_tearing_down_async=0",
        "r9: counted but never sent",
    ]
    assert result.mismatches == ["r0: before_request (g.rid) saw 'r1'"]
    assert result.leaks == ["r2: a context is current when a WSGI request came in"]
    assert result.failed


# -- fault injection ------------------------------------------------------------------------


def _failing_rows(rows: list[tuple[object, dict[str, object]]]) -> list[str]:
    return [
        f"{case.site}/{case.kind} view={case.view} {case.exc}: {driver}: {outcome.cell(case)}"
        for case, outcomes in rows
        for driver, outcome in outcomes.items()
        if outcome.problems(case)
    ]


@pytest.mark.parametrize("site", faults.SITES)
def test_fault_in_each_site_keeps_teardown_and_pops_contexts(site: str) -> None:
    rows, failed = faults.run_matrix(faults.cases([site]))
    assert _failing_rows(rows) == []
    assert failed == 0
    assert len(rows) > 2  # the two baselines, and the site's own cases


def test_fault_baselines_answer_under_both_drivers() -> None:
    rows, _ = faults.run_matrix(faults.cases([]))
    assert [(c.view, {d: o.result for d, o in out.items()}) for c, out in rows] == [
        ("sync", {"wsgi": "200", "asgi": "200"}),
        ("async", {"wsgi": "200", "asgi": "200"}),
    ]


def test_fault_outcome_verdicts() -> None:
    case = faults.Case("teardown_request", "sync", "KeyboardInterrupt", "sync")
    good = faults.Outcome("raised InjectedKeyboardInterrupt", [], [])
    assert good.problems(case) == []
    swallowed = faults.Outcome("500", ["request_tearing_down/sync=0"], ["AppContext"])
    assert swallowed.problems(case) == [
        "expected raised InjectedKeyboardInterrupt",
        "teardown request_tearing_down/sync=0",
        "left AppContext",
    ]
    assert faults.Outcome("HANG", [], []).problems(case) == ["hung"]


def test_faults_under_uvicorn() -> None:
    selected = faults.cases(["teardown_request"], ["Exception", "KeyboardInterrupt"])
    outcomes = faults.run_uvicorn(selected)
    assert sorted(outcomes, key=selected.index) == selected
    wrong = [
        f"{c.site}/{c.kind} view={c.view} {c.exc}: {o.cell(c)}"
        for c, o in outcomes.items()
        if o.problems(c)
    ]
    assert wrong == []


# -- memory ---------------------------------------------------------------------------------


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_memory_stops_growing(driver: str) -> None:
    result = memory.run(driver, 20_000, every=2_500, warm_up=5_000)
    assert result.wrong == []
    assert len(result.samples) == 9
    assert memory.failures(result, max_growth_mib=4.0, max_objects=2_000) == []


def test_memory_check_finds_growth() -> None:
    result = memory.Result("fake", requests=300, warm_up=100)
    result.samples = [(0, 10 * 2**20, 1000), (100, 11 * 2**20, 1500), (300, 20 * 2**20, 9000)]
    assert memory.failures(result, max_growth_mib=4.0, max_objects=2_000) == [
        "RSS grew 9.00 MiB after warm-up (bound 4.0)",
        "7500 more tracked objects after warm-up (bound 2000)",
    ]


# -- raw-socket bad input -------------------------------------------------------------------

#: The CI dozen: one or two of each kind of bad input.
CI_CASES = (
    "baseline",
    "garbage request line",
    "non-UTF-8 path %ff",
    "unknown method",
    "huge header (100 KB)",
    "Content-Length: abc",
    "bad chunk size",
    "chunked over the limit",
    "over the limit",
    "over the limit, Expect: 100-continue",
    "over-limit Content-Length, body withheld",
    "truncated body",
    "bad JSON",
    "bad session cookie",
    "multipart, unterminated",
)


def test_bad_input_under_real_servers() -> None:
    cases = [c for c in bad_input.CASES if c.name in CI_CASES]
    assert [c.name for c in cases] == list(CI_CASES)
    answers = bad_input.run(cases, bad_input.TARGETS[:2])  # Tocsin under gunicorn and uvicorn
    assert answers["tocsin/gunicorn"]["baseline"] == bad_input.Answer(200, "app")
    assert answers["tocsin/uvicorn"]["bad JSON"] == bad_input.Answer(400, "app")
    wrong = [
        f"{label}: {case.name}: {answers[label][case.name].cell()} ({why})"
        for label in answers
        for case in cases
        if (why := bad_input.problem(case, answers[label][case.name])) is not None
    ]
    assert wrong == []
