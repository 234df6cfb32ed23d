"""A minimal asyncio HTTP/1.1 server for ``/metrics``, ``/healthz`` and ``/readyz``.

GET only, one request per connection, no keep-alive: enough for Prometheus and kubelet probes,
and no web framework or second thread in the controller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Response = tuple[int, str, bytes]
"""(status code, content type, body)."""

Handler = Callable[[], Response]

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
_TEXT = "text/plain; charset=utf-8"


def parse_bind_address(address: str) -> tuple[str, int] | None:
    """``host:port`` (``:8080`` = every interface) as (host, port); None for ``0`` (disabled)."""
    if address in ("0", ""):
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"bind address {address!r} is not host:port, :port or 0")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - that is what ":port" means


def metrics_handler(registry: CollectorRegistry) -> Handler:
    """``/metrics`` in Prometheus' text format."""
    return lambda: (200, CONTENT_TYPE_LATEST, generate_latest(registry))


def check_handler(check: Callable[[], bool], what: str) -> Handler:
    """200 ``ok`` while ``check()`` holds, else 503 ``not <what>``."""

    def handle() -> Response:
        if check():
            return 200, _TEXT, b"ok\n"
        return 503, _TEXT, f"not {what}\n".encode()

    return handle


@dataclass
class HttpServer:
    """Serves fixed paths; ``start`` binds, ``close`` stops."""

    routes: Mapping[str, Handler]
    name: str
    _server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on (host, port); return the bound address (port 0 picks a free one)."""
        self._server = await asyncio.start_server(self._serve, host, port)
        bound = self._server.sockets[0].getsockname()
        log.info("%s server listening on %s:%d", self.name, bound[0], bound[1])
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                request = await reader.readline()
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # headers are not needed
            parts = request.decode("latin-1").split()
            status, ctype, body = self._answer(parts)
            head = (
                f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + (b"" if parts[:1] == ["HEAD"] else body))
            await writer.drain()
        except (TimeoutError, ConnectionError, IndexError):
            pass
        except Exception:
            log.exception("%s server: request failed", self.name)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _answer(self, parts: list[str]) -> Response:
        if len(parts) < 2:
            return 405, _TEXT, b"bad request\n"
        if parts[0] not in ("GET", "HEAD"):
            return 405, _TEXT, b"method not allowed\n"
        handler = self.routes.get(parts[1].split("?", 1)[0])
        if handler is None:
            return 404, _TEXT, b"not found\n"
        return handler()
