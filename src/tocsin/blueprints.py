"""Blueprints: groups of views and hooks registered on an app, possibly nested.

Registration is :class:`tocsin.sansio.blueprints.Blueprint`'s; this class adds
the blueprint's static files and its command group.
"""

from __future__ import annotations

import typing as t

from .globals import _cv_app
from .helpers import _max_age_seconds, send_from_directory
from .sansio.blueprints import Blueprint as SansioBlueprint
from .sansio.blueprints import BlueprintSetupState

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .sansio.app import App
    from .wrappers import Response

__all__ = ["Blueprint", "BlueprintSetupState"]


class Blueprint(SansioBlueprint):
    """A set of views, hooks, handlers and template helpers to register on an app.

    The arguments and registration are the sansio :class:`~tocsin.sansio.blueprints.Blueprint`'s;
    this class serves the blueprint's static files and holds its command group.
    """

    def _register_cli(self, app: App, options: dict[str, t.Any], name: str) -> None:
        """Add the blueprint's commands: by default in a group of the name it is registered as."""
        cli = self.__dict__.get("_cli")
        if cli is None or not cli.commands:
            return
        app_cli = t.cast("Tocsin", app).cli  # (a blueprint registers on a Tocsin app)
        cli_name = options.get("cli_group", self.cli_group)
        if not isinstance(cli_name, str) and cli_name is not None:
            cli_name = name  # as registered: ``name=`` and the parents' names included
        if cli_name is None:
            app_cli.commands.update(cli.commands)
        else:
            cli.name = cli_name
            app_cli.add_command(cli)

    @property
    def cli(self) -> t.Any:
        """The blueprint's click group, added to the app's commands on registration."""
        cli = self.__dict__.get("_cli")
        if cli is None:
            from .cli import AppGroup

            cli = self.__dict__["_cli"] = AppGroup(self.name)
        return cli

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``max_age`` of this blueprint's static files (``SEND_FILE_MAX_AGE_DEFAULT``).

        Override it in a subclass to cache this blueprint's files differently; as
        in Flask, an override on the app does not apply here.
        """
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            raise RuntimeError(
                "get_send_file_max_age() needs an application context; call it in a view."
            )
        return _max_age_seconds(app_ctx.app.config["SEND_FILE_MAX_AGE_DEFAULT"])

    def send_static_file(self, filename: str) -> Response:
        """The view of this blueprint's ``static`` route."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)
