"""Raw-socket bad input against real servers: every answer a clear 4xx, never a 500 or a hang.

Sends each request of :data:`CASES` as raw bytes on a fresh connection to
Tocsin under gunicorn (WSGI, ``gthread``) and under uvicorn (ASGI), and to
Flask under gunicorn for comparison, and tabulates what came back: the
status, and who answered it, ``app`` (the response carries the app's
``X-App`` header) or ``srv`` (the server rejected the request before or
instead of the app); ``closed`` when the connection closed with no answer,
``HANG`` when nothing came in :data:`TIMEOUT` seconds.

A Tocsin cell fails (``!!``, exit 1) on a 500, a hang, or a status outside
the case's expected set, when it has one (a body over ``MAX_CONTENT_LENGTH``
is a 413, bad JSON a 400...). Flask's cells are for comparison only::

    python stress/bad_input.py
    python stress/bad_input.py --server uvicorn --cases over-limit-withheld bad-chunk-size
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import time
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import serving, table
from bad_input_app import LIMIT

TIMEOUT = 5.0
#: The columns: (label, server, target); only Tocsin's columns can fail.
TARGETS = (
    ("tocsin/gunicorn", "gunicorn", "bad_input_app:app"),
    ("tocsin/uvicorn", "uvicorn", "bad_input_app:asgi"),
    ("flask/gunicorn", "gunicorn", "bad_input_app:flask_app"),
)
_HOST = b"Host: 127.0.0.1\r\n"
_CLOSE = b"Connection: close\r\n"


@dataclass(frozen=True)
class Case:
    """One bad request: its bytes, and what may answer it.

    :param head: the request line and headers (``Host`` and ``Connection: close``
        are added unless *bare*), without the blank line.
    :param body: sent after the blank line (or, with *expect_continue*, only after a 100).
    :param expect: the statuses (or ``"closed"``) a Tocsin server may answer;
        empty for "any but a 500 or a hang".
    :param half_close: shut the sending side after *body* (a truncated body).
    """

    name: str
    head: bytes
    body: bytes = b""
    expect: frozenset[int | str] = frozenset()
    bare: bool = False
    half_close: bool = False
    expect_continue: bool = False

    def request(self) -> bytes:
        """The bytes sent before any answer."""
        head = self.head + b"\r\n"
        if not self.bare:
            head += _HOST + _CLOSE
        return head + b"\r\n" + (b"" if self.expect_continue else self.body)


def _post(
    path: bytes, headers: bytes, body: bytes = b"", length: bool = False, **kw: t.Any
) -> dict[str, t.Any]:
    """The fields of a POST :class:`Case`; *length* adds the true ``Content-Length``."""
    if length:
        headers += b"Content-Length: %d\r\n" % len(body)
    return {
        "head": b"POST " + path + b" HTTP/1.1\r\n" + headers.rstrip(b"\r\n"),
        "body": body,
        **kw,
    }


def _chunks(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


_MULTIPART = b"multipart/form-data; boundary=XyZ"
_OVER = b"x" * (LIMIT * 2)
_JSON = b"Content-Type: application/json\r\n"


def _cases() -> list[Case]:
    return [
        Case("baseline", b"GET / HTTP/1.1", expect=frozenset({200})),
        Case("garbage request line", b"GARBAGE", bare=True),
        Case("space in target", b"GET /a b HTTP/1.1"),
        Case("no HTTP version", b"GET /", bare=True),
        Case("unknown HTTP version", b"GET / HTTP/9.9"),
        Case("NUL in target", b"GET /p/a\x00b HTTP/1.1"),
        Case("bad percent %zz", b"GET /p/%zz HTTP/1.1"),
        Case("lone percent", b"GET /p/% HTTP/1.1"),
        Case("non-UTF-8 path %ff", b"GET /p/%ff%fe HTTP/1.1", expect=frozenset({400, 404})),
        Case("raw non-UTF-8 byte in path", b"GET /p/\xff HTTP/1.1", expect=frozenset({400, 404})),
        Case("bad percent in query", b"GET /q?a=%zz&b=%ff HTTP/1.1", expect=frozenset({200, 400})),
        Case("unknown method", b"BREW / HTTP/1.1", expect=frozenset({405})),
        Case("lowercase method", b"get / HTTP/1.1"),
        Case("huge header (100 KB)", b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100_000),
        Case(
            "300 headers",
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)).rstrip(),
        ),
        Case("header without colon", b"GET / HTTP/1.1\r\nNoColonHere"),
        Case("NUL in header value", b"GET / HTTP/1.1\r\nX-A: a\x00b"),
        Case("no Host (HTTP/1.1)", b"GET / HTTP/1.1\r\nConnection: close", bare=True),
        Case("bad Host", b"GET / HTTP/1.1\r\nHost: a b\r\nConnection: close", bare=True),
        Case("Content-Length: abc", **_post(b"/data", b"Content-Length: abc\r\n", b"x")),
        Case("Content-Length: -1", **_post(b"/data", b"Content-Length: -1\r\n", b"x")),
        Case(
            "two Content-Lengths",
            **_post(b"/data", b"Content-Length: 1\r\nContent-Length: 2\r\n", b"xx"),
        ),
        Case(
            "bad chunk size",
            **_post(b"/data", b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
            expect=frozenset({400}),
        ),
        Case(
            "chunk size overflow",
            **_post(
                b"/data",
                b"Transfer-Encoding: chunked\r\n",
                b"ffffffffffffffffffff\r\nx",
                half_close=True,
            ),
            expect=frozenset({400, 413, "closed"}),
        ),
        Case(
            "chunked and Content-Length",
            **_post(
                b"/data", b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", _chunks(b"abc")
            ),
        ),
        Case(
            "chunked, no last chunk",
            **_post(b"/data", b"Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n", half_close=True),
            expect=frozenset({400, "closed"}),
        ),
        Case(
            "chunked over the limit",
            **_post(b"/data", b"Transfer-Encoding: chunked\r\n", _chunks(_OVER)),
            expect=frozenset({413}),
        ),
        Case("over the limit", **_post(b"/data", b"", _OVER, length=True), expect=frozenset({413})),
        Case(
            "over the limit, Expect: 100-continue",
            **_post(
                b"/data",
                b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(_OVER),
                _OVER,
                expect_continue=True,
            ),
            expect=frozenset({413}),
        ),
        Case(
            "over-limit Content-Length, body withheld",
            **_post(b"/data", b"Content-Length: 10000000\r\n"),
            expect=frozenset({413}),
        ),
        Case(
            "truncated body",
            **_post(b"/data", b"Content-Length: 100\r\n", b"x" * 10, half_close=True),
        ),
        Case(
            "bad JSON", **_post(b"/json", _JSON, b"{not json", length=True), expect=frozenset({400})
        ),
        Case(
            "JSON not UTF-8",
            **_post(b"/json", _JSON, b'"\xff\xfe"', length=True),
            expect=frozenset({400}),
        ),
        Case(
            "JSON, wrong content type",
            **_post(b"/json", b"Content-Type: text/plain\r\n", b"{}", length=True),
            expect=frozenset({415}),
        ),
        Case(
            "nested JSON over the limit",
            **_post(b"/json", _JSON, b"[" * 100_000 + b"]" * 100_000, length=True),
            expect=frozenset({400, 413}),
        ),
        Case(
            "bad session cookie",
            b"GET /cookies HTTP/1.1\r\nCookie: session=not.a.signature",
            expect=frozenset({200}),
        ),
        Case(
            "malformed cookies",
            b'GET /cookies HTTP/1.1\r\nCookie: a=b; ;;=; c="unterminated; \xff=\xfe',
            expect=frozenset({200}),
        ),
        Case(
            "multipart, wrong boundary",
            **_post(
                b"/form",
                b"Content-Type: " + _MULTIPART + b"\r\n",
                b"--NotIt\r\n\r\nnothing here\r\n--",
                length=True,
            ),
        ),
        Case(
            "multipart, no boundary",
            **_post(b"/form", b"Content-Type: multipart/form-data\r\n", b"hello", length=True),
        ),
        Case(
            "multipart, unterminated",
            **_post(
                b"/form",
                b"Content-Type: " + _MULTIPART + b"\r\n",
                length=True,
                body=b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue...',
            ),
        ),
        Case(
            "form, bad percent",
            **_post(
                b"/form",
                b"Content-Type: application/x-www-form-urlencoded\r\n",
                b"a=%zz&b=%ff",
                length=True,
            ),
            expect=frozenset({200}),
        ),
    ]


CASES = _cases()


@dataclass
class Answer:
    """What came back for one case from one server."""

    status: int | str  # a status, "closed" or "HANG"
    by: str = ""  # "app" or "srv"

    def cell(self) -> str:
        """The table cell, without a verdict."""
        return f"{self.status} {self.by}".strip()


@contextlib.contextmanager
def _connect(host: str, port: int) -> Iterator[socket.socket]:
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    try:
        yield sock
    finally:
        sock.close()


def _read(sock: socket.socket, deadline: float, until_final: bool = True) -> bytes:
    """Read until the peer closes, *deadline*, or (not *until_final*) a whole status head."""
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:  # reset: keep what came
            break
        if not chunk:
            break
        data += chunk
        if not until_final and b"\r\n\r\n" in data:
            break
    return data


def _parse(data: bytes) -> Answer:
    if not data:
        return Answer("closed")
    head = data.partition(b"\r\n\r\n")[0]
    line, _, rest = head.partition(b"\r\n")
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return Answer(f"junk {line[:20]!r}")
    has_mark = any(h.lower().startswith(b"x-app:") for h in rest.split(b"\r\n"))
    return Answer(int(parts[1]), "app" if has_mark else "srv")


def send(host: str, port: int, case: Case) -> Answer:
    """Send *case* on a new connection; what came back."""
    deadline = time.monotonic() + TIMEOUT
    with _connect(host, port) as sock:
        try:
            sock.sendall(case.request())
            if case.expect_continue:
                first = _read(sock, deadline, until_final=False)
                if not first.startswith(b"HTTP/1.1 100"):
                    return _answer(first, sock, deadline)
                sock.sendall(case.body)
                first = first.partition(b"\r\n\r\n")[2]
                return _answer(first, sock, deadline)
            if case.half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server closed while we were sending: read what it said
            pass
        return _answer(b"", sock, deadline)


def _answer(data: bytes, sock: socket.socket, deadline: float) -> Answer:
    if b"\r\n\r\n" not in data:
        data += _read(sock, deadline)
    answer = _parse(data)
    if answer.status == "closed" and time.monotonic() >= deadline:
        return Answer("HANG")
    return answer


def problem(case: Case, answer: Answer) -> str | None:
    """Why *answer* is not acceptable from Tocsin for *case*, or ``None``."""
    if answer.status == "HANG":
        return "hang"
    if answer.status == 500:
        return "500"
    if case.expect and answer.status not in case.expect:
        wanted = ", ".join(sorted(str(e) for e in case.expect))
        return f"expected {wanted}"
    return None


def run(
    cases: list[Case], targets: tuple[tuple[str, str, str], ...] = TARGETS
) -> dict[str, dict[str, Answer]]:
    """Every case against every target: answers by target label, then by case name."""
    answers: dict[str, dict[str, Answer]] = {}
    for label, server, target in targets:
        with serving(server, target) as (host, port):
            answers[label] = {case.name: send(host, port, case) for case in cases}
    return answers


def format_matrix(cases: list[Case], answers: dict[str, dict[str, Answer]]) -> tuple[str, int]:
    """The table, and the number of failing Tocsin cells."""
    labels = list(answers)
    rows = []
    failing = 0
    for case in cases:
        cells = []
        for label in labels:
            answer = answers[label][case.name]
            why = problem(case, answer) if label.startswith("tocsin") else None
            if label.startswith("flask") and answer.status == 500:
                why = "500 (Flask)"
            failing += why is not None and label.startswith("tocsin")
            cells.append(answer.cell() + (f" !! {why}" if why else ""))
        expected = ",".join(sorted(str(e) for e in case.expect)) or "any"
        rows.append((case.name, expected, *cells))
    return table(("case", "expected", *labels), rows), failing


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; print it; 1 if any Tocsin cell failed."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--server", choices=("gunicorn", "uvicorn", "all"), default="all")
    parser.add_argument("--no-flask", action="store_true", help="skip the Flask column")
    parser.add_argument("--cases", nargs="*", help="names (or parts of names) of cases to run")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.cases or any(p in c.name for p in args.cases)]
    targets = tuple(
        t
        for t in TARGETS
        if (args.server == "all" or t[1] == args.server)
        and not (args.no_flask and t[0].startswith("flask"))
    )
    text, failing = format_matrix(cases, run(cases, targets))
    print(text)
    print(f"\n{len(cases)} cases, {failing} failing Tocsin cells")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
