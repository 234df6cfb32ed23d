"""Running a command in a pod's container through the API server (``pods/exec``, WebSocket).

The API server speaks the ``channel.k8s.io`` protocols over a WebSocket: every binary frame
starts with one byte naming the stream (1 stdout, 2 stderr, 3 the final ``Status``). The
``Status`` says whether the command succeeded and, if not, its exit code.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx2
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

PROTOCOLS = [Subprotocol("v5.channel.k8s.io"), Subprotocol("v4.channel.k8s.io")]
STDOUT, STDERR, ERROR = 1, 2, 3
#: Output kept per stream; a rule command's output is only for error messages.
OUTPUT_LIMIT = 64 * 1024


class ExecError(Exception):
    """The command could not be run, or it failed; the message says why (no credentials)."""


@dataclass(frozen=True)
class ExecResult:
    """What a command printed (truncated to OUTPUT_LIMIT per stream)."""

    stdout: str
    stderr: str


def exec_path(namespace: str, pod: str, container: str, command: list[str]) -> str:
    """The ``pods/exec`` path and query for ``command`` (stdout and stderr, no stdin, no tty)."""
    query: list[tuple[str, str]] = [("command", part) for part in command]
    query += [("stdout", "true"), ("stderr", "true")]
    if container:
        query.append(("container", container))
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/exec?{urlencode(query)}"


def status_error(status: dict[str, Any]) -> str | None:
    """The failure a final ``Status`` reports (None for Success), with the exit code if any."""
    if status.get("status") == "Success":
        return None
    causes = (status.get("details") or {}).get("causes") or []
    code = next((c.get("message") for c in causes if c.get("reason") == "ExitCode"), None)
    message = str(status.get("message") or status.get("reason") or "command failed")
    return f"{message} (exit code {code})" if code is not None and code not in message else message


@dataclass(frozen=True)
class PodExec:
    """Runs commands in pods of one cluster, with the credentials of ``config``."""

    config: SingleConfig

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.config.cluster.server.startswith("https"):
            return None
        assert self.config.user is not None
        return client_adapter.verify_cluster(
            self.config.cluster, self.config.user, self.config.abs_file
        )

    def _headers(self) -> dict[str, str]:
        auth = client_adapter.user_auth(self.config.user)
        if auth is None:
            return {}
        request = next(auth.sync_auth_flow(httpx2.Request("GET", self.config.cluster.server)))
        value = request.headers.get("Authorization")
        return {"Authorization": value} if value else {}

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> ExecResult:
        """Run ``command``; raises ExecError when it cannot start, fails or times out.

        ``on_stdout`` sees each chunk of standard output as it arrives.
        """
        base = self.config.cluster.server.rstrip("/")
        url = "ws" + base[len("http") :] + exec_path(namespace, pod, container, command)
        try:
            async with asyncio.timeout(timeout):
                return await self._run(url, on_stdout)
        except TimeoutError as e:
            raise ExecError(f"timed out after {timeout:.0f}s") from e

    async def _run(self, url: str, on_stdout: Callable[[bytes], None] | None) -> ExecResult:
        out: dict[int, bytearray] = {STDOUT: bytearray(), STDERR: bytearray(), ERROR: bytearray()}
        try:
            async with connect(
                url,
                ssl=self._ssl(),
                additional_headers=self._headers(),
                subprotocols=PROTOCOLS,
                max_size=2**22,
                open_timeout=30,
            ) as ws:
                async for frame in ws:
                    data = frame.encode() if isinstance(frame, str) else frame
                    if data and data[0] == STDOUT and on_stdout is not None:
                        on_stdout(data[1:])
                    if data and data[0] in out and len(out[data[0]]) < OUTPUT_LIMIT:
                        out[data[0]] += data[1:]
        except InvalidStatus as e:
            raise ExecError(_refusal(e)) from e
        except (WebSocketException, OSError) as e:
            raise ExecError(f"exec connection failed: {e}") from e
        result = ExecResult(
            out[STDOUT][:OUTPUT_LIMIT].decode(errors="replace"),
            out[STDERR][:OUTPUT_LIMIT].decode(errors="replace"),
        )
        if out[ERROR]:
            try:
                status = json.loads(bytes(out[ERROR]))
            except ValueError:
                raise ExecError(out[ERROR].decode(errors="replace")) from None
            failure = status_error(status)
            if failure is not None:
                detail = result.stderr.strip().splitlines()[-1:] or [""]
                raise ExecError(f"{failure}: {detail[0]}" if detail[0] else failure)
        return result


def _refusal(e: InvalidStatus) -> str:
    """The API server's reason for refusing the exec (its Status message when it sent one)."""
    response = e.response
    try:
        message = json.loads(response.body or b"{}").get("message")
    except ValueError:
        message = None
    return str(message) if message else f"exec refused: HTTP {response.status_code}"
