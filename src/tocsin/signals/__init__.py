"""Signals: named events that any number of receivers can listen to.

``tocsin.signals`` is a standard-library-only signal library with the API
and semantics of blinker 1.9, plus deterministic order, async receivers,
error isolation and namespace-wide listeners. It needs no web code:

>>> from tocsin.signals import Namespace
>>> events = Namespace()
>>> saved = events.signal("saved", doc="Sent after a document is saved, with version=.")
>>> def reindex(sender, version):
...     return f"reindexed {sender} v{version}"
>>> def audit(sender, version):
...     return "audited"
>>> def notify(sender, version):
...     return "notified"
>>> _ = saved.connect(reindex)                  # for every sender
>>> _ = saved.connect(audit, sender="report")   # only when "report" is sent
>>> _ = saved.connect(notify, priority=10)      # before the others
>>> [value for _, value in saved.send("report", version=2)]
['notified', 'reindexed report v2', 'audited']
>>> [value for _, value in saved.send("memo", version=1)]
['notified', 'reindexed memo v1']

``await saved.send_async(...)`` also awaits ``async def`` receivers, and
``saved.send_robust(...)`` returns a raising receiver's exception as its
result instead of stopping.

Receivers are held weakly by default, as in blinker: pass ``weak=False`` (or
use :meth:`Signal.connect_via`, strong by default) for a lambda or a nested
function, or it will be collected at once; Tocsin warns when that happens
(:class:`DeadReceiverWarning`).

In a web application, the sender is the application, and the ten built-in
signals (``request_started``, ``template_rendered`` ...) live in their own
namespace, ``_signals``, as in Flask. Skip a send when nobody listens with
``if signal.receivers:``.

Differences from blinker are documented where they occur and collected in
``docs/signals.md``.
"""

from __future__ import annotations

from ._builtin import _signals as _signals
from ._builtin import appcontext_popped as appcontext_popped
from ._builtin import appcontext_pushed as appcontext_pushed
from ._builtin import appcontext_tearing_down as appcontext_tearing_down
from ._builtin import before_render_template as before_render_template
from ._builtin import got_request_exception as got_request_exception
from ._builtin import message_flashed as message_flashed
from ._builtin import request_finished as request_finished
from ._builtin import request_started as request_started
from ._builtin import request_tearing_down as request_tearing_down
from ._builtin import template_rendered as template_rendered
from ._listing import Connection as Connection
from ._listing import connections as connections
from ._listing import labelled_namespaces as labelled_namespaces
from ._namespace import Namespace as Namespace
from ._namespace import default_namespace as default_namespace
from ._namespace import signal as signal
from ._receivers import DeadReceiverWarning as DeadReceiverWarning
from ._signal import ANY as ANY
from ._signal import NamedSignal as NamedSignal
from ._signal import Signal as Signal
from ._signal import receiver_connected as receiver_connected
from ._signal import receiver_disconnected as receiver_disconnected
from ._testing import record as record
from ._testing import record_all as record_all

__all__ = [
    "ANY",
    "Connection",
    "DeadReceiverWarning",
    "NamedSignal",
    "Namespace",
    "Signal",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "connections",
    "default_namespace",
    "got_request_exception",
    "labelled_namespaces",
    "message_flashed",
    "receiver_connected",
    "receiver_disconnected",
    "record",
    "record_all",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "signal",
    "template_rendered",
]
