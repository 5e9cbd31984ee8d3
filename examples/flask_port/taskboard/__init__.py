import tocsin.as_flask  # noqa: F401, I001 -- the one line for Tocsin; remove it to run on Flask

# Taskboard: a small task list, written for Flask, with the usual extensions.

import os

from flask import Flask, render_template

from .extensions import csrf, db, login_manager


def create_app(test_config=None):
    """Create and configure the app (the application factory)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        SQLALCHEMY_DATABASE_URI="sqlite:///taskboard.sqlite3",
        TASKS_PER_PAGE=5,
    )
    if test_config is None:
        # the instance config, if it exists, when not testing
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import auth, models, tasks

    app.register_blueprint(auth.bp)
    app.register_blueprint(tasks.bp)
    app.add_url_rule("/", endpoint="index")
    app.cli.add_command(models.init_db_command)

    @app.errorhandler(403)
    @app.errorhandler(404)
    def error_page(error):
        return render_template("errors/error.html", error=error), error.code

    return app
