"""Running a command in a pod's container through the API server (``pods/exec``).

lightkube's own ``exec`` speaks the ``channel.k8s.io`` WebSocket protocols on the cluster's one
client (``kube.stack``: same credentials, rate limiter and request metrics; an upgrade is never
retried by the transport). Both output streams are kept up to ``OUTPUT_LIMIT`` bytes, only for
error messages. The final ``Status`` says whether the command
succeeded and, if not, its exit code.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx2
from httpx2.websockets import HTTPXWSException, WebSocketUpgradeError
from lightkube import ApiError, AsyncClient

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: Output kept per stream; a rule command's output is only for error messages.
OUTPUT_LIMIT = 64 * 1024


class ExecError(Exception):
    """The command could not be run, or it failed; the message says why (no credentials)."""


@dataclass(frozen=True)
class ExecResult:
    """What a command printed (truncated to OUTPUT_LIMIT per stream)."""

    stdout: str
    stderr: str


def status_error(status: dict[str, Any]) -> str | None:
    """The failure a final ``Status`` reports (None for Success), with the exit code if any."""
    if status.get("status") == "Success":
        return None
    causes = (status.get("details") or {}).get("causes") or []
    code = next((c.get("message") for c in causes if c.get("reason") == "ExitCode"), None)
    message = str(status.get("message") or status.get("reason") or "command failed")
    return f"{message} (exit code {code})" if code is not None and code not in message else message


class OutputSink(io.BytesIO):
    """A stream lightkube writes one output channel to: keeps the first ``limit`` bytes."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        super().__init__()
        self._limit = limit

    def write(self, chunk: ReadableBuffer, /) -> int:
        """Take one chunk (the part beyond the limit is dropped)."""
        data = bytes(chunk)
        room = self._limit - self.tell()
        if room > 0:
            super().write(data[:room])
        return len(data)

    def text(self) -> str:
        """What was kept, decoded (invalid UTF-8 replaced)."""
        return self.getvalue().decode(errors="replace")


@dataclass(frozen=True)
class PodExec:
    """Runs commands in pods of the cluster of ``client``."""

    client: AsyncClient

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
    ) -> ExecResult:
        """Run ``command``; raises ExecError when it cannot start, fails or times out."""
        stdout, stderr = OutputSink(), OutputSink()
        try:
            async with asyncio.timeout(timeout):
                await self.client.exec(
                    pod,
                    namespace=namespace,
                    container=container or None,
                    command=command,
                    stdout=stdout,
                    stderr=stderr,
                    decode=None,
                    raise_on_error=True,
                )
        except TimeoutError as e:
            raise ExecError(f"timed out after {timeout:.0f}s") from e
        except ApiError as e:  # the final Status: a failure, or the command's exit code
            failure = status_error(e.status.to_dict()) or "command failed"
            detail = stderr.text().strip().splitlines()[-1:] or [""]
            raise ExecError(f"{failure}: {detail[0]}" if detail[0] else failure) from e
        except WebSocketUpgradeError as e:
            raise ExecError(refusal(e.response)) from e
        except (httpx2.HTTPError, HTTPXWSException, OSError) as e:
            raise ExecError(f"exec connection failed: {type(e).__name__}: {e}") from e
        return ExecResult(stdout.text(), stderr.text())


def refusal(response: httpx2.Response) -> str:
    """The API server's reason for refusing the exec (its Status message when it sent one)."""
    try:
        message = json.loads(response.content or b"{}").get("message")
    except (ValueError, httpx2.ResponseNotRead):
        message = None
    return str(message) if message else f"exec refused: HTTP {response.status_code}"
