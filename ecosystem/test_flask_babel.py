"""Flask-Babel 4.0.0: gettext in views and templates, the locale selector, formats."""

from __future__ import annotations

import datetime
import pathlib
import typing as t

import flask
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_decimal,
    get_locale,
    gettext,
    lazy_gettext,
    ngettext,
    refresh,
)

MESSAGES = {
    "de": {"Hello": "Hallo", "Welcome, %(name)s!": "Willkommen, %(name)s!", "Menu": "Menü"},
    "fr": {"Hello": "Bonjour", "Welcome, %(name)s!": "Bienvenue, %(name)s !", "Menu": "Menu"},
}
#: French has three plural forms in the CLDR data Babel ships (one, many, other).
PLURALS = {
    "de": ("%(num)d Apfel", "%(num)d Äpfel"),
    "fr": ("%(num)d pomme", "%(num)d pommes", "%(num)d pommes"),
}

PAGE = (
    "{{ _('Hello') }} | {% trans name=who %}Welcome, {{ name }}!{% endtrans %}"
    " | {{ ngettext('%(num)d apple', '%(num)d apples', 3) }}"
    " | {{ 1234.5|decimalformat }} | {{ menu }}"
)


def write_translations(folder: pathlib.Path) -> None:
    """Compiled catalogs for de and fr, as `pybabel compile` would leave them."""
    for lang, messages in MESSAGES.items():
        catalog = Catalog(locale=lang)
        for source, translated in messages.items():
            catalog.add(source, translated)
        catalog.add(("%(num)d apple", "%(num)d apples"), PLURALS[lang])
        catalog.add("Welcome, %(name)s!", messages["Welcome, %(name)s!"])
        target = folder / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as out:
            write_mo(out, catalog)


def create_app(folder: pathlib.Path) -> tuple[flask.Flask, list[str]]:
    """An app with de and fr catalogs, the locale chosen by ?lang= or Accept-Language."""
    write_translations(folder)
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, BABEL_TRANSLATION_DIRECTORIES=str(folder))
    asked: list[str] = []

    def select_locale() -> str | None:
        asked.append(flask.request.path)
        return flask.request.args.get("lang") or flask.request.accept_languages.best_match(
            ["de", "fr", "en"]
        )

    Babel(app, locale_selector=select_locale)
    menu = lazy_gettext("Menu")

    @app.get("/")
    def index() -> str:
        return flask.render_template_string(PAGE, who="Ada", menu=menu)

    @app.get("/view")
    def view() -> str:
        return " | ".join(
            [
                str(get_locale()),
                gettext("Hello"),
                gettext("Welcome, %(name)s!", name="Bob"),
                ngettext("%(num)d apple", "%(num)d apples", 1),
                ngettext("%(num)d apple", "%(num)d apples", 2),
                str(menu),
                format_date(datetime.date(2024, 3, 1), "long"),
                format_decimal(1234.5),
            ]
        )

    @app.get("/switch")
    def switch() -> str:
        before = gettext("Hello")
        with force_locale("fr"):
            forced = gettext("Hello")
        flask.request.args = flask.request.args.copy()
        flask.request.args["lang"] = "fr"
        stale = gettext("Hello")
        refresh()
        return f"{before} {forced} {stale} {gettext('Hello')}"

    return app, asked


def test_gettext_in_views_follows_the_selected_locale(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, asked = create_app(tmp_path)
    client = make_client(app)
    assert client.get("/view?lang=de").text == (
        "de | Hallo | Willkommen, Bob! | 1 Apfel | 2 Äpfel | Menü | 1. März 2024 | 1.234,5"
    )
    assert client.get("/view?lang=fr").text == (
        "fr | Bonjour | Bienvenue, Bob ! | 1 pomme | 2 pommes | Menu | 1 mars 2024 | 1\u202f234,5"
    )
    # no catalog for en: the source strings
    assert client.get("/view?lang=en").text == (
        "en | Hello | Welcome, Bob! | 1 apple | 2 apples | Menu | March 1, 2024 | 1,234.5"
    )
    # the selector runs once per request, when a translation is first asked for
    assert asked == ["/view", "/view", "/view"]


def test_templates_translate_and_the_accept_language_header_picks(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, _ = create_app(tmp_path)
    client = make_client(app)
    german = client.get("/", headers={"Accept-Language": "fr;q=0.5, de"})
    assert german.text == "Hallo | Willkommen, Ada! | 3 Äpfel | 1.234,5 | Menü"
    french = client.get("/", headers={"Accept-Language": "fr"})
    assert french.text == "Bonjour | Bienvenue, Ada ! | 3 pommes | 1\u202f234,5 | Menu"
    assert client.get("/").text == "Hello | Welcome, Ada! | 3 apples | 1,234.5 | Menu"


def test_force_locale_and_refresh(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, _ = create_app(tmp_path)
    client = make_client(app)
    assert client.get("/switch?lang=de").text == "Hallo Bonjour Hallo Bonjour"


def test_outside_a_request_and_in_an_app_context(tmp_path: pathlib.Path) -> None:
    app, asked = create_app(tmp_path)
    assert get_locale() is None
    assert gettext("Hello") == "Hello"
    with app.test_request_context("/?lang=de"):
        assert (str(get_locale()), gettext("Hello")) == ("de", "Hallo")
        with force_locale("fr"):
            assert gettext("Hello") == "Bonjour"
        assert gettext("Hello") == "Hallo"
    assert asked == ["/"]
