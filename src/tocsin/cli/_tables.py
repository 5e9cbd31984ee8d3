"""Plain-text tables and function names, for the commands that list things."""

from __future__ import annotations

import collections.abc as c
import functools
import typing as t

from .._async import is_async_callable


def _table(headers: c.Sequence[str], rows: c.Sequence[c.Sequence[str]]) -> list[str]:
    """Lines of a plain-text table: header, dashes, rows; columns two spaces apart."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: c.Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *map(line, rows)]


def _names(func: t.Any) -> tuple[str, str]:
    """(qualified name, module) of a function, method, partial or callable object."""
    target, partial = func, False
    while isinstance(target, functools.partial):
        target, partial = target.func, True
    qualname = getattr(target, "__qualname__", None)
    if not isinstance(qualname, str):
        qualname = f"{type(target).__qualname__}()"
    module = getattr(target, "__module__", None) or type(target).__module__
    return (f"partial({qualname})" if partial else qualname), str(module)


def _describe(func: t.Any) -> str:
    """``module.qualname``, with `` (async)`` for an async function."""
    qualname, module = _names(func)
    return f"{module}.{qualname}" + (" (async)" if is_async_callable(func) else "")
