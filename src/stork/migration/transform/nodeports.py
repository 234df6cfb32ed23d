"""NodePort clashes on the destination: the taken port is released, and said so (pure).

Node ports travel with their Services (whatever points at a node port of the source must find
it after a failover), but the destination may already use one, or serve another range. The API
server then refuses the Service with ``spec.ports[i].nodePort: Invalid value: N: provided port
is already allocated`` (or ``... is not in the valid range ...``), one port at a time. Stork's
rule (its restore path) is to clear the node ports and let the destination allocate them; here
only the refused port is cleared (on every port entry that asks for it) and the Service is
applied again; the ledger names each port that changed (:func:`describe_changes`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from stork.migration.transform._objects import Obj, get_path, group_kind

_REFUSED = re.compile(
    r"spec\.ports\[(\d+)\]\.nodePort: Invalid value: (\d+): provided port is "
    r"(?:already allocated|not in the valid range)"
)


def refused_node_ports(message: str) -> list[int]:
    """The node ports an API server's message says it cannot give (in order, no repeats)."""
    ports: list[int] = []
    for match in _REFUSED.finditer(message):
        port = int(match.group(2))
        if port not in ports:
            ports.append(port)
    return ports


def release_node_ports(obj: Mapping[str, Any], ports: Sequence[int]) -> Obj:
    """A Service without the given node ports (the destination then allocates others);
    other objects, and Services asking for none of them: a plain copy."""
    out = dict(obj)
    entries = get_path(obj, ("spec", "ports"))
    if group_kind(obj) != ("", "Service") or not isinstance(entries, list):
        return out
    released = [
        {k: v for k, v in p.items() if k != "nodePort"}
        if isinstance(p, Mapping) and p.get("nodePort") in ports
        else p
        for p in entries
    ]
    if released != entries:
        out["spec"] = {**obj["spec"], "ports": released}
    return out


def _label(entry: Mapping[str, Any]) -> str:
    name = entry.get("name")
    port = f"{entry.get('port')}/{entry.get('protocol') or 'TCP'}"
    return f"{port} ({name})" if name else port


def describe_changes(
    wanted: Mapping[str, Any], applied: Mapping[str, Any], released: Sequence[int]
) -> str:
    """``nodePort 30080 of port 80/TCP (http) is not available on the destination; it has
    31245`` for each released port, from the Service as wanted and as the destination keeps it."""
    wanted_ports = get_path(wanted, ("spec", "ports"))
    applied_ports = get_path(applied, ("spec", "ports"))
    if not isinstance(wanted_ports, list):
        return ""
    now = applied_ports if isinstance(applied_ports, list) else []
    parts = []
    for i, entry in enumerate(wanted_ports):
        if not isinstance(entry, Mapping) or entry.get("nodePort") not in released:
            continue
        got = now[i].get("nodePort") if i < len(now) and isinstance(now[i], Mapping) else None
        parts.append(
            f"nodePort {entry['nodePort']} of port {_label(entry)} is not available on the"
            f" destination; it has {got if got is not None else 'none'}"
        )
    return "; ".join(parts)
