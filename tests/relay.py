"""A loopback fault relay in front of a sandbox kube-apiserver, for integration tests.

``Relay`` listens on 127.0.0.1 (a free port) and relays TCP to the apiserver. Its mode can be
switched while clients are connected:

- ``passthrough()``: bytes are spliced both ways, untouched (TLS goes end to end).
- ``silent()``: nothing is forwarded any more, on existing connections and on new ones, which are
  still accepted and kept open. A connection silenced once stays dead after ``passthrough()``
  (the path's state was lost, as when a NAT or a load balancer forgets it): the client must
  notice by itself and connect again. Connections made after ``passthrough()`` work.
- ``delay(seconds)``: every chunk from the server is held ``seconds`` before it is forwarded.
- ``answer(status, ...)``: new connections are not relayed: the relay terminates TLS itself
  (a serving certificate for 127.0.0.1 signed by the sandbox cluster's CA) and answers each
  request with ``status``, the given headers (e.g. ``Retry-After``) and a Kubernetes ``Status``
  body, for ``count`` requests or ``duration`` seconds; then new connections pass through again.
  Each answer closes its connection, so that no keep-alive connection outlives the mode.

The relay runs its own event loop in a thread, so synchronous tests, asyncio tests and
subprocesses (through ``write_relay_kubeconfig``) can all use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stork.sandbox import Sandbox
from stork.sandbox.pki import PkiPaths

_CHUNK = 64 * 1024

#: The reason an apiserver puts in a Status for each code (k8s.io/apimachinery StatusReason).
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_body(code: int, message: str, retry_after: int | None = None) -> dict[str, Any]:
    """A ``meta/v1 Status`` as kube-apiserver writes it for an error ``code``."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": REASONS.get(code, "Unknown"),
        "code": code,
    }
    if retry_after is not None:
        body["details"] = {"retryAfterSeconds": retry_after}
    return body


@dataclass
class _Answer:
    """What the relay answers in ``answer`` mode, and for how long."""

    status: int
    headers: dict[str, str]
    body: bytes
    remaining: int | None
    until: float | None

    def take(self, now: float) -> bool:
        """Reserve one answer (False once the count or the duration is used up)."""
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        return True


@dataclass(eq=False)
class _Connection:
    """One accepted client connection; dead once a silence touched it."""

    epoch: int
    dead: bool = False
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


class Relay:
    """A TCP relay on 127.0.0.1 in front of ``upstream`` (host, port); see the module doc."""

    def __init__(self, upstream: tuple[str, int], pki: PkiPaths) -> None:
        self.upstream = upstream
        self._pki = pki
        self._lock = threading.Lock()
        self._silent = False
        self._epoch = 0
        self._delay = 0.0
        self._answer: _Answer | None = None
        #: Connections accepted, and requests answered in ``answer`` mode (for assertions).
        self.accepted = 0
        self.answered = 0
        self._connections: set[_Connection] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tls: ssl.SSLContext | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="stork-relay-")
        self.port = 0

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Relay:
        """Listen on a free loopback port (``port``) and start relaying."""
        self._tls = self._serving_context()
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        )
        self._server = future.result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()
        self._tmp.cleanup()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._close_connections()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self.port}"

    # -- modes -----------------------------------------------------------------------------

    def passthrough(self) -> None:
        """Relay new connections again (connections silenced before stay dead)."""
        with self._lock:
            self._silent, self._delay, self._answer = False, 0.0, None

    def silent(self) -> None:
        """Forward nothing on any connection, existing or new (they are kept open)."""
        with self._lock:
            self._silent, self._answer = True, None
            self._epoch += 1

    def delay(self, seconds: float) -> None:
        """Hold every chunk from the server ``seconds`` before forwarding it."""
        with self._lock:
            self._silent, self._delay, self._answer = False, seconds, None

    def answer(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        message: str = "injected by the test relay",
        body: dict[str, Any] | None = None,
        count: int | None = None,
        duration: float | None = None,
        close_existing: bool = False,
    ) -> None:
        """Answer new connections' requests with ``status`` for ``count`` requests or
        ``duration`` seconds (one of them), then pass through again.

        The body is ``body`` or a ``Status`` with ``message`` (and ``retryAfterSeconds`` when a
        ``Retry-After`` header is given), as the apiserver writes it. ``close_existing`` first
        closes every relayed connection (as a restarting apiserver does), so that clients'
        kept-alive connections meet the answers too.
        """
        if (count is None) == (duration is None):
            raise ValueError("give exactly one of count and duration")
        retry_after = (headers or {}).get("Retry-After")
        doc = body or status_body(
            status, message, int(retry_after) if retry_after is not None else None
        )
        with self._lock:
            self._silent = False
            self._answer = _Answer(
                status,
                dict(headers or {}),
                json.dumps(doc).encode(),
                count,
                None if duration is None else time.monotonic() + duration,
            )
        if close_existing:
            asyncio.run_coroutine_threadsafe(self._close_connections(), self._loop).result(10)

    async def _close_connections(self) -> None:
        for conn in list(self._connections):
            for writer in conn.writers:
                writer.close()

    # -- connections -----------------------------------------------------------------------

    def _dead(self, conn: _Connection) -> bool:
        with self._lock:
            if self._silent or conn.epoch != self._epoch:
                conn.dead = True
            return conn.dead

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.accepted += 1
            answer = self._answer
            if answer is not None and not answer.take(time.monotonic()):
                self._answer = answer = None  # used up: pass-through from now on
            conn = _Connection(self._epoch, dead=self._silent)
        conn.writers.append(writer)
        self._connections.add(conn)
        try:
            if answer is not None:
                await self._answer_one(reader, writer, answer)
            else:
                await self._splice(conn, reader, writer)
        finally:
            self._connections.discard(conn)
            for w in conn.writers:
                w.close()

    async def _splice(
        self, conn: _Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if conn.dead:  # accepted during a silence: never connected anywhere
            with contextlib.suppress(OSError):
                while await reader.read(_CHUNK):
                    pass
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            return
        conn.writers.append(up_writer)
        await asyncio.gather(
            self._pump(conn, reader, up_writer, from_server=False),
            self._pump(conn, up_reader, writer, from_server=True),
        )

    async def _pump(
        self,
        conn: _Connection,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        from_server: bool,
    ) -> None:
        try:
            while data := await source.read(_CHUNK):
                if self._dead(conn):
                    continue  # read and dropped: the other end never hears of it
                if from_server and self._delay > 0:
                    await asyncio.sleep(self._delay)
                    if self._dead(conn):
                        continue
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        # A dead path does not carry the server's close either: the client must time out.
        if not (from_server and self._dead(conn)):
            sink.close()

    async def _answer_one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: _Answer
    ) -> None:
        assert self._tls is not None
        try:
            async with asyncio.timeout(30):
                await writer.start_tls(self._tls)
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                await _drain_body(reader, head)
            reason = _phrase(answer.status)
            lines = [f"HTTP/1.1 {answer.status} {reason}", "Content-Type: application/json"]
            lines += [f"{k}: {v}" for k, v in answer.headers.items()]
            lines += [f"Content-Length: {len(answer.body)}", "Connection: close", "", ""]
            writer.write("\r\n".join(lines).encode("latin-1") + answer.body)
            await writer.drain()
            with self._lock:
                self.answered += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass

    def _serving_context(self) -> ssl.SSLContext:
        cert, key = serving_pair(self._pki, Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["http/1.1"])
        return context


async def _drain_body(reader: asyncio.StreamReader, head: str) -> None:
    """Read the request's body (so that closing the connection does not reset it)."""
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip() == "content-length" and value.strip().isdigit():
            await reader.readexactly(int(value.strip()))
            return
        if name.strip() == "transfer-encoding" and "chunked" in value:
            await reader.readuntil(b"0\r\n\r\n")
            return


def _phrase(status: int) -> str:
    with contextlib.suppress(ValueError):
        return HTTPStatus(status).phrase
    return ""


def serving_pair(pki: PkiPaths, directory: Path) -> tuple[Path, Path]:
    """A serving certificate and key for 127.0.0.1 signed by the cluster's CA, in ``directory``."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stork-test-relay")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.crt", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def relay_for(sandbox: Sandbox, cluster: str) -> Relay:
    """A relay (not started) in front of one running sandbox cluster's apiserver."""
    server = urlsplit(sandbox.credentials(cluster).server)
    assert server.hostname is not None
    assert server.port is not None
    return Relay((server.hostname, server.port), PkiPaths(sandbox.dir / cluster / "pki"))


def write_relay_kubeconfig(kubeconfig: Path, relay: Relay, path: Path) -> Path:
    """A copy of ``kubeconfig`` whose clusters point at ``relay`` (same credentials)."""
    data = yaml.safe_load(kubeconfig.read_text())
    for entry in data.get("clusters") or []:
        entry["cluster"]["server"] = relay.url
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path
