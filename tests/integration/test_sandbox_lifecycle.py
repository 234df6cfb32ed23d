"""up / stop / start / crash recovery / down of a sandbox of its own (not the session's)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from stork.kube.config import make_client
from stork.sandbox import Sandbox
from stork.sandbox import cluster as cluster_module
from stork.sandbox.processes import is_running
from tests.waiting import wait_for


@pytest.fixture
def taken_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The first port the sandbox chooses is held by someone else until it tries to bind."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = int(blocker.getsockname()[1])
    handed_out = [port]
    real = cluster_module.free_port

    def first_one_taken() -> int:
        return handed_out.pop() if handed_out else real()

    monkeypatch.setattr(cluster_module, "free_port", first_one_taken)
    yield port
    blocker.close()


def _pids(sb: Sandbox) -> dict[str, list[int]]:
    state = sb._load()
    assert state is not None
    return {n: [p["pid"] for p in c["processes"]] for n, c in state["clusters"].items()}


def _ports(sb: Sandbox) -> set[int]:
    state = sb._load()
    assert state is not None
    return {port for c in state["clusters"].values() for port in c["ports"].values()}


def test_sandbox_lifecycle(tmp_path: Path, taken_port: int) -> None:
    lines: list[str] = []
    sb = Sandbox(tmp_path / "sb", log=lines.append)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        # up: the first chosen port was taken, so that component was retried on another.
        first = sb.up()
        assert not first.reused
        assert taken_port not in _ports(sb)
        logs = "".join(p.read_text() for p in (sb.dir / "logs").iterdir())
        assert "address already in use" in logs
        assert [s.health for s in sb.status() or []] == ["Ready", "Ready"]
        for name in ("source.kubeconfig", "destination.kubeconfig", "kubeconfig", "state.json"):
            assert (sb.dir / name).is_file()

        # up again: the running sandbox is reused, nothing restarted.
        pids = _pids(sb)
        again = sb.up()
        assert again.reused
        assert _pids(sb) == pids

        # stop/start one cluster: same URL and data, new processes; the other is untouched.
        dest = make_client(sb.kubeconfig("destination"))
        dest.create(
            ConfigMap(metadata=ObjectMeta(name="kept", namespace="default"), data={"a": "1"})
        )
        url_before = {s.name: s.url for s in sb.status() or []}
        sb.stop("destination")
        health = {s.name: s.health for s in sb.status() or []}
        assert health["source"] == "Ready"
        assert health["destination"].startswith("Stopped")
        sb.start("destination")
        assert {s.name: s.url for s in sb.status() or []} == url_before
        assert dest.get(ConfigMap, "kept", namespace="default").data == {"a": "1"}
        assert _pids(sb)["source"] == pids["source"]
        assert set(_pids(sb)["destination"]).isdisjoint(pids["destination"])

        # a crash (apiserver killed behind our back) is detected and cleaned by the next up.
        state = sb._load()
        assert state is not None
        apiserver = next(
            p
            for p in state["clusters"]["source"]["processes"]
            if p["component"] == "kube-apiserver"
        )
        os.kill(apiserver["pid"], signal.SIGKILL)
        wait_for(
            lambda: "kube-apiserver not running" in (sb.status() or [])[0].health, 10, "crash seen"
        )
        survivors = _pids(sb)
        lines.clear()
        recovered = sb.up()
        assert not recovered.reused
        assert any("not running" in line and "cleaning" in line for line in lines)
        assert all(not _alive(pid) for pids_ in survivors.values() for pid in pids_)
        dest = make_client(sb.kubeconfig("destination"))
        with pytest.raises(ApiError) as err:
            dest.get(ConfigMap, "kept", namespace="default")
        assert err.value.status.code == 404

        # down ends exactly our processes and nothing else.
        records = _records(sb)
        assert sb.down()
        assert not any(is_running(r) for r in records)
        assert bystander.poll() is None
        assert not (sb.dir / "state.json").exists()
        assert (sb.dir / "logs").is_dir()
        assert not sb.down()
    finally:
        sb.down()
        bystander.kill()
        bystander.wait()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def _records(sb: Sandbox) -> list:  # type: ignore[type-arg]
    from stork.sandbox.processes import ProcessRecord

    state = sb._load()
    assert state is not None
    return [ProcessRecord.from_json(p) for c in state["clusters"].values() for p in c["processes"]]
