"""``import tocsin.as_flask``: ``flask`` resolves to Tocsin for the whole process.

Each test runs in a fresh interpreter: the mapping is process-wide, and this
test process imports the real Flask elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def run_python(
    code: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run *code* in a new interpreter of this venv; return the finished process."""
    full_env = {k: v for k, v in os.environ.items() if k != "TOCSIN_AS_FLASK"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )


def output_of(code: str, **kwargs: object) -> str:
    result = run_python(code, **kwargs)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_flask_and_its_modules_are_tocsins() -> None:
    out = output_of(
        """
        import tocsin.as_flask
        import flask, tocsin, sys
        import flask.globals, flask.signals, flask.json.provider, flask.json.tag
        import flask.sessions, flask.ctx, flask.app, flask.blueprints, flask.views
        import flask.testing, flask.templating, flask.wrappers, flask.helpers, flask.config
        import flask.sansio.app, flask.sansio.blueprints, flask.sansio.scaffold
        import flask.debughelpers, flask.logging, flask.cli, flask.typing
        from flask import Flask, request, g, session, current_app, Blueprint
        from flask.globals import request_ctx, app_ctx
        from flask.signals import request_started
        names = ["globals", "signals", "json", "json.provider", "json.tag", "sessions", "ctx",
                 "app", "blueprints", "views", "testing", "templating", "wrappers", "helpers",
                 "config", "sansio", "sansio.app", "sansio.blueprints", "sansio.scaffold",
                 "debughelpers", "logging", "cli", "typing"]
        print([sys.modules["flask." + n] is sys.modules["tocsin." + n] for n in names])
        print(Flask is tocsin.Tocsin, Blueprint is tocsin.Blueprint)
        print(request is tocsin.request, g is tocsin.g, session is tocsin.session)
        print(current_app is tocsin.current_app, request_started is tocsin.request_started)
        print(request_ctx is tocsin.globals.request_ctx, app_ctx is tocsin.globals.app_ctx)
        print(flask.globals.__name__, flask.globals.__spec__.name)
        """
    )
    assert out.splitlines() == [
        str([True] * 23),
        "True True",
        "True True True",
        "True True",
        "True True",
        "tocsin.globals tocsin.globals",
    ]


def test_a_bare_import_flask_has_its_submodules_as_attributes() -> None:
    out = output_of(
        """
        import tocsin.as_flask
        import flask, tocsin.cli
        print(flask.cli is tocsin.cli, flask.json is tocsin.json, flask.globals.__name__)
        """
    )
    assert out == "True True tocsin.globals"


def test_a_flask_module_tocsin_lacks_is_not_found() -> None:
    out = output_of(
        """
        import tocsin.as_flask
        try:
            import flask.no_such_module
        except ModuleNotFoundError as e:
            print(type(e).__name__, e.name, str(e))
        try:
            from flask import no_such_name
        except ImportError as e:
            print(type(e).__name__)
        """
    )
    assert out.splitlines() == [
        "ModuleNotFoundError flask.no_such_module No module named 'flask.no_such_module'",
        "ImportError",
    ]


def test_the_apps_own_flask_imports_and_an_extension_share_tocsins_objects() -> None:
    out = output_of(
        """
        import tocsin.as_flask
        import flask_login.utils, flask_login.login_manager
        from flask import Flask, request
        import tocsin
        print(flask_login.utils.request is tocsin.request)
        print(flask_login.utils.current_app is tocsin.current_app)
        print(type(Flask(__name__)).__module__)
        """
    )
    assert out.splitlines() == ["True", "True", "tocsin.app"]


def test_after_the_real_flask_it_refuses_and_names_what_came_first() -> None:
    result = run_python(
        """
        import flask_login
        import tocsin.as_flask
        """
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    flask_file = output_of("import flask; print(flask.__file__)")
    assert last == (
        "tocsin.as_flask.FlaskAlreadyImported: 'import tocsin.as_flask' came after the real"
        f" Flask was imported: 'flask' (from {flask_file}), with flask_login. Code imported"
        " so far uses Flask's own contexts and classes, which Tocsin cannot take over. Move"
        " 'import tocsin.as_flask' up, to the first line of the app's entry module, before"
        " any 'flask' or extension import (and run the app with 'tocsin' or a server, not"
        " with the 'flask' command, which imports the real Flask first)."
    )


def test_a_real_flask_submodule_alone_is_refused_too() -> None:
    result = run_python(
        """
        import flask.json.tag, sys
        for name in [n for n in sys.modules if n == "flask" or n.startswith("flask.")]:
            if not name.startswith("flask.json"):
                del sys.modules[name]
        try:
            import tocsin.as_flask
        except ImportError as e:
            print(type(e).__name__, str(e).split(": ")[1].split(" ")[0])
        """
    )
    assert result.stdout.strip() == "FlaskAlreadyImported 'flask.json'"


def test_importing_it_twice_is_harmless() -> None:
    out = output_of(
        """
        import tocsin.as_flask, importlib, sys
        importlib.reload(tocsin.as_flask)
        finders = [type(f).__name__ for f in sys.meta_path].count("_Finder")
        print(finders, tocsin.as_flask.installed())
        """
    )
    assert out == "1 True"


def test_version_attributes_answer_as_extensions_expect() -> None:
    out = output_of(
        """
        import warnings, importlib.metadata as md
        import tocsin.as_flask, flask, tocsin
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            version = flask.__version__
        print(version == md.version("flask"), caught[0].category.__name__)
        print(str(caught[0].message))
        print(tocsin.__version__ == md.version("tocsin"), tocsin.FLASK_API_VERSION)
        """
    )
    assert out.splitlines() == [
        "True DeprecationWarning",
        "The '__version__' attribute is deprecated and will be removed in Flask 3.2. Use"
        " feature detection or 'importlib.metadata.version(\"flask\")' instead.",
        "True 3.1.3",
    ]


def _site_packages_without_flask(tmp_path: Path) -> Path:
    """A folder of links to this venv's installed packages, leaving Flask out."""
    import flask

    site = Path(flask.__file__).resolve().parents[1]
    hidden = tmp_path / "site"
    hidden.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name == "flask" or (name.startswith("flask-") and name.endswith(".dist-info")):
            continue
        (hidden / entry.name).symlink_to(entry)
    return hidden


def test_without_a_real_flask_metadata_answers_with_the_api_version(tmp_path: Path) -> None:
    site = _site_packages_without_flask(tmp_path)
    code = f"""
        import sys
        sys.path[:] = [p for p in sys.path if "site-packages" not in p]
        sys.path[:0] = [{str(SRC)!r}, {str(site)!r}]
        import importlib.metadata as md
        try:
            import flask
        except ImportError:
            print("no flask")
        try:
            md.version("flask")
        except md.PackageNotFoundError:
            print("no metadata")
        import tocsin.as_flask, flask
        print(md.version("flask"), md.version("Flask"), type(flask).__name__)
    """
    out = output_of(code)
    assert out.splitlines() == ["no flask", "no metadata", "3.1.3 3.1.3 _FlaskModule"]


def test_off_switch_leaves_the_real_flask(tmp_path: Path) -> None:
    code = """
        import tocsin.as_flask, flask, tocsin
        print(tocsin.as_flask.enabled(), tocsin.as_flask.installed(), flask.Flask is tocsin.Flask)
    """
    for value in ("0", "false", "No", "off"):
        assert output_of(code, env={"TOCSIN_AS_FLASK": value}) == "False False False"
    assert output_of(code, env={"TOCSIN_AS_FLASK": "1"}) == "True True True"


def test_a_subprocess_importing_the_app_module_gets_tocsin(tmp_path: Path) -> None:
    (tmp_path / "portedapp.py").write_text(
        textwrap.dedent(
            """
            import tocsin.as_flask
            from flask import Flask, g
            from flask_login import LoginManager

            app = Flask(__name__)
            LoginManager(app)

            @app.get("/")
            def index():
                return type(app).__module__
            """
        )
    )
    code = """
        import json, subprocess, sys
        from portedapp import app
        child = subprocess.run(
            [sys.executable, "-c",
             "from portedapp import app; print(app.test_client().get('/').text)"],
            capture_output=True, text=True,
        )
        print(json.dumps([app.test_client().get("/").text, child.stdout.strip()]))
    """
    out = output_of(code, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert json.loads(out) == ["tocsin.app", "tocsin.app"]


@pytest.mark.parametrize("command", [["tocsin"], [sys.executable, "-m", "tocsin"]])
def test_the_tocsin_command_runs_a_ported_app(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import tocsin.as_flask
            import click
            from flask import Flask, current_app
            import flask_login

            app = Flask(__name__)

            @app.cli.command("where")
            def where():
                click.echo(type(current_app._get_current_object()).__module__)
            """
        )
    )
    if command == ["tocsin"]:
        command = [str(Path(sys.executable).with_name("tocsin"))]
    result = subprocess.run(
        [*command, "where"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert (result.returncode, result.stdout.strip()) == (0, "tocsin.app"), result.stderr


def test_a_bare_import_tocsin_has_the_submodules_flask_has() -> None:
    out = output_of(
        """
        import sys, tocsin
        print("tocsin.cli" in sys.modules, tocsin.cli.__name__, tocsin.debughelpers.__name__)
        print(hasattr(tocsin, "as_flask"), "flask" in sys.modules)
        """
    )
    assert out.splitlines() == ["False tocsin.cli tocsin.debughelpers", "False False"]


def test_introspecting_the_flask_module_raises_nothing() -> None:
    """``inspect.getmembers(flask)`` under warnings-as-errors, as in a Flask project's tests."""
    out = output_of(
        """
        import inspect, warnings
        import tocsin.as_flask, flask
        warnings.simplefilter("error")
        names = [name for name, _ in inspect.getmembers(flask)]
        print("Flask" in names, "request" in names, "__version__" in names)
        print(all(hasattr(flask, name) for name in dir(flask)))
        """
    )
    assert out.splitlines() == ["True True False", "True"]
