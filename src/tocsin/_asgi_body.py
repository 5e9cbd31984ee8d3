"""The request body under ASGI: received only when something asks for it.

An ASGI server hands the body over as ``http.request`` messages, to be
awaited. Werkzeug's request object reads a file. Three ways bridge them,
chosen by the ASGI driver once the URL is matched:

* :class:`ReceiveStream`, for a request whose code runs in a worker thread
  (a sync view, a URL that matched no view): a file whose reads wait for
  the next message on the server's loop. Nothing is received until the
  request reads its body, so a body nobody reads costs nothing.
* :func:`spool_body`, for a request whose code runs on the loop (an
  ``async def`` view): there a read cannot wait, so the body is received
  before the first hook runs, in memory up to :data:`IN_MEMORY` bytes and
  in a temporary file beyond.
* :func:`body_chunks`, for a view marked with
  :func:`~tocsin.stream_request_body`: the chunks as they arrive.

A declared ``Content-Length`` over ``MAX_CONTENT_LENGTH`` is refused before
anything is received (so a client waiting on ``Expect: 100-continue`` gets
its 413 at once); a body that turns out longer is refused when the limit
is passed. A client that goes away before the end of its body raises
Werkzeug's ``ClientDisconnected`` (a 400), as a WSGI input stream does.
"""

from __future__ import annotations

import asyncio
import collections
import collections.abc as cabc
import io
import tempfile
import threading
import typing as t

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

if t.TYPE_CHECKING:
    from .typing import ASGIMessage, ASGIReceive, ASGIScope

__all__ = [
    "IN_MEMORY",
    "Inbox",
    "ReceiveStream",
    "Relay",
    "body_chunks",
    "declared_length",
    "spool_body",
]

#: How much of a body spooled for an ``async def`` view stays in memory (the
#: rest goes to a temporary file); Werkzeug spools uploaded files from the same size.
IN_MEMORY = 512 * 1024


def declared_length(scope: ASGIScope) -> int | None:
    """The request's ``Content-Length`` as a number; ``None`` if absent or not one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return None


async def body_chunks(
    receive: ASGIReceive, limit: int | None, length: int | None = None
) -> cabc.AsyncIterator[bytes]:
    """The request body as it arrives; more than *limit* bytes is a 413.

    A declared *length* over *limit* is refused before anything is received.
    """
    if length is not None and limit is not None and length > limit:
        raise RequestEntityTooLarge()
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise RequestEntityTooLarge()
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def spool_body(receive: ASGIReceive, length: int | None, limit: int | None) -> t.IO[bytes]:
    """The whole body, received now: in memory up to :data:`IN_MEMORY` bytes, then on disk.

    *length* is the declared ``Content-Length``; over *limit*, the 413 comes
    before anything is received. The caller closes the file.
    """
    chunks = body_chunks(receive, limit, length)
    if length is not None and length <= IN_MEMORY:
        return io.BytesIO(b"".join([chunk async for chunk in chunks]))
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115  # the caller closes it
    try:
        async for chunk in chunks:
            file.write(chunk)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return t.cast(t.IO[bytes], file)


class ReceiveStream(io.RawIOBase):
    """The body of a request served in a worker thread, received from the loop as it is read.

    Each read that needs more data waits, in its thread, for the next
    ``http.request`` message on *loop*. Before the thread hands a coroutine
    to the loop, it calls :meth:`prefetch`: code on the loop cannot wait for
    a read, so the rest of the body is received first (up to *limit*).
    """

    def __init__(
        self, receive: ASGIReceive, loop: asyncio.AbstractEventLoop, limit: int | None
    ) -> None:
        super().__init__()
        self._receive = receive
        self._loop = loop
        self._limit = limit
        self._chunk = b""
        self._pos = 0
        self._more = True
        self._rest: t.IO[bytes] | None = None  # the body prefetched for the loop
        self._error: Exception | None = None  # what prefetching it ran into
        self._relay: Relay | None = None  # once handed over to the disconnect watcher

    @property
    def waiting(self) -> bool:
        """Whether some of the body is still to be received."""
        return self._more

    def readable(self) -> bool:
        """Always true."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to *size* bytes (all that is left if *size* is negative); ``b""`` at the end."""
        if size is None or size < 0:
            return self.readall()
        if self._rest is not None:
            return self._read_rest(size)
        while self._pos == len(self._chunk) and self._more:
            self._next_message()
        start = self._pos
        self._pos = min(start + size, len(self._chunk))
        return self._chunk[start : self._pos]

    def readall(self) -> bytes:
        """All of the body that is left."""
        if self._rest is not None:
            return self._read_rest(-1)
        parts = [self._chunk[self._pos :]]
        while self._more:
            self._next_message()
            parts.append(self._chunk)
        self._pos = len(self._chunk)
        return b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed's Buffer is wider
        """Read into *buffer*; the number of bytes read, 0 at the end."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def prefetch(self) -> None:
        """Receive the rest of the body now: in memory up to :data:`IN_MEMORY`, then on disk.

        A disconnect or a body over the limit is raised by the read that reaches it.
        """
        rest = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115  # closed by close()
        rest.write(self._chunk[self._pos :])
        size = rest.tell()
        try:
            while self._more:
                self._next_message()
                size += len(self._chunk)
                if self._limit is not None and size > self._limit:
                    raise RequestEntityTooLarge()
                rest.write(self._chunk)
        except (ClientDisconnected, RequestEntityTooLarge) as e:
            self._more = False
            self._error = e
        rest.seek(0)
        self._rest = t.cast(t.IO[bytes], rest)
        self._chunk, self._pos = b"", 0

    def hand_over(self) -> Relay:
        """From now on, take the messages from the returned relay, not from ``receive``.

        For a streamed response: the driver's disconnect watcher is then the
        one caller of ``receive``, and passes the body on (ASGI allows one).
        """
        self._relay = Relay(self._loop)
        return self._relay

    def close(self) -> None:
        """Close the stream and drop what was prefetched."""
        if self._rest is not None:
            self._rest.close()
        super().close()

    def _read_rest(self, size: int) -> bytes:
        assert self._rest is not None
        data = self._rest.read(size)
        if self._error is not None and (not data or size < 0):
            error, self._error = self._error, None
            raise error
        return data

    def _next_message(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:  # not reached through the driver, which prefetches
            raise RuntimeError(
                "The body of this request is read in the worker thread that runs its sync"
                " code; a coroutine on the event loop cannot wait for it."
            )
        if self._relay is not None:
            message = self._relay.take()
        else:
            message = asyncio.run_coroutine_threadsafe(
                _received(self._receive), self._loop
            ).result()
        if message["type"] == "http.disconnect":
            self._more = False
            self._chunk, self._pos = b"", 0
            raise ClientDisconnected()
        self._chunk, self._pos = message.get("body", b""), 0
        self._more = bool(message.get("more_body", False))


def _ends_body(message: ASGIMessage) -> bool:
    """Whether no more of the body follows *message* (its last part, or a disconnect)."""
    return message["type"] != "http.request" or not message.get("more_body", False)


class _Handover:
    """The body's messages, passed on to its reads by the one task calling ``receive``.

    At most :data:`IN_MEMORY` bytes wait to be read: beyond, the task waits
    for the reads (:meth:`room`) before receiving more.
    """

    def __init__(self) -> None:
        self._held = 0
        self._taken = asyncio.Event()
        #: Whether more of the body is to come (as far as the putting side knows).
        self.more = True

    def put(self, message: ASGIMessage) -> None:
        """(On the loop.) Pass *message* on to the reads."""
        if _ends_body(message):
            self.more = False
        self._deliver(message, len(message.get("body", b"")))

    async def room(self) -> None:
        """(On the loop.) Wait until fewer than :data:`IN_MEMORY` bytes wait to be read."""
        self._taken.clear()
        if self._held >= IN_MEMORY:
            await self._taken.wait()

    def _deliver(self, message: ASGIMessage, size: int) -> None:
        raise NotImplementedError


class Relay(_Handover):
    """The messages of a :class:`ReceiveStream`, whose reads (in a worker thread) take them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._inbox: collections.deque[ASGIMessage] = collections.deque()
        self._ready = threading.Condition()

    def _deliver(self, message: ASGIMessage, size: int) -> None:
        with self._ready:  # (the count too: the thread takes from it)
            self._inbox.append(message)
            self._held += size
            self._ready.notify()

    def take(self) -> ASGIMessage:
        """(In the thread.) The next message, once it is put."""
        with self._ready:
            while not self._inbox:
                self._ready.wait()
            message = self._inbox.popleft()
            self._held -= len(message.get("body", b""))
        self._loop.call_soon_threadsafe(self._taken.set)
        return message


class Inbox(_Handover):
    """The body of a view marked with ``stream_request_body``, as chunks (``async for``).

    It calls ``receive`` itself until :meth:`hand_over`: while a response
    streams, the driver's disconnect watcher is the one caller of
    ``receive`` and puts the body's messages here.
    """

    def __init__(self, receive: ASGIReceive, limit: int | None, length: int | None) -> None:
        super().__init__()
        self._receive = receive
        self._queue: asyncio.Queue[ASGIMessage] | None = None
        self._chunks = body_chunks(self._next, limit, length)
        #: Whether the reads have reached the end of the body (or a disconnect).
        self.done = False

    def __aiter__(self) -> cabc.AsyncIterator[bytes]:
        return self._chunks

    def hand_over(self) -> Inbox:
        """From now on, take the messages that :meth:`put` is given."""
        self._queue = asyncio.Queue()
        return self

    def _deliver(self, message: ASGIMessage, size: int) -> None:
        assert self._queue is not None  # (handed over)
        self._queue.put_nowait(message)
        self._held += size

    async def _next(self) -> ASGIMessage:
        if self._queue is None:
            message = await self._receive()
        else:
            message = await self._queue.get()
            self._held -= len(message.get("body", b""))
            self._taken.set()
        if _ends_body(message):
            self.done = True
        return message


async def _received(receive: ASGIReceive) -> ASGIMessage:
    """The next message (``receive`` may return any awaitable; the loop needs a coroutine)."""
    return await receive()
