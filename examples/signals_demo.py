"""A tour of tocsin.signals: run ``python3 dev.py signals-demo``.

A tiny shop announces what happens to orders through signals; listeners
react without the shop knowing about them. Uses the standard library and
``tocsin.signals`` only.
"""

from __future__ import annotations

import asyncio
import textwrap
import typing as t
import warnings

from tocsin.signals import Namespace

shop = Namespace()
order_placed = shop.signal("order-placed", doc="Sent when an order is placed, with total=.")
order_shipped = shop.signal("order-shipped", doc="Sent when an order ships, with carrier=.")


class Customer:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


alice, bob = Customer("alice"), Customer("bob")


def section(title: str) -> None:
    print(f"\n== {title}")


# 1. Receivers run by priority, then in connection order.
@order_placed.connect_via()
def send_receipt(sender: Customer, total: float) -> str:
    print(f"  receipt: {sender} paid {total:.2f}")
    return "receipt sent"


@order_placed.connect_via(priority=10)
def check_fraud(sender: Customer, total: float) -> str:
    print(f"  fraud check first: {total:.2f} looks fine")
    return "ok"


# 2. A receiver for one sender only.
@order_placed.connect_via(bob)
def welcome_back(sender: Customer, total: float) -> str:
    print(f"  welcome back, {sender}!")
    return "welcomed"


def show(results: list[tuple[t.Callable[..., t.Any], t.Any]]) -> None:
    for receiver, value in results:
        name = getattr(receiver, "__name__", repr(receiver))
        print(f"  -> {name} returned {value!r}")


def main() -> None:
    section("send: priorities, then connection order")
    show(order_placed.send(alice, total=12.5))

    section("send for bob: his own receiver runs too")
    show(order_placed.send(bob, total=30.0))

    section("send_robust: a failing receiver does not stop the others")

    def flaky_warehouse(sender: Customer, carrier: str) -> str:
        raise ConnectionError("warehouse is offline")

    def notify(sender: Customer, carrier: str) -> str:
        print(f"  {sender}'s parcel left with {carrier}")
        return "notified"

    with order_shipped.connected_to(flaky_warehouse), order_shipped.connected_to(notify):
        show(order_shipped.send_robust(alice, carrier="post"))

    section("send_async: async receivers are awaited, sync ones called, in order")

    async def update_dashboard(sender: Customer, carrier: str) -> str:
        await asyncio.sleep(0.01)
        print(f"  dashboard updated for {sender}")
        return "updated"

    with order_shipped.connected_to(update_dashboard), order_shipped.connected_to(notify):
        print(f"  has_async_receivers: {order_shipped.has_async_receivers}")
        show(asyncio.run(order_shipped.send_async(bob, carrier="courier")))

    section("connect_all: one tracer hears every signal of the namespace")

    def trace(signal: t.Any, sender: t.Any, **kwargs: t.Any) -> None:
        print(f"  [trace] {signal.name} from {sender} {kwargs}")

    shop.connect_all(trace, priority=100)
    shop.signal("order-cancelled").send(alice, reason="changed mind")  # a new signal
    with order_placed.muted():
        order_placed.send(alice, total=1.0)  # muted: nobody hears this one
    order_shipped.send(alice, carrier="post")
    shop.disconnect_all(trace)

    section("the weak-reference trap")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        order_shipped.connect(lambda sender, **kw: print("  never printed"))  # weak: gone at once
    for line in textwrap.wrap(f"warning: {caught[0].message}", 76):
        print(f"  {line}")
    order_shipped.connect(lambda sender, **kw: print(f"  lambda heard {sender}"), weak=False)
    order_shipped.send(bob, carrier="bike")


if __name__ == "__main__":
    main()
