"""``tocsin routes``: the URL rules of the application."""

from __future__ import annotations

import click

from ._appgroup import _current_app, with_appcontext
from ._discovery import with_flask_envvars
from ._tables import _table

_ROUTE_SORTS = ("endpoint", "methods", "domain", "rule", "match")


@with_flask_envvars
@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(_ROUTE_SORTS),
    default="endpoint",
    show_default=True,
    help="Column to sort by. 'match' keeps the order in which the rules were"
    " registered (the URL map's order).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with their endpoints and methods.

    A Host (or Subdomain) column appears when a rule has one.
    """
    url_map = _current_app().url_map
    rules = list(url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    domains = [(rule.host if url_map.host_matching else rule.subdomain) or "" for rule in rules]
    rows = [
        (rule.endpoint, ", ".join(sorted((rule.methods or set()) - hidden)), domain, rule.rule)
        for rule, domain in zip(rules, domains, strict=True)
    ]
    if sort != "match":
        column = {"endpoint": 0, "methods": 1, "domain": 2, "rule": 3}[sort]
        rows.sort(key=lambda row: row[column])
    headers = ("Endpoint", "Methods", "Host" if url_map.host_matching else "Subdomain", "Rule")
    keep = [0, 1, 2, 3] if any(domains) else [0, 1, 3]
    table = _table([headers[i] for i in keep], [[row[i] for i in keep] for row in rows])
    click.echo("\n".join(table))
