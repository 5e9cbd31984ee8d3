"""What the stress scripts share: real servers on loopback, and printing a table.

The scripts in this folder are plain modules (no package): each one puts this
folder on ``sys.path`` when run, and ``tests/test_stress.py`` imports them by path.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

#: The servers a script can start, and the driver each one runs.
SERVERS = ("gunicorn", "uvicorn")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(server: str, target: str, port: int, threads: int = 16) -> list[str]:
    """The command line that serves *target* (``module:attr``) with *server* on *port*.

    gunicorn runs one worker process with the ``gthread`` worker (so that one
    process sees every request, and the per-request records stay in one place);
    uvicorn runs its default single process and loop. Both keep idle connections
    for 60 s, so that a client never reuses one the server is closing.
    """
    if server == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-w",
            "1",
            "--keep-alive",
            "60",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ]
    if server == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--timeout-keep-alive",
            "60",
            "--log-level",
            "warning",
            target,
        ]
    raise ValueError(f"unknown server {server!r}")


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start in {timeout} s")


@contextlib.contextmanager
def serving(
    server: str, target: str, threads: int = 16, log: Path | None = None
) -> Iterator[tuple[str, int]]:
    """Start *server* with *target* (a module in this folder); yield ``("127.0.0.1", port)``.

    The server's output goes to *log* (or nowhere); the server is stopped when the
    block ends.
    """
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        server_command(server, target, port, threads),
        cwd=HERE,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )
    try:
        _wait_until_up(port, proc)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if log is not None:
            out.close()  # type: ignore[union-attr]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """*rows* as a plain-text table with a header line, columns padded to fit."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
