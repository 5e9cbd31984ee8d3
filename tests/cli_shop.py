"""Running the ``tocsin`` group on tests/apps/cli_app.py, for the command-line tests."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tocsin._async import _thread_loop
from tocsin.cli import cli

#: What the tests must not see from outside, nor leave behind (the group sets the last two).
ENV_VARS = (
    "TOCSIN_APP",
    "FLASK_APP",
    "TOCSIN_DEBUG",
    "FLASK_DEBUG",
    "TOCSIN_RUN_FROM_CLI",
    "FLASK_RUN_FROM_CLI",
)

#: The app module, loaded by path: its functions are ``cli_app.<name>``.
SHOP = Path(__file__).parent / "apps" / "cli_app.py"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """No app or env file from outside; ``cli_app``, its sys.path entry and the env go after."""
    for name in ENV_VARS:  # (set, then removed: each is restored after the test)
        monkeypatch.setenv(name, "recorded")
        monkeypatch.delenv(name)
    monkeypatch.setenv("TOCSIN_SKIP_DOTENV", "1")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    # This thread's event loop, made now if not yet: made inside a request (an async hook
    # run under WSGI), it would keep that request's context, and so its app, alive.
    _thread_loop()
    yield
    sys.modules.pop("cli_app", None)
    gc.collect()  # (its namespace and receivers, held in cycles with the module's functions)


def run_program(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tocsin ARGS...`` as a program, in *cwd*, with no app or env file from outside."""
    script = Path(sys.executable).with_name("tocsin")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "tocsin"]
    env = {k: v for k, v in os.environ.items() if k not in ("TOCSIN_APP", "FLASK_APP")}
    return subprocess.run(
        [*argv, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "TOCSIN_SKIP_DOTENV": "1"},
        timeout=60,
        check=False,
    )


def shop(*args: str, app: str = "") -> Result:
    """``tocsin --app tests/apps/cli_app.py[:app] ARGS...``, in this process."""
    target = f"{SHOP}:{app}" if app else str(SHOP)
    return CliRunner().invoke(cli, ["--app", target, *args])


def output_of(*args: str, app: str = "") -> str:
    """The output of :func:`shop`, after checking the command succeeded."""
    result = shop(*args, app=app)
    assert result.exit_code == 0, result.output
    return result.output


def step_block(output: str, number: int) -> list[str]:
    """The lines of step *number* (its own line and the indented ones under it)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [str(number)])
    end = start + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    return lines[start:end]
