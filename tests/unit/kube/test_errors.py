"""The error model: which failures are retried, for which methods, and how long to wait."""

from __future__ import annotations

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.kube.errors import (
    IDEMPOTENT_METHODS,
    Backoff,
    Disposition,
    error_disposition,
    is_retryable,
    retry_after_seconds,
    status_disposition,
)
from stork.kube.rest import RestError

METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "POST"]


@pytest.mark.parametrize("method", METHODS)
def test_429_is_retried_for_every_method(method: str) -> None:
    assert status_disposition(429, method) is Disposition.RETRY


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_only_for_idempotent_methods(status: int) -> None:
    assert status_disposition(status, "GET") is Disposition.RETRY
    assert status_disposition(status, "patch") is Disposition.RETRY
    assert status_disposition(status, "POST") is Disposition.FATAL


def test_409_is_a_conflict_and_other_4xx_are_final() -> None:
    assert status_disposition(409) is Disposition.CONFLICT
    for status in (400, 401, 403, 404, 405, 410, 422):
        assert status_disposition(status) is Disposition.FATAL, status


@given(st.integers(400, 599), st.sampled_from(METHODS))
def test_every_status_has_one_disposition(status: int, method: str) -> None:
    d = status_disposition(status, method)
    assert (d is Disposition.RETRY) == (
        status == 429 or (status >= 500 and method in IDEMPOTENT_METHODS)
    )


def test_connections_that_never_reached_the_server_are_retried_for_post() -> None:
    for error in (httpx2.ConnectError("refused"), httpx2.ConnectTimeout("slow")):
        assert error_disposition(error, "POST") is Disposition.RETRY


def test_lost_answers_are_retried_only_when_resending_is_safe() -> None:
    for error in (httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("reset")):
        assert error_disposition(error, "GET") is Disposition.RETRY
        assert error_disposition(error, "POST") is Disposition.FATAL


def test_api_errors_are_classified_by_their_status() -> None:
    assert is_retryable(RestError(503, "ServiceUnavailable", "conversion webhook down"))
    assert not is_retryable(RestError(403, "Forbidden", "no"))
    assert error_disposition(RestError(409, "Conflict", "stale")) is Disposition.CONFLICT
    request = httpx2.Request("GET", "https://127.0.0.1/api")
    answer = httpx2.Response(429, request=request)
    assert is_retryable(httpx2.HTTPStatusError("busy", request=request, response=answer))
    assert not is_retryable(ValueError("a bug, not the server"))


def test_retry_after_header() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert retry_after_seconds("-1") is None


def test_backoff_doubles_up_to_its_cap_and_a_server_hint_wins() -> None:
    b = Backoff(base=0.5, cap=4.0, cap_retry_after=30.0)
    assert [b.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert b.delay(1, retry_after=7.0) == 7.0
    assert b.delay(1, retry_after=3600.0) == 30.0
    assert b.delay(1, retry_after=0.0) == 0.1
