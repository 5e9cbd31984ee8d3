"""Commands that run in the application context: :func:`with_appcontext`, :class:`AppGroup`."""

from __future__ import annotations

import collections.abc as c
import functools
import typing as t

import click

from ..app import Tocsin
from ..globals import _cv_app
from ._discovery import ScriptInfo

F = t.TypeVar("F", bound=c.Callable[..., t.Any])


def with_appcontext(f: F) -> F:
    """Make a click command callback run inside the application context.

    The application comes from the :class:`ScriptInfo` context object and
    is loaded on first use; an application context that is already current
    is reused, else one is pushed for as long as the command runs (its
    teardown functions run when the command ends). Commands made with
    ``@app.cli.command()`` get this automatically.
    """

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, functools.update_wrapper(wrapper, f))


def _current_app() -> Tocsin:
    return _cv_app.get().app


class AppGroup(click.Group):
    """A click group whose commands run inside the application context.

    ``app.cli`` and ``blueprint.cli`` are AppGroups. :meth:`command` wraps
    each callback with :func:`with_appcontext` (pass
    ``with_appcontext=False`` to opt out) and :meth:`group` makes nested
    AppGroups.
    """

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.command`; the command runs in the application context.

        :param with_appcontext: ``False`` to run the callback without one.

        Usable bare (``@app.cli.command``) or called (``@app.cli.command("name")``).
        """
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.command()(args[0])
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: c.Callable[..., t.Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            command: click.Command = super(AppGroup, self).command(*args, **kwargs)(f)
            return command

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.group`, but makes an :class:`AppGroup` by default."""
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.group()(args[0])
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)
