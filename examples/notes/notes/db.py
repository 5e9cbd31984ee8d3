"""SQLite storage: one connection per application context, opened on first use.

The classic Flask pattern: :func:`get_db` opens the connection lazily into
``g``; :func:`close_db` runs at ``teardown_appcontext`` and commits when the
request ended without an unhandled exception, or rolls back otherwise, so a
failing request leaves no partial write. Views that write also call
:func:`commit` just before answering (see there why).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from importlib import resources

import click

from tocsin import Tocsin, current_app, g

_schema_lock = threading.Lock()


def get_db() -> sqlite3.Connection:
    """The connection of the current application context, opened on first use."""
    if "db" not in g:
        ensure_schema(current_app)
        # Under the ASGI driver a synchronous view runs in a worker thread while
        # hooks run on the event loop's thread: one request may touch the
        # connection from two threads (one after the other, never at once).
        db = sqlite3.connect(current_app.config["DATABASE"], check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        g.db = db
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    """Commit (or, after an unhandled exception, roll back) and close the connection."""
    db: sqlite3.Connection | None = g.pop("db", None)
    if db is None:
        return
    try:
        if exc is None:
            db.commit()
        else:
            db.rollback()
    finally:
        db.close()


def commit() -> None:
    """Commit the request's writes now, before its response is sent.

    :func:`close_db` commits at teardown too, but Tocsin runs teardown once
    the response has been handed to the server (under ASGI, once it has been
    sent), so a browser that follows a redirect at once could read the
    database before that commit. Views that write call this just before they
    answer; an exception raised earlier still rolls everything back.
    """
    if "db" in g:
        g.db.commit()


def init_db(app: Tocsin, drop: bool = False) -> None:
    """Create the tables in ``app.config["DATABASE"]`` (dropping them first if *drop*)."""
    os.makedirs(os.path.dirname(app.config["DATABASE"]) or ".", exist_ok=True)
    script = resources.files(__package__).joinpath("schema.sql").read_text("utf-8")
    with sqlite3.connect(app.config["DATABASE"]) as db:
        if drop:
            db.executescript(
                "DROP TABLE IF EXISTS audit; DROP TABLE IF EXISTS note; DROP TABLE IF EXISTS user;"
            )
        db.executescript(script)
    db.close()
    app.extensions["notes.schema"] = app.config["DATABASE"]


def ensure_schema(app: Tocsin) -> None:
    """Create the tables once per app and database path, so the demo needs no setup step."""
    if app.extensions.get("notes.schema") == app.config["DATABASE"]:
        return
    with _schema_lock:
        if app.extensions.get("notes.schema") != app.config["DATABASE"]:
            init_db(app)


def init_app(app: Tocsin) -> None:
    """Register the teardown function and the ``init-db`` command on *app*."""
    app.teardown_appcontext(close_db)

    @app.cli.command("init-db")
    @click.option("--drop", is_flag=True, help="Delete every user, note and audit row first.")
    def init_db_command(drop: bool) -> None:
        """Create the database tables (they are also created on first use)."""
        init_db(app, drop=drop)
        what = "Emptied and created" if drop else "Created"
        click.echo(f"{what} the tables in {app.config['DATABASE']}.")
