"""The cgroup root of a node's kubelet: made before it starts, emptied and removed at ``down``.

The kubelet (``cgroupRoot``, driver ``cgroupfs``) wants its root to exist beforehand in every
hierarchy. On cgroup v1 that means one directory per mounted hierarchy (and runc also makes the
pods' cgroups in the hybrid layout's cgroup2 mount, ``/sys/fs/cgroup/unified``, which must be
removed too); on cgroup v2 one directory in the unified tree, with the controllers enabled for
its children. Every process left in the tree at ``down`` is a container of that node.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")


def is_v2(fs: Path = CGROUP_FS) -> bool:
    """True on a host with the unified (v2) hierarchy only."""
    return (fs / "cgroup.controllers").is_file()


def v1_hierarchies(mountinfo: str, fs: Path = CGROUP_FS) -> list[Path]:
    """The cgroup v1 hierarchies mounted below ``fs`` (one per line of type ``cgroup``)."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        fstype = line.split(" - ", 1)[1].split()[0]
        mount = Path(fields[4])
        if fstype == "cgroup" and mount.parent == fs:
            found.append(mount)
    return sorted(found)


def _all_roots(name: str, fs: Path = CGROUP_FS) -> list[Path]:
    """Every place where the tree ``name`` may exist (v1 hierarchies and any cgroup2 mount)."""
    if is_v2(fs):
        return [fs / name]
    roots = [h / name for h in v1_hierarchies(Path("/proc/self/mountinfo").read_text(), fs)]
    if (fs / "unified" / "cgroup.procs").is_file():
        roots.append(fs / "unified" / name)
    return roots


def create(name: str, fs: Path = CGROUP_FS) -> None:
    """Make the cgroup root ``/<name>`` in every hierarchy the kubelet checks."""
    if is_v2(fs):
        root = fs / name
        root.mkdir(exist_ok=True)
        wanted = (fs / "cgroup.controllers").read_text().split()
        enabled = set((fs / "cgroup.subtree_control").read_text().split())
        control = " ".join(f"+{c}" for c in wanted if c in enabled)
        if control:
            (root / "cgroup.subtree_control").write_text(control)
        return
    for hierarchy in v1_hierarchies(Path("/proc/self/mountinfo").read_text(), fs):
        (hierarchy / name).mkdir(exist_ok=True)
        if (hierarchy / "cpuset.cpus").is_file():  # a new cpuset has no cpus or mems of its own
            for knob in ("cpuset.cpus", "cpuset.mems"):
                (hierarchy / name / knob).write_text((hierarchy / knob).read_text())


def _tree(root: Path) -> list[Path]:
    """Every cgroup directory in the tree at ``root``, deepest first (cgroups come and go
    while it is walked: a vanished one is skipped)."""
    found: list[Path] = []
    todo = [root]
    while todo:
        d = todo.pop()
        try:
            children = [e for e in os.scandir(d) if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        found.append(d)
        todo += [Path(e.path) for e in children]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def processes(name: str, fs: Path = CGROUP_FS) -> set[int]:
    """Every pid in the tree ``name``, in any hierarchy."""
    pids: set[int] = set()
    for root in _all_roots(name, fs):
        for d in _tree(root):
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(p) for p in (d / "cgroup.procs").read_text().split())
    return pids


def kill_all(name: str, timeout: float = 10.0, fs: Path = CGROUP_FS) -> set[int]:
    """SIGKILL every process in the tree until it is empty; returns the pids that stayed."""
    deadline = time.monotonic() + timeout
    while pids := processes(name, fs):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return pids
        time.sleep(0.05)
    return set()


def remove(name: str, timeout: float = 10.0, fs: Path = CGROUP_FS) -> list[Path]:
    """Remove the tree ``name`` everywhere, deepest first; returns what could not be removed.

    A pod's cgroup may stay busy for a moment after its last process died, so removal is
    tried again until ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for root in _all_roots(name, fs):
            for d in _tree(root):  # the root last
                with contextlib.suppress(OSError):
                    d.rmdir()
            if root.is_dir():
                left.append(root)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def exists(name: str, fs: Path = CGROUP_FS) -> list[Path]:
    """Where the tree ``name`` still exists."""
    return [r for r in _all_roots(name, fs) if r.is_dir()]
