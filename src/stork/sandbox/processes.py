"""Start, identify and stop the sandbox's own processes, by pid, safely.

A recorded process is ours only if its pid is alive, is not a zombie, and its start time (from
/proc) equals the one recorded when we started it: a pid reused by another program is never
signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ProcessRecord:
    """One started process: enough to recognise it later and to start it again."""

    component: str
    pid: int
    start_time: int
    argv: tuple[str, ...]
    log: str

    def to_json(self) -> dict[str, Any]:
        """The record as stored in state.json."""
        return {
            "component": self.component,
            "pid": self.pid,
            "startTime": self.start_time,
            "argv": list(self.argv),
            "log": self.log,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessRecord:
        """Read a record written by to_json."""
        return cls(
            component=str(data["component"]),
            pid=int(data["pid"]),
            start_time=int(data["startTime"]),
            argv=tuple(str(a) for a in data["argv"]),
            log=str(data["log"]),
        )


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; it ends at the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def process_start_time(pid: int) -> int | None:
    """The start time of a pid in clock ticks since boot, or None if it does not exist."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_running(record: ProcessRecord) -> bool:
    """True when the recorded process is alive, not a zombie, and is the one we started."""
    fields = _stat_fields(record.pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return int(fields[19]) == record.start_time


def spawn(
    component: str, argv: list[str], log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], ProcessRecord]:
    """Start a process detached from our session, its output appended to ``log``; ``env``,
    when given, is its whole environment."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {component}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
    start = process_start_time(proc.pid)
    # A process that died at once has no /proc entry left to read; 0 never matches a live one.
    return proc, ProcessRecord(component, proc.pid, start or 0, tuple(argv), str(log))


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child (no-op otherwise)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def terminate(records: list[ProcessRecord], grace_seconds: float = 20.0) -> None:
    """SIGTERM every recorded process that is still ours, then SIGKILL what outlives the grace.

    Processes are signalled in the given order, and each is waited for before the next, so
    that callers can stop a controller-manager before its apiserver and that before etcd.
    """
    for record in records:
        if not is_running(record):
            _reap(record.pid)
            continue
        try:
            os.kill(record.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            _reap(record.pid)
            if not is_running(record):
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)
            while is_running(record):
                _reap(record.pid)
                time.sleep(0.05)
        _reap(record.pid)
