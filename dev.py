#!/usr/bin/env python3
"""Project tasks, with nothing but Python: ``python3 dev.py TASK``.

Tasks: ``demo`` (the notes demo, WSGI dev server), ``demo-asgi`` (the same
under uvicorn), ``test`` (lint, type check, whole suite, then the Flask
extensions in ``ecosystem/`` and the ported example's suite on Flask and on
both Tocsin drivers; extra arguments go to the main suite's pytest), ``lint``,
``bench`` (all benchmarks), ``signals-demo``.

The first task run creates ``.venv`` and installs Tocsin with its ``dev``
extra into it; later runs reuse it (reinstalling when ``pyproject.toml``
changes).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    """Create ``.venv`` and install the project into it, once per ``pyproject.toml``."""
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing tocsin[dev] into .venv (first run only)", flush=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
    STAMP.touch()


def run(*args: object, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a command; stop with its exit status if it fails."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def lint() -> None:
    """ruff and mypy (strict)."""
    run(BIN / "ruff", "check", ".")
    run(BIN / "mypy")


#: The ported Flask app, whose own test suite runs on Flask and on Tocsin.
FLASK_PORT = ROOT / "examples" / "flask_port"


def suite_env(**settings: str) -> dict[str, str]:
    """This environment without the Tocsin test switches, then *settings*."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("TOCSIN_AS_FLASK", "TOCSIN_TEST_DRIVER")
    }
    return {**env, **settings}


def test(pytest_args: list[str]) -> None:
    """Lint, type check, the whole suite, then the ecosystem and the ported example.

    Each of the last runs is a pytest process of its own: ``import
    tocsin.as_flask`` maps ``flask`` for a whole process, and the main suite
    imports the real Flask.
    """
    lint()
    run(BIN / "pytest", *pytest_args)
    print("\n== ecosystem: Flask extensions on Tocsin", flush=True)
    run(BIN / "pytest", "-q", "ecosystem", env=suite_env())
    print("\n== ecosystem: the same tests on Flask (their expectations are Flask's)", flush=True)
    run(BIN / "pytest", "-q", "ecosystem", env=suite_env(TOCSIN_AS_FLASK="0"))
    runs = [
        ("on Flask", {"TOCSIN_AS_FLASK": "0"}),
        ("on Tocsin, WSGI driver", {"TOCSIN_TEST_DRIVER": "wsgi"}),
        ("on Tocsin, ASGI driver", {"TOCSIN_TEST_DRIVER": "asgi"}),
    ]
    for title, settings in runs:
        print(f"\n== examples/flask_port {title}", flush=True)
        run(
            BIN / "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            FLASK_PORT,
            cwd=FLASK_PORT,
            env=suite_env(**settings),
        )


def demo(asgi: bool = False) -> None:
    """Serve the notes demo on http://127.0.0.1:5000 (Ctrl-C stops it)."""
    notes = ROOT / "examples" / "notes"
    env = {**os.environ, "PYTHONPATH": str(notes)}
    if asgi:
        print(" * Tocsin notes demo (ASGI): http://127.0.0.1:5000/", flush=True)
        run(
            BIN / "uvicorn", "asgi:app", "--host", "127.0.0.1", "--port", "5000", cwd=notes, env=env
        )
    else:
        run(
            BIN / "python",
            "-m",
            "notes",
            "--host",
            "127.0.0.1",
            "--port",
            "5000",
            cwd=notes,
            env=env,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tasks = ["demo", "demo-asgi", "test", "lint", "bench", "signals-demo"]
    parser.add_argument("task", choices=tasks)
    parser.add_argument("args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    options = parser.parse_args()
    ensure_venv()
    if options.task in ("demo", "demo-asgi"):
        demo(asgi=options.task == "demo-asgi")
    elif options.task == "test":
        test(options.args)
    elif options.task == "lint":
        lint()
    elif options.task == "bench":
        for script in ("signals.py", "wsgi.py", "asgi.py"):
            run(BIN / "python", ROOT / "bench" / script)
    else:
        run(BIN / "python", ROOT / "examples" / "signals_demo.py")


if __name__ == "__main__":
    main()
