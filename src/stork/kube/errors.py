"""What to do about a failed API call, decided in one place (pure).

Retryable, with capped back-off: 429 (any method: the server refused before doing anything),
5xx and answers lost in transit (idempotent methods only: a POST may have been carried out),
connections that never reached the server (any method). Conflicts (409) are for the caller to
resolve by reading again. Every other 4xx is final: asking again cannot change the answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import httpx2

#: Methods that are safe to send twice (a PATCH here is a server-side apply or a merge patch).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

#: Transport errors raised before the request reached the server: safe to resend for any method.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.ProxyError,
)


class ClusterUnreachableError(ConnectionError):
    """A cluster does not answer at all (the message names its server)."""


class Disposition(enum.Enum):
    """What a caller should do after a failed call."""

    RETRY = "retry"
    CONFLICT = "conflict"
    FATAL = "fatal"


def status_disposition(status: int, method: str = "GET") -> Disposition:
    """The disposition of an error answer ``status`` to a ``method`` request."""
    if status == 429:
        return Disposition.RETRY
    if status == 409:
        return Disposition.CONFLICT
    if status >= 500:
        return Disposition.RETRY if method.upper() in IDEMPOTENT_METHODS else Disposition.FATAL
    return Disposition.FATAL


def error_disposition(error: BaseException, method: str = "GET") -> Disposition:
    """The disposition of an exception raised by a call (transport or API error)."""
    if isinstance(error, _NOT_SENT):
        return Disposition.RETRY
    if isinstance(error, httpx2.TransportError):
        return Disposition.RETRY if method.upper() in IDEMPOTENT_METHODS else Disposition.FATAL
    status = _status_of(error)
    if status is not None:
        return status_disposition(status, method)
    return Disposition.FATAL


def is_retryable(error: BaseException, method: str = "GET") -> bool:
    """True when ``error`` is worth another try after a back-off."""
    return error_disposition(error, method) is Disposition.RETRY


def _status_of(error: BaseException) -> int | None:
    """The HTTP status of lightkube's ApiError, our RestError, or httpx2's HTTPStatusError."""
    if isinstance(error, httpx2.HTTPStatusError):
        return error.response.status_code
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return status
    code = getattr(status, "code", None)  # lightkube's ApiError carries a Status model
    return code if isinstance(code, int) else None


def retry_after_seconds(value: str | None) -> float | None:
    """The seconds of a ``Retry-After`` header (delta-seconds form), None when absent or bad."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


@dataclass(frozen=True)
class Backoff:
    """Capped exponential back-off: ``base * 2**(attempt-1)``, at most ``cap`` seconds.

    A server's ``Retry-After`` wins over the computed delay (still capped by ``cap_retry_after``,
    so that a hostile or broken server cannot park a client for hours).
    """

    base: float = 0.5
    cap: float = 10.0
    cap_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.1), self.cap_retry_after)
        return float(min(self.base * 2 ** max(attempt - 1, 0), self.cap))
