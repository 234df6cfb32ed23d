"""How an Action reads in ``storkctl get failover|failback|drill`` (pure): Stork's stage names
and its MORE INFO column, and the drill's report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stork.api.action import ActionStage, ActionStatus, ActionType

S = ActionStage

_COMMON = {
    S.INITIAL: "Validations",
    S.SCALE_DOWN_SOURCE: "Scale Down (on source)",
    S.SCALE_DOWN_DESTINATION: "Scale Down (on destination)",
    S.DRILL_COPY: "Copy to Drill Namespaces (on destination)",
    S.DRILL_WAIT: "Waiting for Apps to be Ready (in drill namespaces)",
    S.DRILL_TEARDOWN: "Tear Down (drill namespaces)",
    S.FINAL: "Completed",
}
_BY_TYPE = {
    ActionType.FAILOVER: {
        S.WAIT_AFTER_SCALE_DOWN: "Waiting for Apps to Scale Down (on source)",
        S.LAST_MILE_MIGRATION: "Last Mile Migration (from source -> destination)",
        S.SCALE_UP_SOURCE: "Rolling Back Scale Down (on source)",
        S.SCALE_UP_DESTINATION: "Scale Up (on destination)",
    },
    ActionType.FAILBACK: {
        S.WAIT_AFTER_SCALE_DOWN: "Waiting for Apps to Scale Down (on destination)",
        S.LAST_MILE_MIGRATION: "Last Mile Migration (from destination -> source)",
        S.SCALE_UP_SOURCE: "Scale Up (on source)",
        S.SCALE_UP_DESTINATION: "Rolling Back Scale Down (on destination)",
    },
}
SUMMARY_KEYS = {
    ActionType.FAILOVER: "failoverSummary",
    ActionType.FAILBACK: "failbackSummary",
    ActionType.DRILL: "drillSummary",
}


def pretty_stage(stage: str | None, action_type: str | None) -> str:
    """Stork's name of a stage (``prettyDRStageNames``); an unknown stage is shown as it is."""
    try:
        by_type = _BY_TYPE.get(ActionType(action_type or ""), {})
    except ValueError:
        by_type = {}
    names = {key.value: name for key, name in {**_COMMON, **by_type}.items()}
    value = stage or ""
    return names.get(value, value)


def _items(summary: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The summary's items, Stork's way: failover's if any, else failback's (ours: drill's)."""
    for key in ("failoverSummary", "failbackSummary", "drillSummary"):
        items = summary.get(key)
        if isinstance(items, list) and items:
            return [i for i in items if isinstance(i, Mapping)]
    return None


def more_info(action: Mapping[str, Any]) -> str:
    """The MORE INFO column: the reason, or the summary's counts (Stork's ``drActionPrinter``).

    Stork omits an Action whose summary has no items at all from the table; we show it, with
    its reason, since hiding an Action from ``get`` helps nobody.
    """
    status = action.get("status") or {}
    reason = str(status.get("reason") or "")
    summary = status.get("summary")
    if (action.get("spec") or {}).get("actionType") == ActionType.DRILL:
        return drill_info(status) or reason
    if not isinstance(summary, Mapping):
        return reason
    items = _items(summary)
    if items is None:
        return reason
    total = sum(
        len(summary.get(k) or [])
        for k in ("failoverSummary", "failbackSummary")
        if isinstance(summary.get(k), list)
    )
    statuses = [i.get("status") for i in items]
    rolled_back = statuses.count(ActionStatus.ROLLBACK_SUCCESSFUL.value)
    rollback_failed = statuses.count(ActionStatus.ROLLBACK_FAILED.value)
    if rolled_back or rollback_failed:
        text = f"Rolled back Apps in : {rolled_back}/{total} namespaces"
        return f"{text} ; {reason}" if reason else text
    successful = statuses.count(ActionStatus.SUCCESSFUL.value)
    return f"Scaled up Apps in : {successful}/{total} namespaces"


def drill_info(status: Mapping[str, Any]) -> str:
    """A drill's MORE INFO: how many workloads came up, then the reason when it failed."""
    drill = status.get("drill")
    workloads = drill.get("workloads") if isinstance(drill, Mapping) else None
    if not isinstance(workloads, list):
        return ""
    ready = sum(1 for w in workloads if isinstance(w, Mapping) and w.get("ready"))
    text = f"Ready workloads : {ready}/{len(workloads)}"
    if isinstance(drill, Mapping) and isinstance(drill.get("readySeconds"), int | float):
        text += f" in {drill['readySeconds']:.1f}s"
    reason = str(status.get("reason") or "")
    return f"{text} ; {reason}" if reason else text


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def drill_report(action: Mapping[str, Any], created: str = "", finished: str = "") -> str:
    """The printable report of a drill (``storkctl describe drill``): what an auditor asks
    for: what was rehearsed, when, how long the standby took to come up, what did not, and
    that nothing was left behind. ``created``/``finished`` are the times as printed."""
    meta = action.get("metadata") or {}
    spec = action.get("spec") or {}
    status = action.get("status") or {}
    params = (spec.get("actionParameter") or {}).get("drillParameter") or {}
    found = status.get("drill")
    drill: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    names = drill.get("namespaces")
    mapping: Mapping[str, Any] = names if isinstance(names, Mapping) else {}
    workloads = [w for w in drill.get("workloads") or [] if isinstance(w, Mapping)]
    ready = sum(1 for w in workloads if w.get("ready"))
    lines = [
        f"Drill:            {meta.get('name')}",
        f"Namespace:        {meta.get('namespace')}",
        f"Schedule:         {meta.get('namespace')}/{params.get('migrationScheduleReference')}",
        f"Created:          {created}",
        f"Finished:         {finished}",
        f"Stage:            {pretty_stage(status.get('stage'), ActionType.DRILL)}",
        f"Status:           {status.get('status') or ''}",
    ]
    if isinstance(drill.get("readySeconds"), int | float):
        lines.append(f"Ready after:      {drill['readySeconds']:.1f}s")
    lines.append(f"Workloads Ready:  {ready}/{len(workloads)}")
    lines.append("Namespaces:")
    lines += [f"  {standby} -> {copy}" for standby, copy in mapping.items()] or ["  (none yet)"]
    lines.append(f"Objects copied:   {drill.get('objects') or 0}")
    if workloads:
        width = max(len(f"{w.get('namespace')}/{w.get('kind')}/{w.get('name')}") for w in workloads)
        lines.append("Workloads:")
        for w in workloads:
            what = f"{w.get('namespace')}/{w.get('kind')}/{w.get('name')}"
            mark = "Ready" if w.get("ready") else "NOT READY"
            lines.append(f"  {what.ljust(width)}  {mark:<9}  {w.get('reason') or ''}")
    for title, key in (("Refused", "refused"), ("Changed or not copied", "notes")):
        items = [str(i) for i in drill.get(key) or []]
        if items:
            lines.append(f"{title}:")
            lines += [f"  - {i}" for i in items]
    if status.get("stage") == ActionStage.FINAL.value:
        torn = drill.get("tornDown")
        lines.append(
            f"Torn down:        {_yes_no(torn)}"
            + (
                ""
                if torn
                else f" (kept: `storkctl delete drill {meta.get('name')} -n "
                f"{meta.get('namespace')}` removes it)"
            )
        )
    lines.append("Source touched:   no (a drill reads the standby copy on this cluster only)")
    if status.get("reason"):
        lines.append(f"Reason:           {status['reason']}")
    return "\n".join(lines) + "\n"
