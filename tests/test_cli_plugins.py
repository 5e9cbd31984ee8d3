"""Commands that installed packages add through entry points."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tocsin import Tocsin
from tocsin.cli import TocsinGroup


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The group sets these for the process: undo it after each test."""
    for name in ("TOCSIN_RUN_FROM_CLI", "FLASK_RUN_FROM_CLI"):
        monkeypatch.setenv(name, "recorded")
        monkeypatch.delenv(name)


def install_plugin(site: Path, group: str, name: str, text: str) -> None:
    """A distribution in *site* whose entry point *name* of *group* is a click command."""
    dist = site / f"{name}_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{group}]\n{name} = {name}_plugin:command\n")
    (site / f"{name}_plugin.py").write_text(
        textwrap.dedent(
            f"""
            import click

            @click.command(help="A plugin's command.")
            def command():
                click.echo({text!r})
            """
        )
    )
    importlib.invalidate_caches()


def test_tocsin_commands_entry_points_are_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, "tocsin.commands", "hello", "hello from a plugin")
    install_plugin(tmp_path, "flask.commands", "migrate", "never here")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = Tocsin("plugins")

    @app.cli.command("mine")
    def mine() -> None:
        print("the app's")

    group = TocsinGroup(create_app=lambda: app)
    listed = CliRunner().invoke(group, ["--help"])
    commands = listed.output.split("Commands:\n")[1].split()
    assert [w for w in commands if w in ("hello", "migrate", "mine", "run")] == [
        "hello",
        "mine",
        "run",
    ]
    result = CliRunner().invoke(TocsinGroup(create_app=lambda: app), ["hello"])
    assert (result.exit_code, result.output) == (0, "hello from a plugin\n")
    result = CliRunner().invoke(TocsinGroup(create_app=lambda: app), ["migrate"])
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        2,
        "Error: No such command 'migrate'.",
    )


@pytest.mark.parametrize("ported", [True, False])
def test_flask_commands_entry_points_need_flask_to_be_tocsin(tmp_path: Path, ported: bool) -> None:
    """Flask's plugins run on Tocsin when the app's module made ``flask`` Tocsin's."""
    site = tmp_path / "site"
    install_plugin(site, "flask.commands", "migrate", "migrated")
    (tmp_path / "app.py").write_text(
        ("import tocsin.as_flask\n" if ported else "")
        + "from tocsin import Tocsin\napp = Tocsin('app')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TOCSIN_AS_FLASK", None)
    tocsin = str(Path(sys.executable).with_name("tocsin"))
    result = subprocess.run(
        [tocsin, "migrate"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    if ported:
        assert (result.returncode, result.stdout) == (0, "migrated\n")
    else:
        assert (result.returncode, result.stderr.splitlines()[-1]) == (
            2,
            "Error: No such command 'migrate'.",
        )
