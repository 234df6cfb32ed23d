import sys
from dataclasses import replace
from pathlib import Path

from stork.sandbox.processes import ProcessRecord, is_running, spawn, terminate
from tests.waiting import wait_for

_SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_spawned_process_is_recognised_and_terminated(tmp_path: Path) -> None:
    proc, record = spawn("sleeper", _SLEEPER, tmp_path / "logs" / "sleeper.log")
    try:
        assert record.pid == proc.pid
        assert is_running(record)
        terminate([record], grace_seconds=5)
        assert proc.wait(timeout=5) is not None
        assert not is_running(record)
    finally:
        proc.kill()
    assert "starting sleeper" in (tmp_path / "logs" / "sleeper.log").read_text()


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    """A record whose start time differs from the live pid's is not ours: leave it alone."""
    proc, record = spawn("sleeper", _SLEEPER, tmp_path / "sleeper.log")
    try:
        impostor = replace(record, start_time=record.start_time + 1)
        assert not is_running(impostor)
        terminate([impostor], grace_seconds=1)
        assert proc.poll() is None
        assert is_running(record)
    finally:
        proc.kill()
        proc.wait()


def test_a_process_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(600)",
    ]
    log = tmp_path / "stubborn.log"
    proc, record = spawn("stubborn", stubborn, log)
    try:
        wait_for(lambda: "ready" in log.read_text(), 10, "the SIGTERM handler")
        terminate([record], grace_seconds=0.5)
        # terminate reaps its own children, so the status is gone from Popen; /proc tells.
        assert not is_running(record)
        assert not Path(f"/proc/{record.pid}").exists()
    finally:
        proc.kill()


def test_record_round_trips_through_json() -> None:
    record = ProcessRecord("etcd", 42, 1234, ("etcd", "--name=x"), "/tmp/etcd.log")
    assert ProcessRecord.from_json(record.to_json()) == record


def test_missing_pid_is_not_running() -> None:
    assert not is_running(ProcessRecord("x", 2**22 + 17, 1, ("x",), "x.log"))
