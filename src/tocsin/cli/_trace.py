"""``tocsin trace``: make one request through the test client and print its lifecycle trace."""

from __future__ import annotations

import json
import typing as t

import click

from .. import lifecycle
from ..testing import DRIVERS
from ..tracing import Trace, Tracer
from ._discovery import ScriptInfo, pass_script_info


def _trace_lines(trace: Trace, driver: str) -> list[str]:
    """The trace as text: the status, then each step (number, name, start) and what it called.

    Only what :class:`~tocsin.tracing.Trace` offers publicly is read
    (``status`` and ``events``, its flat view: steps that ran, calls,
    signals), so this is the one place to change when the tracer records
    more. Steps with nothing registered are left out (``--json`` lists them
    as skipped).
    """
    status = trace.status if trace.status is not None else "no response"
    lines = [f"{trace.method} {trace.path} -> {status} ({driver})"]
    for event in trace.events:
        ms = f"{event.at_ns / 1e6:9.3f} ms"
        if event.kind == "step":
            lines.append(f"{ms}  {lifecycle.step(event.name).number:>2} {event.name}")
        elif event.kind == "call":
            lines.append(f"{ms}       {event.name}: {event.detail}")
        else:
            lines.append(f"{ms}       signal {event.name} -> {event.detail} receiver(s)")
    return lines


def _header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"{value!r} is not NAME:VALUE.", param_hint="'--header'")
    return name.strip(), content.strip()


@click.command("trace", short_help="Make a request and show its lifecycle trace.")
@click.argument("method")
@click.argument("path")
@click.option("--data", "-d", metavar="TEXT", help="The request body.")
@click.option(
    "--header",
    "-H",
    "headers",
    metavar="NAME:VALUE",
    multiple=True,
    help="A request header; repeat for more.",
)
@click.option(
    "--driver",
    type=click.Choice(DRIVERS),
    default="wsgi",
    show_default=True,
    help="Which driver runs the request.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@pass_script_info
def trace_command(
    info: ScriptInfo,
    method: str,
    path: str,
    data: str | None,
    headers: tuple[str, ...],
    driver: str,
    as_json: bool,
) -> None:
    """Make a METHOD request for PATH through the test client and print its trace.

    The trace lists each lifecycle step as it began (its number and name,
    in milliseconds since the request started), each hook, view and error
    handler it called, and each signal sent. The app's own tracer is used
    if it has one; otherwise one is installed for this request only. The
    request runs as any test client request does: its functions run, its
    session and database work happen.
    """
    app = info.load_app()
    pairs = [_header(value) for value in headers]
    own = app.tracer
    tracer = own if own is not None else Tracer(app, keep=1)
    failed: Exception | None = None
    try:
        client = app.test_client(driver=driver)
        with tracer.capture() as traces:  # (traced in full, whatever the tracer samples)
            try:
                response = client.open(path, method=method.upper(), data=data, headers=pairs)
                response.close()
            except Exception as e:  # (an unhandled error that propagates: the trace so far)
                failed = e
        trace = traces[-1] if traces else None
    finally:
        if own is None:
            tracer.uninstall()
    if trace is None:
        raise click.ClickException("The request left no trace.")
    if as_json:
        data_out: dict[str, t.Any] = {"driver": driver, **trace.as_dict()}
        data_out["events"] = [
            {"ms": e.at_ns / 1e6, "kind": e.kind, "name": e.name, "detail": e.detail}
            for e in trace.events
        ]
        if failed is not None:
            data_out["raised"] = f"{type(failed).__name__}: {failed}"
        click.echo(json.dumps(data_out, indent=2))
    else:
        click.echo("\n".join(_trace_lines(trace, driver)))
        if failed is not None:
            click.echo(f"raised {type(failed).__name__}: {failed}")
    if failed is not None:
        raise SystemExit(1)
