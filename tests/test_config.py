"""Configuration: defaults, loaders, app attributes and setup-method locking."""

from __future__ import annotations

import json
import logging
import os
import textwrap
import tomllib
import types
from datetime import timedelta
from pathlib import Path

import pytest

from tocsin import Config, Tocsin
from tocsin.helpers import get_debug_flag, get_load_dotenv
from tocsin.testing import TestClient


class _Settings:
    """A config object: only its UPPERCASE attributes are settings."""

    SECRET_KEY = "from object"
    DEBUG_TOOLBAR = True
    lowercase = "ignored"
    _PRIVATE_lower = "ignored"


# -- defaults and app attributes -----------------------------------------------------


def test_defaults() -> None:
    app = Tocsin("defaults_app", root_path="/nonexistent")
    config = app.config
    assert isinstance(config, Config)
    assert config["DEBUG"] is False
    assert config["TESTING"] is False
    assert config["PROPAGATE_EXCEPTIONS"] is None
    assert config["SECRET_KEY"] is None
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)
    assert config["SERVER_NAME"] is None
    assert config["APPLICATION_ROOT"] == "/"
    assert config["SESSION_COOKIE_NAME"] == "session"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["MAX_CONTENT_LENGTH"] is None
    assert config["TRAP_HTTP_EXCEPTIONS"] is False
    assert config["PREFERRED_URL_SCHEME"] == "http"
    assert config["PROVIDE_AUTOMATIC_OPTIONS"] is True
    assert config.root_path == "/nonexistent"


def test_default_config_is_a_copy() -> None:
    first = Tocsin("first_app", root_path="/nonexistent")
    first.config["SECRET_KEY"] = "changed"
    second = Tocsin("second_app", root_path="/nonexistent")
    assert second.config["SECRET_KEY"] is None
    assert Tocsin.default_config["SECRET_KEY"] is None


#: Flask 3.1's get_debug_flag: anything but empty, "0", "false" and "no" (any case) is on.
DEBUG_VALUES = [
    ("1", True),
    ("true", True),
    ("On", True),
    ("2", True),
    ("off", True),
    ("yes", True),
    (" 0", True),
    ("0", False),
    ("false", False),
    ("FALSE", False),
    ("No", False),
    ("", False),
]


@pytest.fixture
def no_debug_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Neither TOCSIN_DEBUG nor FLASK_DEBUG is set."""
    monkeypatch.delenv("TOCSIN_DEBUG", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return monkeypatch


@pytest.mark.parametrize(("value", "expected"), DEBUG_VALUES)
@pytest.mark.parametrize("variable", ["TOCSIN_DEBUG", "FLASK_DEBUG"])
def test_debug_from_environment(
    no_debug_env: pytest.MonkeyPatch, variable: str, value: str, expected: bool
) -> None:
    no_debug_env.setenv(variable, value)
    assert get_debug_flag() is expected
    app = Tocsin("debug_env_app", root_path="/nonexistent")
    assert app.debug is expected
    assert app.config["DEBUG"] is expected


@pytest.mark.parametrize(("value", "expected"), DEBUG_VALUES)
def test_get_debug_flag_is_flasks(
    no_debug_env: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    import flask.helpers

    no_debug_env.setenv("FLASK_DEBUG", value)
    assert flask.helpers.get_debug_flag() is expected
    assert get_debug_flag() is expected


@pytest.mark.parametrize(("tocsin", "expected"), [("0", False), ("", False), ("1", True)])
def test_tocsin_debug_wins_when_set(
    no_debug_env: pytest.MonkeyPatch, tocsin: str, expected: bool
) -> None:
    no_debug_env.setenv("FLASK_DEBUG", "0" if expected else "1")
    no_debug_env.setenv("TOCSIN_DEBUG", tocsin)
    assert get_debug_flag() is expected
    assert Tocsin("debug_env_app", root_path="/nonexistent").debug is expected


def test_debug_off_without_variables(no_debug_env: pytest.MonkeyPatch) -> None:
    assert get_debug_flag() is False
    assert Tocsin("debug_env_app", root_path="/nonexistent").debug is False


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (None, True, True),
        (None, False, False),
        ("", False, False),
        ("1", True, False),
        ("true", True, False),
        ("anything", True, False),
        ("0", False, True),
        ("False", False, True),
        ("no", False, True),
    ],
)
@pytest.mark.parametrize("variable", ["TOCSIN_SKIP_DOTENV", "FLASK_SKIP_DOTENV"])
def test_get_load_dotenv(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str | None,
    default: bool,
    expected: bool,
) -> None:
    monkeypatch.delenv("TOCSIN_SKIP_DOTENV", raising=False)
    monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    if value is not None:
        monkeypatch.setenv(variable, value)
    assert get_load_dotenv(default) is expected


def test_tocsin_skip_dotenv_wins_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    monkeypatch.setenv("TOCSIN_SKIP_DOTENV", "0")
    assert get_load_dotenv(False) is True
    monkeypatch.setenv("TOCSIN_SKIP_DOTENV", "")
    assert get_load_dotenv() is True  # set but empty: the default, not FLASK_SKIP_DOTENV


@pytest.mark.parametrize("stored", [None, "yes", 0, True])
def test_debug_returns_the_stored_value(app: Tocsin, stored: object) -> None:
    app.config["DEBUG"] = stored
    assert app.debug is stored  # as Flask's property: no bool() applied


def test_app_attributes_forward_to_config(app: Tocsin) -> None:
    assert app.name == "tocsin_test_app"
    assert app.testing is True
    assert app.secret_key == "test key"
    app.secret_key = "other"
    assert app.config["SECRET_KEY"] == "other"
    app.testing = False
    assert app.config["TESTING"] is False
    app.debug = True
    assert app.config["DEBUG"] is True
    assert app.debug is True


def test_permanent_session_lifetime_accepts_seconds(app: Tocsin) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)
    app.permanent_session_lifetime = timedelta(hours=1)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)


def test_logger_is_named_after_the_app(app: Tocsin) -> None:
    assert isinstance(app.logger, logging.Logger)
    assert app.logger.name == "tocsin_test_app"
    assert app.logger is app.logger


def test_name_of_main_module_app(monkeypatch: pytest.MonkeyPatch) -> None:
    main = types.ModuleType("__main__")
    main.__file__ = "/srv/site/wsgi_entry.py"
    monkeypatch.setitem(__import__("sys").modules, "__main__", main)
    app = Tocsin("__main__", root_path="/nonexistent")
    assert app.name == "wsgi_entry"


# -- loaders ----------------------------------------------------------------------------


def test_from_object() -> None:
    config = Config("/nonexistent")
    config.from_object(_Settings)
    assert config == {"SECRET_KEY": "from object", "DEBUG_TOOLBAR": True}


def test_from_object_import_string() -> None:
    config = Config("/nonexistent")
    config.from_object(f"{__name__}._Settings")
    assert config == {"SECRET_KEY": "from object", "DEBUG_TOOLBAR": True}


def test_from_mapping() -> None:
    config = Config("/nonexistent")
    assert config.from_mapping({"SECRET_KEY": "a", "lower": 1}, DEBUG=True, other=2) is True
    assert config == {"SECRET_KEY": "a", "DEBUG": True}


def test_from_mapping_keywords_win() -> None:
    config = Config("/nonexistent")
    config.from_mapping({"KEY": "mapping"}, KEY="keyword")
    assert config["KEY"] == "keyword"


def test_from_pyfile(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(
        textwrap.dedent(
            """
            import os
            SECRET_KEY = "from pyfile"
            ITEMS = [1, 2]
            helper = "lowercase"
            FILE = __file__
            """
        )
    )
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    assert config["SECRET_KEY"] == "from pyfile"
    assert config["ITEMS"] == [1, 2]
    assert config["FILE"] == str(tmp_path / "settings.py")
    assert "helper" not in config
    assert "os" not in config


def test_from_pyfile_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(FileNotFoundError) as exc_info:
        config.from_pyfile("missing.py")
    assert exc_info.value.strerror.startswith("Unable to load configuration file (")
    assert config == {}


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"SECRET_KEY": "j", "lower": 1}))
    config = Config(tmp_path)
    assert config.from_file("config.json", load=json.load) is True
    assert config == {"SECRET_KEY": "j"}


def test_from_file_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('SECRET_KEY = "t"\nPORT = 8080\n[DB]\nHOST = "h"\n')
    config = Config(tmp_path)
    assert config.from_file("config.toml", load=tomllib.load, text=False) is True
    assert config == {"SECRET_KEY": "t", "PORT": 8080, "DB": {"HOST": "h"}}


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_file("missing.json", load=json.load, silent=True) is False
    with pytest.raises(FileNotFoundError) as exc_info:
        config.from_file("missing.json", load=json.load)
    assert exc_info.value.strerror.startswith("Unable to load configuration file (")


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_STRING", "text")
    monkeypatch.setenv("TOCSIN_INT", "42")
    monkeypatch.setenv("TOCSIN_BOOL", "true")
    monkeypatch.setenv("TOCSIN_LIST", "[1, 2]")
    monkeypatch.setenv("TOCSIN_DB__HOST", "db.local")
    monkeypatch.setenv("TOCSIN_DB__PORT", "5432")
    monkeypatch.setenv("TOCSIN_A__B__C", "null")
    monkeypatch.setenv("OTHER_INT", "1")
    config = Config("/nonexistent")
    config["DB"] = {"NAME": "kept"}
    assert config.from_prefixed_env() is True
    assert config["STRING"] == "text"
    assert config["INT"] == 42
    assert config["BOOL"] is True
    assert config["LIST"] == [1, 2]
    assert config["DB"] == {"NAME": "kept", "HOST": "db.local", "PORT": 5432}
    assert config["A"] == {"B": {"C": None}}
    assert "OTHER_INT" not in config
    assert "INT" in config


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_PORT", "80")
    monkeypatch.setenv("TOCSIN_PORT", "1")
    config = Config("/nonexistent")
    config.from_prefixed_env("MYAPP", loads=lambda s: f"<{s}>")
    assert config == {"PORT": "<80>"}


@pytest.fixture
def prefixed_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No FLASK_, TOCSIN_ or MYAPP_ variable from the outer environment."""
    for key in list(os.environ):
        if key.startswith(("FLASK_", "TOCSIN_", "MYAPP_")):
            monkeypatch.delenv(key)
    return monkeypatch


def test_from_prefixed_env_default_loads_flask_then_tocsin(
    prefixed_env: pytest.MonkeyPatch,
) -> None:
    prefixed_env.setenv("FLASK_SECRET_KEY", "flask key")
    prefixed_env.setenv("FLASK_SHARED", "1")
    prefixed_env.setenv("TOCSIN_SHARED", "2")
    prefixed_env.setenv("FLASK_DB__HOST", "flask.db")
    prefixed_env.setenv("FLASK_DB__NAME", "flask")
    prefixed_env.setenv("TOCSIN_DB__NAME", "tocsin")
    prefixed_env.setenv("TOCSIN_ONLY", "[true]")
    config = Config("/nonexistent")
    assert config.from_prefixed_env() is True
    assert config == {
        "SECRET_KEY": "flask key",
        "SHARED": 2,  # TOCSIN_ wins
        "DB": {"HOST": "flask.db", "NAME": "tocsin"},
        "ONLY": [True],
    }


def test_from_prefixed_env_ported_flask_code(prefixed_env: pytest.MonkeyPatch) -> None:
    prefixed_env.setenv("FLASK_SECRET_KEY", "abc")
    app = Tocsin("prefixed_app", root_path="/nonexistent")
    app.config.from_prefixed_env()
    assert app.secret_key == "abc"


@pytest.mark.parametrize(
    ("prefix", "expected"), [("FLASK", {"A": "flask"}), ("TOCSIN", {"A": "tocsin"})]
)
def test_from_prefixed_env_explicit_prefix_alone(
    prefixed_env: pytest.MonkeyPatch, prefix: str, expected: dict[str, str]
) -> None:
    prefixed_env.setenv("FLASK_A", "flask")
    prefixed_env.setenv("TOCSIN_A", "tocsin")
    config = Config("/nonexistent")
    config.from_prefixed_env(prefix)
    assert config == expected


def test_from_envvar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "env_settings.py"
    path.write_text("SECRET_KEY = 'from envvar'\n")
    monkeypatch.setenv("TOCSIN_SETTINGS", os.fspath(path))
    config = Config("/nonexistent")
    assert config.from_envvar("TOCSIN_SETTINGS") is True
    assert config["SECRET_KEY"] == "from envvar"


def test_from_envvar_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_UNSET_SETTINGS", raising=False)
    config = Config("/nonexistent")
    assert config.from_envvar("TOCSIN_UNSET_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="'TOCSIN_UNSET_SETTINGS' is not set"):
        config.from_envvar("TOCSIN_UNSET_SETTINGS")


def test_from_envvar_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOCSIN_SETTINGS", os.fspath(tmp_path / "nope.py"))
    config = Config("/nonexistent")
    assert config.from_envvar("TOCSIN_SETTINGS", silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_envvar("TOCSIN_SETTINGS")


def test_get_namespace() -> None:
    config = Config("/nonexistent")
    config.from_mapping(
        IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/var/app/images", IMAGE_STORE_BASE_URL="u", OTHER=1
    )
    assert config.get_namespace("IMAGE_STORE_") == {
        "type": "fs",
        "path": "/var/app/images",
        "base_url": "u",
    }
    assert config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var/app/images",
        "BASE_URL": "u",
    }
    assert config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var/app/images",
        "image_store_base_url": "u",
    }


def test_config_repr() -> None:
    config = Config("/nonexistent", {"A": 1})
    assert repr(config) == "<Config {'A': 1}>"


@pytest.mark.parametrize("name", ["nopkg_xyz_missing.sub", "nopkg_xyz_missing.sub.deeper"])
def test_app_of_an_unimportable_package_uses_cwd(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flask

    monkeypatch.chdir(tmp_path)
    app = Tocsin(name)
    assert app.root_path == os.fspath(tmp_path)
    assert app.instance_path == os.fspath(tmp_path / "instance")
    assert flask.Flask(name).instance_path == app.instance_path


def test_instance_relative_config(tmp_path: Path) -> None:
    app = Tocsin(
        "instance_app",
        root_path=os.fspath(tmp_path),
        instance_path=os.fspath(tmp_path / "inst"),
        instance_relative_config=True,
    )
    assert app.config.root_path == os.fspath(tmp_path / "inst")
    with pytest.raises(ValueError, match="must be absolute"):
        Tocsin("instance_app", root_path="/nonexistent", instance_path="relative")


# -- setup methods refuse after the first request ---------------------------------------------


def _noop(*args: object) -> None:
    return None


@pytest.mark.parametrize(
    "register",
    [
        lambda app: app.route("/late")(lambda: "late"),
        lambda app: app.add_url_rule("/late", "late", lambda: "late"),
        lambda app: app.before_request(_noop),
        lambda app: app.after_request(_noop),
        lambda app: app.teardown_request(_noop),
        lambda app: app.teardown_appcontext(_noop),
        lambda app: app.errorhandler(404)(_noop),
        lambda app: app.url_value_preprocessor(_noop),
        lambda app: app.url_defaults(_noop),
        lambda app: app.before_first_request(_noop),
        lambda app: app.context_processor(_noop),
    ],
)
def test_setup_methods_refuse_after_first_request(
    app: Tocsin, client: TestClient, register: object
) -> None:
    app.route("/")(lambda: "ok")
    assert client.get("/").data == b"ok"
    with pytest.raises(AssertionError) as exc_info:
        register(app)  # type: ignore[operator]
    message = str(exc_info.value)
    assert message.startswith("The setup method '")
    assert "can no longer be called on the application" in message
    assert "already handled its first request" in message


def test_setup_method_name_in_message(app: Tocsin, client: TestClient) -> None:
    client.get("/missing")
    with pytest.raises(AssertionError, match="The setup method 'before_request' can no longer"):
        app.before_request(_noop)


@pytest.mark.parametrize("method", ["route", "get", "post", "put", "delete", "patch"])
def test_route_decorators_refuse_at_once(app: Tocsin, client: TestClient, method: str) -> None:
    client.get("/missing")
    with pytest.raises(AssertionError) as exc_info:
        getattr(app, method)("/late")  # before any function is given, as in Flask
    assert str(exc_info.value) == (
        f"The setup method '{method}' can no longer be called on the application. It has"
        " already handled its first request, any changes will not be applied consistently.\n"
        "Make sure all imports, decorators, functions, etc. needed to set up the application"
        " are done before running it."
    )


def test_config_changes_after_first_request_are_allowed(app: Tocsin, client: TestClient) -> None:
    client.get("/")
    app.config["CUSTOM"] = 1
    assert app.config["CUSTOM"] == 1


def test_open_instance_resource(tmp_path: Path) -> None:
    app = Tocsin("instance_app", instance_path=str(tmp_path))
    with app.open_instance_resource("notes.txt", "w") as f:
        f.write("né")
    with app.open_instance_resource("notes.txt") as f:
        assert f.read() == "né".encode()
    with app.open_instance_resource("notes.txt", "r") as f:
        assert f.read() == "né"
