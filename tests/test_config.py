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


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("", False)]
)
def test_debug_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("TOCSIN_DEBUG", value)
    app = Tocsin("debug_env_app", root_path="/nonexistent")
    assert app.debug is expected
    assert app.config["DEBUG"] is expected


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


def test_config_changes_after_first_request_are_allowed(app: Tocsin, client: TestClient) -> None:
    client.get("/")
    app.config["CUSTOM"] = 1
    assert app.config["CUSTOM"] == 1
