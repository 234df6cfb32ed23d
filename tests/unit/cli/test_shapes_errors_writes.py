"""Pure parts of storkctl: Go's JSON shape of Stork's objects, Go durations, the one-line
errors, and creates resent after a lost answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lightkube import ApiError
from lightkube.models.meta_v1 import ManagedFieldsEntry, ObjectMeta

from stork.cli import writes
from stork.cli.errors import api_error_line, exit_code_for
from stork.cli.formatting import go_duration
from stork.cli.goshape import MIGRATION_SCHEDULE, go_object, shaped

REQUEST = httpx2.Request("POST", "https://127.0.0.1:6443/apis/x")


def api_error(
    code: int, reason: str, message: str = "m", method: str = "GET", **details: Any
) -> ApiError:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    if details:
        body["details"] = details
    response = httpx2.Response(
        code, json=body, request=httpx2.Request(method, "https://127.0.0.1:6443/x")
    )
    return ApiError(request=response.request, response=response)


def test_go_shape_of_a_migration_schedule() -> None:
    shaped_obj = shaped(
        {"metadata": {"name": "s", "labels": {"b": "2", "a": "1"}}, "spec": {"suspend": True}},
        MIGRATION_SCHEDULE,
    )
    assert list(shaped_obj) == ["metadata", "spec", "status"]  # kind/apiVersion omitempty
    assert list(shaped_obj["metadata"]) == ["name", "creationTimestamp", "labels"]
    assert list(shaped_obj["metadata"]["labels"]) == ["a", "b"]  # maps sorted
    assert shaped_obj["spec"]["autoSuspend"] is False
    assert shaped_obj["spec"]["template"]["spec"]["clusterPair"] == ""
    assert shaped_obj["status"] == {"items": None, "applicationActivated": False}


def test_unknown_kinds_and_fields_are_kept() -> None:
    assert go_object({"kind": "Other", "b": 1, "a": {"d": 1, "c": 2}}) == {
        "a": {"c": 2, "d": 1},
        "b": 1,
        "kind": "Other",
    }
    obj = go_object(
        {
            "kind": "ClusterPair",
            "spec": {"configSecretRef": {"name": "s"}},
            "status": {"conditions": []},
        }
    )
    assert obj["spec"]["configSecretRef"] == {"name": "s"}
    assert list(obj["status"])[-1] == "conditions"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(0), "0s"),
        (dt.timedelta(minutes=5), "5m0s"),
        (dt.timedelta(hours=1, seconds=5), "1h0m5s"),
        (dt.timedelta(seconds=3, microseconds=946432), "3.946432s"),
        (dt.timedelta(microseconds=1500), "1.5ms"),
        (dt.timedelta(microseconds=7), "7µs"),
        (dt.timedelta(seconds=-90), "-1m30s"),
        (dt.timedelta.max, "2562047h47m16.854775807s"),  # Go's Duration saturates
    ],
)
def test_go_durations(delta: dt.timedelta, text: str) -> None:
    assert go_duration(delta) == text


@given(st.integers(min_value=1, max_value=10**6))
def test_whole_seconds_end_in_s_and_round_trip(seconds: int) -> None:
    text = go_duration(dt.timedelta(seconds=seconds))
    hours, _, rest = text.rpartition("h")
    minutes, _, secs = rest.rpartition("m")
    assert int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs.rstrip("s")) == seconds


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            api_error(404, "NotFound", 'x "a" not found'),
            'Error from server (NotFound): x "a" not found',
        ),
        (api_error(409, "AlreadyExists", "dup"), "Error from server (AlreadyExists): dup"),
        (
            api_error(401, "Unauthorized", "Unauthorized"),
            "error: You must be logged in to the server (Unauthorized)",
        ),
        (
            api_error(429, "TooManyRequests", "storage is (re)initializing"),
            "error: the server kept answering 429 TooManyRequests until storkctl gave up retrying: storage is (re)initializing",
        ),
        (
            api_error(503, "ServiceUnavailable", "down", method="POST"),
            "error: the server kept answering 503 ServiceUnavailable until storkctl gave up retrying: down",
        ),
        (
            api_error(
                422,
                "Invalid",
                "bad",
                kind="Migration",
                name="m",
                causes=[{"field": "spec.x", "message": "no"}],
            ),
            'The Migration "m" is invalid: spec.x: no',
        ),
    ],
)
def test_api_errors_as_kubectl(error: ApiError, line: str) -> None:
    assert api_error_line(error) == line


def test_every_failure_is_one_line_and_an_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    refused = httpx2.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    assert exit_code_for(refused) == 1
    assert capsys.readouterr().err == (
        "error: the connection to the server 127.0.0.1:6443 was refused until storkctl gave up "
        "retrying - did you specify the right host or port?\n"
    )
    assert exit_code_for(RuntimeError("boom")) == 1
    assert capsys.readouterr().err == "error: RuntimeError: boom\n"
    assert exit_code_for(KeyboardInterrupt()) == 130
    plain_404 = httpx2.HTTPStatusError(
        "404", request=REQUEST, response=httpx2.Response(404, request=REQUEST)
    )
    assert exit_code_for(plain_404) == 1
    assert (
        capsys.readouterr().err
        == "Error from server (NotFound): the server could not find the requested resource\n"
    )


class FakeClient:
    """Answers creates from a script; ``get`` finds what ``existing`` says."""

    def __init__(self, answers: list[BaseException | None], existing: Any = None) -> None:
        self.answers, self.existing, self.sent = answers, existing, 0

    def create(self, obj: Any) -> Any:
        self.sent += 1
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return obj

    def get(self, *_: Any, **__: Any) -> Any:
        if self.existing is None:
            raise api_error(404, "NotFound")
        return self.existing


class Obj:
    metadata = ObjectMeta(name="a", namespace="n")


def _ours(created: dt.datetime, manager: str = "stork") -> Any:
    meta = ObjectMeta(
        name="a",
        creationTimestamp=created,
        managedFields=[ManagedFieldsEntry(manager=manager, operation="Update")],
    )

    class Existing:
        metadata = meta

    return Existing()


def test_a_create_is_resent_after_a_503_and_a_lost_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORK_RETRY_SECONDS", "30")
    lost = httpx2.ReadError("connection reset", request=REQUEST)
    client = FakeClient([api_error(503, "ServiceUnavailable", method="POST"), lost, None])
    sleeps: list[float] = []
    assert writes.create_object(client, Obj(), sleep=sleeps.append) is not None  # type: ignore[arg-type]
    assert client.sent == 3
    assert sleeps == [0.5, 1.0]


def test_a_409_after_a_lost_answer_is_our_own_create(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORK_RETRY_SECONDS", "30")
    now = dt.datetime.now(dt.UTC)
    lost = httpx2.ReadError("reset", request=REQUEST)
    ours = FakeClient([lost, api_error(409, "AlreadyExists", method="POST")], existing=_ours(now))
    assert writes.create_object(ours, Obj(), sleep=lambda _: None) is None  # type: ignore[arg-type]
    someone_elses = FakeClient(
        [lost, api_error(409, "AlreadyExists", method="POST")],
        existing=_ours(now - dt.timedelta(hours=1)),
    )
    with pytest.raises(ApiError):
        writes.create_object(someone_elses, Obj(), sleep=lambda _: None)  # type: ignore[arg-type]
    first_try = FakeClient([api_error(409, "AlreadyExists", method="POST")], existing=_ours(now))
    with pytest.raises(ApiError):  # without an earlier failure a 409 is a 409
        writes.create_object(first_try, Obj(), sleep=lambda _: None)  # type: ignore[arg-type]


def test_resending_stops_at_the_deadline_and_never_for_a_4xx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORK_RETRY_SECONDS", "2")
    clock = iter(range(100)).__next__
    always = FakeClient([api_error(500, "InternalError", method="POST")] * 10)
    with pytest.raises(ApiError):
        writes.create_object(always, Obj(), sleep=lambda _: None, clock=lambda: float(clock()))  # type: ignore[arg-type]
    assert always.sent < 10
    invalid = FakeClient([api_error(422, "Invalid", method="POST")])
    with pytest.raises(ApiError):
        writes.create_object(invalid, Obj(), sleep=lambda _: None)  # type: ignore[arg-type]
    assert invalid.sent == 1


def test_no_traceback_from_stork_either() -> None:
    from stork.cli.stork_main import cli as stork

    result = CliRunner().invoke(stork, ["install", "--kubeconfig", "/nonexistent/kubeconfig"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
