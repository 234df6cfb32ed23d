"""The report of a dry-run Migration, as ``storkctl create migration --dry-run`` prints it (pure).

A table like kubectl's (``NAMESPACE OBJECT ACTION DETAILS``, one line per object of
``status.resources``), a summary line counting each action, and with ``-o diff`` the unified
diffs of the updates, as ``kubectl diff`` prints them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stork.cli.table import format_table
from stork.migration.dryrun import Planned, details, planned

HEADERS = ("NAMESPACE", "OBJECT", "ACTION", "DETAILS")
#: ``create migration --dry-run -o ...``: table and diff (json, yaml: the Migration itself).
FORMATS = ("table", "diff", "json", "yaml")


def object_name(item: Mapping[str, Any]) -> str:
    """kubectl's name of an object: ``deployment.apps/web``, ``configmap/settings``."""
    kind = str(item.get("kind") or "").lower()
    group = str(item.get("group") or "")
    typed = kind if group in ("", "core") else f"{kind}.{group}"
    return f"{typed}/{item.get('name') or ''}"


def action(item: Mapping[str, Any]) -> str:
    """The action of one ``status.resources`` item (a failure not worded by the dry run, e.g.
    a kind the destination does not serve, is refused too)."""
    found = planned(str(item.get("reason") or ""))
    if found is not None:
        return found.value
    return Planned.REFUSED.value if item.get("status") == "Failed" else "?"


def _changed(diff: str) -> str:
    """``+3 -1 lines`` of a unified diff (its headers left out)."""
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return f"+{added} -{removed} lines" if added or removed else ""


def rows(resources: Iterable[Mapping[str, Any]]) -> list[list[str]]:
    """The table's rows, in the ledger's order."""
    out = []
    for item in resources:
        found = planned(str(item.get("reason") or ""))
        text = str(item.get("reason") or "")
        said = details(text) if found is not None else text
        changed = _changed(str(item.get("diff") or ""))
        out.append(
            [
                str(item.get("namespace") or ""),
                object_name(item),
                action(item),
                "; ".join(p for p in (changed, said) if p),
            ]
        )
    return out


def summary(name: str, resources: Sequence[Mapping[str, Any]], omitted: int = 0) -> str:
    """``Dry run of migration NAME: 2 create, 1 update; nothing was written on the ...``."""
    counted = Counter(action(i) for i in resources)
    order = [p.value for p in Planned] + sorted(set(counted) - {p.value for p in Planned})
    parts = ", ".join(f"{counted[a]} {a}" for a in order if counted[a])
    more = f" ({omitted} more not listed in status)" if omitted else ""
    return (
        f"Dry run of migration {name}: {parts or 'no resources'}{more};"
        " nothing was written on the destination"
    )


def table(resources: Sequence[Mapping[str, Any]]) -> str:
    """The report's table."""
    return format_table(HEADERS, rows(resources))


def diffs(resources: Iterable[Mapping[str, Any]]) -> str:
    """The unified diffs of the updates, one after the other (kubectl diff's output)."""
    return "".join(str(i.get("diff") or "") for i in resources if action(i) == Planned.UPDATE)
