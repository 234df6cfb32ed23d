"""Mounts a node leaves below its directories: rootfs overlays, shm, pod volumes, netns files.

They are found in ``/proc/self/mountinfo`` by path prefix and unmounted deepest first, so that a
directory is never removed while something is mounted in it (``rm -r`` would go into a mount).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
from pathlib import Path

_MNT_DETACH = 2
_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (``\\040``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def mount_points(mountinfo: str) -> list[str]:
    """Every mount point listed in a mountinfo text, in order."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.append(_unescape(fields[4]))
    return points


def below(prefix: Path, mountinfo: str | None = None) -> list[str]:
    """Mount points at or below ``prefix``, deepest (and latest) first."""
    text = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
    root = str(prefix).rstrip("/")
    found = [p for p in mount_points(text) if p == root or p.startswith(root + "/")]
    # Later mounts may sit on earlier ones at the same path: the reversed order undoes them.
    order = {p: i for i, p in enumerate(found)}
    return sorted(set(found), key=lambda p: (p.count("/"), order[p]), reverse=True)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def unmount(path: str) -> None:
    """Unmount one mount point; lazily (detached) when it is busy. Raises OSError on failure."""
    libc = _libc()
    for flags in (0, _MNT_DETACH):
        if libc.umount2(path.encode(), flags) == 0:
            return
        err = ctypes.get_errno()
        if err == 22:  # EINVAL: not a mount point (any more)
            return
    raise OSError(err, f"cannot unmount {path}: {os.strerror(err)}")


def unmount_below(prefix: Path) -> list[str]:
    """Unmount everything at or below ``prefix``; returns the mount points still there."""
    for _ in range(5):  # a mount can be stacked on another at the same place
        points = below(prefix)
        if not points:
            return []
        for point in points:
            with contextlib.suppress(OSError):
                unmount(point)
    return below(prefix)
