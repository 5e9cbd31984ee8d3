"""examples/signals_demo.py runs, with warnings as errors, and shows what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "examples" / "signals_demo.py"


def test_the_demo_runs_and_prints_each_feature() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", str(DEMO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("fraud check first") < out.index("receipt: alice")
    assert "welcome back, bob!" in out
    assert "flaky_warehouse returned ConnectionError('warehouse is offline')" in out
    assert "update_dashboard returned 'updated'" in out
    traced = [line.strip() for line in out.splitlines() if "[trace]" in line]
    assert traced == [  # the muted send in between is not traced
        "[trace] order-cancelled from alice {'reason': 'changed mind'}",
        "[trace] order-shipped from alice {'carrier': 'post'}",
    ]
    assert "<lambda> was connected weakly to signal" in out
    assert "never printed" not in out
    assert "lambda heard bob" in out
