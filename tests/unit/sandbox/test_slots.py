"""Slots: every host name and address of a sandbox's nodes is derived from its slot, and a
slot is only given to one live sandbox at a time."""

import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.sandbox.slots import (
    MAX_SLOTS,
    NODE_INDEX,
    SlotError,
    SlotRegistry,
    node_network,
    slot_bridges,
)


def test_slot_zero_is_the_reference_layout() -> None:
    src, dst = node_network(0, "source"), node_network(0, "destination")
    assert (src.node_ip, src.pod_cidr, src.gateway, src.bridge) == (
        "127.0.0.2",
        "10.244.1.0/24",
        "10.244.1.1",
        "stork0-src",
    )
    assert (dst.node_ip, dst.pod_cidr, dst.bridge) == ("127.0.0.3", "10.244.2.0/24", "stork0-dst")


@given(st.integers(0, MAX_SLOTS - 1), st.integers(0, MAX_SLOTS - 1))
def test_two_slots_share_nothing(a: int, b: int) -> None:
    nets = {(s, c): node_network(s, c) for s in {a, b} for c in NODE_INDEX}
    assert len({n.node_ip for n in nets.values()}) == len(nets)
    assert len({n.bridge for n in nets.values()}) == len(nets)
    cidrs = [ipaddress.ip_network(n.pod_cidr) for n in nets.values()]
    assert not any(x.overlaps(y) for i, x in enumerate(cidrs) for y in cidrs[i + 1 :])
    for n in nets.values():
        assert ipaddress.ip_address(n.node_ip).is_loopback
        assert ipaddress.ip_address(n.gateway) in ipaddress.ip_network(n.pod_cidr)
        assert len(n.bridge) <= 15  # IFNAMSIZ - 1


def test_out_of_range_slots_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        node_network(MAX_SLOTS, "source")


def _registry(root: Path, claims: dict[str, int], bridges: set[str] | None = None) -> SlotRegistry:
    return SlotRegistry(
        root,
        claimed_by=lambda d, s: claims.get(str(d)) == s,
        bridge_exists=lambda b: b in (bridges or set()),
    )


def test_claims_take_the_lowest_free_slot_and_release_gives_it_back(tmp_path: Path) -> None:
    claims: dict[str, int] = {}
    reg = _registry(tmp_path, claims)
    a = reg.claim(Path("/sb/a"), "aaaa")
    claims["/sb/a"] = a
    b = reg.claim(Path("/sb/b"), "bbbb")
    claims["/sb/b"] = b
    assert (a, b) == (0, 1)
    assert json.loads((tmp_path / "slots" / "1").read_text()) == {"dir": "/sb/b", "id": "bbbb"}
    # the same sandbox claiming again (a restart after a crash) gets its slot back
    assert reg.claim(Path("/sb/a"), "aaaa") == 0
    reg.release(Path("/sb/b"), 0)  # not b's: nothing happens
    assert (tmp_path / "slots" / "0").exists()
    reg.release(Path("/sb/a"), 0)
    del claims["/sb/a"]
    assert reg.claim(Path("/sb/c"), "cccc") == 0


def test_a_stale_claim_is_taken_over_unless_its_bridges_remain(tmp_path: Path) -> None:
    reg = _registry(tmp_path, {})
    assert reg.claim(Path("/sb/gone"), "gone") == 0  # its sandbox never records it
    leftover = _registry(tmp_path, {}, bridges=set(slot_bridges(0)))
    assert leftover.claim(Path("/sb/new"), "new1") == 1
    assert _registry(tmp_path, {}).claim(Path("/sb/other"), "othr") == 0


def test_no_free_slot_says_what_to_do(tmp_path: Path) -> None:
    reg = _registry(tmp_path, {}, bridges={b for s in range(MAX_SLOTS) for b in slot_bridges(s)})
    with pytest.raises(SlotError, match="stork sandbox down"):
        reg.claim(Path("/sb/x"), "xxxx")
