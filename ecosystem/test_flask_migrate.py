"""Flask-Migrate 4.1.0 (Alembic, Flask-SQLAlchemy, sqlite): ``db init/migrate/upgrade``.

``Migrate.init_app`` adds the ``db`` group to ``app.cli`` (Flask-Migrate 4
declares no ``flask.commands`` entry point). The commands run in a scratch
project, in a process of their own, through the command-line group the
``tocsin`` script runs (on the real Flask, TOCSIN_AS_FLASK=0, the ``flask``
script's): one process for all of them, as each would take about a second
to import Alembic and SQLAlchemy, and out of the test process because
Alembic's env.py reconfigures logging.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import typing as t
from pathlib import Path

import flask
import pytest
from flask_sqlalchemy import SQLAlchemy

import tocsin.as_flask

#: The command the group stands for.
COMMAND = "tocsin" if tocsin.as_flask.installed() else "flask"

APP = """\
import tocsin.as_flask  # noqa: F401

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
    db.init_app(app)
    Migrate(app, db)
    return app
"""

#: Runs each command line given as JSON and writes the results, as JSON, to a file.
RUN = """\
import json, pathlib, sys
import tocsin.as_flask  # noqa: F401 (a no-op with TOCSIN_AS_FLASK=0)
import alembic.config  # before the runner swaps sys.stdout: see test_init_migrate_upgrade
from click.testing import CliRunner
from flask.cli import cli
results = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(cli, args, prog_name=sys.argv[2])
    results.append([result.exit_code, result.stdout, result.stderr])
pathlib.Path(sys.argv[3]).write_text(json.dumps(results))
"""


def run(project: Path, *commands: list[str]) -> tuple[str, list[tuple[int, str, str]]]:
    """The process's own output, and each command's exit code, output and error output."""
    results = project / "results.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(commands), COMMAND, str(results)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout, [tuple(r) for r in json.loads(results.read_text())]  # type: ignore[misc]


def tables(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return sorted(name for (name,) in rows)


class Project(t.NamedTuple):
    folder: Path
    #: What the process printed outside the commands' captured output.
    output: str
    #: Each command's exit code, output and error output.
    results: list[tuple[int, str, str]]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A scratch project after ``db init``, ``db migrate`` and ``db upgrade``, and their results."""
    folder = tmp_path_factory.mktemp("migrate")
    (folder / "app.py").write_text(APP)
    app = ["--app", "app"]
    output, results = run(
        folder,
        [*app, "db", "init"],
        [*app, "db", "migrate", "-m", "users"],
        [*app, "db", "upgrade"],
        [*app, "db", "current"],
        [*app, "--help"],
        [*app, "db", "--help"],
    )
    return Project(folder, output, results)


def test_init_migrate_upgrade(project: Project) -> None:
    folder, output, (init, migrate, upgrade, current, _, _) = project
    assert (init[0], init[2]) == (0, "")
    assert init[1].splitlines()[-1] == (
        f"Please edit configuration/connection/logging settings in {folder}/migrations/alembic.ini"
        " before proceeding."
    )
    assert sorted(p.name for p in (folder / "migrations").iterdir()) == [
        "README",
        "alembic.ini",
        "env.py",
        "script.py.mako",
        "versions",
    ]
    [script] = (folder / "migrations" / "versions").glob("*_users.py")
    revision = script.name.removesuffix("_users.py")
    assert (migrate[0], migrate[1]) == (0, f"Generating {script} ...  done\n")
    assert "INFO  [alembic.autogenerate.compare.tables] Detected added table 'user'\n" in migrate[2]
    source = script.read_text()
    assert source.startswith('"""users\n')
    assert "op.create_table('user'," in source
    assert "sa.Column('name', sa.String(length=80), nullable=False)," in source
    assert "op.drop_table('user')" in source
    assert upgrade[0] == 0
    assert upgrade[2].splitlines()[-1] == (
        f"INFO  [alembic.runtime.migration] Running upgrade  -> {revision}, users"
    )
    assert tables(folder / "instance" / "app.db") == ["alembic_version", "user"]
    # Alembic prints `current` to the sys.stdout it was imported with (a default
    # argument), not to the one the runner gives the command: the process's own
    assert (current[0], current[1], output) == (0, "", f"{revision} (head)\n")


def test_the_db_group_is_listed_with_its_commands(project: Project) -> None:
    *_, listed, group = project.results
    assert listed[0] == 0
    assert re.search(r"^  db +Perform database migrations\.$", listed[1], re.MULTILINE)
    assert group[1].splitlines()[0] == f"Usage: {COMMAND} db [OPTIONS] COMMAND [ARGS]..."
    commands = [line.split()[0] for line in group[1].partition("Commands:\n")[2].splitlines()]
    assert commands[:6] == ["branches", "check", "current", "downgrade", "edit", "heads"]
    assert {"init", "migrate", "upgrade", "revision", "stamp"} <= set(commands)


def test_the_migrated_database_serves_requests(
    make_client: t.Callable[..., t.Any], project: Project
) -> None:
    folder = project.folder
    database = SQLAlchemy()

    class User(database.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "user"
        id = database.Column(database.Integer, primary_key=True)
        name = database.Column(database.String(80), nullable=False)

    app = flask.Flask(__name__)
    app.config.update(
        TESTING=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'instance' / 'app.db'}"
    )
    database.init_app(app)

    @app.post("/users/<name>")
    def add(name: str) -> str:
        database.session.add(User(name=name))
        database.session.commit()
        return "added"

    @app.get("/users")
    def names() -> list[str]:
        return [u.name for u in database.session.scalars(database.select(User).order_by(User.id))]

    client = make_client(app)
    before = client.get("/users").json
    client.post("/users/ada")
    assert client.get("/users").json == [*before, "ada"]
    with app.app_context():
        database.engine.dispose()
