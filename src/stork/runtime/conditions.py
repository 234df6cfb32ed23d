"""metav1.Condition lists: set one, keeping lastTransitionTime while the status is unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stork.api.timestamps import format_time


def set_condition(
    conditions: list[dict[str, Any]],
    type_: str,
    ok: bool,
    reason: str,
    message: str,
    generation: int | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """A copy of ``conditions`` with ``type_`` set; other conditions are kept as they are."""
    status = "True" if ok else "False"
    previous = next((c for c in conditions if c.get("type") == type_), None)
    changed = previous is None or previous.get("status") != status
    stamp = format_time(now)
    condition: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": stamp if changed else previous["lastTransitionTime"],  # type: ignore[index]
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    return [c for c in conditions if c.get("type") != type_] + [condition]
