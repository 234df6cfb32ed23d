"""Host addresses and names of a sandbox's nodes, one *slot* per sandbox with nodes.

Several sandboxes with nodes may run on one machine at once (other worktrees, the test
session's). Everything a node puts on the host is therefore derived from the slot its sandbox
holds, so two never clash: the nodes' loopback addresses (a node is named by its address), the
pod networks, the bridges. Slots are claimed in a registry under ``/run/stork-sandbox/slots``
(one file per slot, naming the sandbox directory), under a lock; a claim whose sandbox no
longer records it is stale and is taken over, unless that slot's bridges still exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from stork.sandbox.errors import SandboxError
from stork.sandbox.locking import exclusive

#: Where the registry lives (root only: nodes need root anyway).
RUN_ROOT = Path("/run/stork-sandbox")
#: 10.244.0.0/16 holds two /24 pod networks per slot.
MAX_SLOTS = 64
#: Index of each cluster's node inside a slot, and the short name in its bridge's name.
NODE_INDEX = {"source": 0, "destination": 1}
_BRIDGE_SUFFIX = {"source": "src", "destination": "dst"}


class SlotError(SandboxError):
    """No slot is free, or the registry cannot be used."""


@dataclass(frozen=True)
class NodeNetwork:
    """Where one cluster's node lives on the host."""

    slot: int
    cluster: str
    #: the kubelet's address on loopback, also the Node's name
    node_ip: str
    #: the pods' /24, its first address is on the bridge (the pods' gateway to the host)
    pod_cidr: str
    gateway: str
    bridge: str


def node_network(slot: int, cluster: str) -> NodeNetwork:
    """The addresses and bridge of ``cluster``'s node in ``slot`` (pure)."""
    if not 0 <= slot < MAX_SLOTS:
        raise ValueError(f"slot {slot} out of range 0..{MAX_SLOTS - 1}")
    index = NODE_INDEX[cluster]
    third = 2 * slot + index + 1
    return NodeNetwork(
        slot=slot,
        cluster=cluster,
        node_ip=f"127.0.{slot}.{2 + index}",
        pod_cidr=f"10.244.{third}.0/24",
        gateway=f"10.244.{third}.1",
        bridge=f"stork{slot}-{_BRIDGE_SUFFIX[cluster]}",
    )


def slot_bridges(slot: int) -> list[str]:
    """The bridges of both nodes of a slot."""
    return [node_network(slot, c).bridge for c in NODE_INDEX]


@dataclass(frozen=True)
class SlotRegistry:
    """The claims of slots, one file each: ``<root>/slots/<n>`` = ``{"dir": ..., "id": ...}``.

    ``claimed_by`` tells whether the sandbox in a directory still records a slot (its
    state.json); ``bridge_exists`` whether a host bridge exists. Both are parameters so that
    the choice is testable without root.
    """

    root: Path
    claimed_by: Callable[[Path, int], bool]
    bridge_exists: Callable[[str], bool]

    @property
    def _slots(self) -> Path:
        return self.root / "slots"

    def _locked(self) -> AbstractContextManager[None]:
        self._slots.mkdir(parents=True, exist_ok=True, mode=0o700)
        return exclusive(self.root / "slots.lock")

    def _holder(self, slot: int) -> dict[str, str] | None:
        try:
            data = json.loads((self._slots / str(slot)).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"dir": "", "id": ""}  # unreadable: never taken over
        return {"dir": str(data.get("dir", "")), "id": str(data.get("id", ""))}

    def _free(self, slot: int, directory: Path) -> bool:
        holder = self._holder(slot)
        if holder is not None:
            if holder["dir"] == str(directory):
                return True  # our own claim, from an earlier run
            if not holder["dir"] or self.claimed_by(Path(holder["dir"]), slot):
                return False
        # Unclaimed or stale: free unless something of it is still on the host.
        return not any(self.bridge_exists(b) for b in slot_bridges(slot))

    def claim(self, directory: Path, sandbox_id: str) -> int:
        """Claim the lowest free slot for the sandbox in ``directory``."""
        with self._locked():
            for slot in range(MAX_SLOTS):
                if self._free(slot, directory):
                    tmp = self._slots / f".{slot}.tmp"
                    tmp.write_text(json.dumps({"dir": str(directory), "id": sandbox_id}))
                    tmp.replace(self._slots / str(slot))
                    return slot
        raise SlotError(
            f"all {MAX_SLOTS} node slots are taken by other sandboxes with nodes "
            f"(see {self._slots}); stop one with `stork sandbox down --dir DIR`"
        )

    def claims(self) -> list[int]:
        """The slots claimed now (stale claims included)."""
        if not self._slots.is_dir():
            return []
        return sorted(int(p.name) for p in self._slots.iterdir() if p.name.isdigit())

    def release(self, directory: Path, slot: int) -> None:
        """Give a slot back, if ``directory`` holds it."""
        with self._locked():
            holder = self._holder(slot)
            if holder is not None and holder["dir"] == str(directory):
                (self._slots / str(slot)).unlink(missing_ok=True)


def bridge_exists(name: str) -> bool:
    """True when a network interface of that name exists on the host."""
    return Path(f"/sys/class/net/{name}").exists()
