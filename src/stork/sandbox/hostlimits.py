"""The host's inotify limit, raised while sandboxes with nodes run, and put back after.

Kubelets, containerd, controller-managers and apiservers all watch files with inotify, and the
kernel allows 128 inotify instances per user by default (``fs.inotify.max_user_instances``). A
few sandboxes with nodes, with other programs of root, exhaust it: a kubelet or containerd then
fails to start with "too many open files". So while a sandbox with nodes runs, the limit is at
least ``WANTED`` (what kind and minikube advise too); when the last of them goes, the value found
is put back, unless someone changed it meanwhile.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")
WANTED = 1024


def raise_limit(record: Path, limit: Path = LIMIT) -> bool:
    """Raise the limit to ``WANTED`` if lower, remembering the value found in ``record``
    (once); True when it was raised now."""
    current = int(limit.read_text())
    if current >= WANTED:
        return False
    if not record.exists():
        record.write_text(f"{current}\n")
    limit.write_text(f"{WANTED}\n")
    return True


def restore(record: Path, limit: Path = LIMIT) -> None:
    """Put back the value ``raise_limit`` found, if the limit is still the one it set."""
    with contextlib.suppress(FileNotFoundError):
        found = record.read_text().strip()
        if int(limit.read_text()) == WANTED:
            limit.write_text(f"{found}\n")
        record.unlink()
