"""An app with DevTools in debug mode, for tests/test_devtools_pages.py (a real server).

Its pages, an error and a JSON view give the requests list something to show;
its own namespace of signals gives the signals page receivers in priority order.
"""

from __future__ import annotations

import typing as t

from tocsin import Tocsin, abort
from tocsin.devtools import DevTools
from tocsin.signals import Namespace

PAGE = (
    '<!doctype html><html><head><link rel="icon" href="data:,"><title>{0}</title></head>'
    "<body><h1>{0}</h1></body></html>"
)

app = Tocsin(__name__)
app.config.update(DEBUG=True, SECRET_KEY="devtools pages")
DevTools(app)

events = Namespace()
order_placed = events.signal("order-placed", doc="Sent with order= after an order is stored.")


def audit(sender: t.Any, **extra: t.Any) -> None:
    """Called first (priority 10)."""


def mail(sender: t.Any, **extra: t.Any) -> None:
    """Called last (priority 0)."""


async def notify(sender: t.Any, **extra: t.Any) -> None:
    """Called second (priority 5), for any sender."""


order_placed.connect(mail, sender=app)
order_placed.connect(audit, sender=app, priority=10)
order_placed.connect(notify, priority=5)


@app.get("/")
async def index() -> str:
    await order_placed.send_async(app, order=1)
    return PAGE.format("Home")


@app.get("/notes/<int:n>")
def note(n: int) -> str:
    if n == 0:
        abort(404)
    return PAGE.format(f"Note {n}")


@app.get("/boom")
def boom() -> str:
    raise ValueError("the <b>disk</b> is full")


@app.get("/api/data")
def data() -> dict[str, int]:
    return {"n": 1}


@app.errorhandler(404)
def not_found(e: Exception) -> tuple[str, int]:
    return PAGE.format("Not found"), 404


@app.errorhandler(ValueError)
def failed(e: ValueError) -> tuple[str, int]:
    return PAGE.format("Failed"), 500
