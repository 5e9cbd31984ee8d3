"""The ``tocsin`` command line (click)."""

from __future__ import annotations

import typing as t

import click

__all__ = ["AppGroup", "main"]


class AppGroup(click.Group):
    """A click group whose commands run inside the app's application context."""


def main() -> None:
    """Entry point of the ``tocsin`` command."""
    click.echo("tocsin: command line not implemented yet")


_ = t
