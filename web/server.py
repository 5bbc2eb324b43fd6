"""Serving: the listening socket taken before anything is announced, and uvicorn with limits on slow clients.

`bind(settings)` fails with one readable line when the port is taken; `serve(app, sock, settings)` runs uvicorn on it.
"""

import asyncio
import errno
import socket

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.errors import SettingsError
from core.settings import Settings


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request isn't fully sent within `request_timeout_s`.

    uvicorn times out only idle keep-alive connections; a client that sends half its headers or body and
    stops would otherwise hold a connection (and a slot of `limit_concurrency`) forever.
    """

    request_timeout_s = 10.0  # set per server by `serve`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadline: asyncio.TimerHandle | None = None
        self.arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self.disarm()  # the request is in; answering may take as long as it takes (streams do)
        else:
            self.arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.disarm()  # idle between requests: uvicorn's own keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)

    def arm(self) -> None:
        if self.deadline is None:
            self.deadline = self.loop.call_later(self.request_timeout_s, self.too_slow)

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def too_slow(self) -> None:
        self.deadline = None
        if self.conn.their_state not in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED) and not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(self.timeout_body())
            self.transport.close()

    @staticmethod
    def timeout_body() -> bytes:
        body = b'{"detail": "The request took too long to arrive; please send it again."}'
        return (
            b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )


def bind(settings: Settings) -> socket.socket:
    """The listening socket, or SettingsError in one line when the address is taken or unusable."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SettingsError(
                f"Port {settings.port} on {settings.host} is already in use (another copy of the bot?): "
                f"stop that server, or choose another port with HAMSTRING_PORT={settings.port + 1}"
            ) from None
        raise SettingsError(
            f"Can't listen on {settings.host}:{settings.port} ({exc.strerror}): set HAMSTRING_HOST to an address of "
            "this machine (127.0.0.1 for this machine only) and HAMSTRING_PORT to a free port above 1023"
        ) from None
    sock.set_inheritable(True)
    return sock


def serve(app, sock: socket.socket, settings: Settings) -> None:
    """uvicorn on `sock`, with idle, slow-client and connection limits from settings."""
    protocol = type("Protocol", (DeadlineH11Protocol,), {"request_timeout_s": settings.request_timeout_s})
    config = uvicorn.Config(
        app,
        http=protocol,
        ws="none",  # Gradio 6 streams over server-sent events; nothing here speaks websockets
        log_level="warning",
        access_log=False,  # web/accesslog.py writes one line per request instead, without query strings
        # Forwarded headers are read by ProxyHeadersMiddleware from HAMSTRING_TRUSTED_PROXIES only; uvicorn
        # itself would trust them from 127.0.0.1, letting anything on the machine pick its own address.
        proxy_headers=False,
        timeout_keep_alive=settings.keep_alive_s,
        limit_concurrency=settings.max_connections,
        # Open page connections (Gradio keeps one per tab) must not hold a shutdown up for long.
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])
