"""Schedule policies (pure, no I/O): validation, occurrences and trigger decisions.

Policies are SchedulePolicy / NamespacedSchedulePolicy objects as dicts, as the Kubernetes API
returns them; datetimes are timezone-aware. Semantics: DESIGN.md, "Where we are deliberately
better than Stork", item 1; grammar, messages and defaults as Stork's.
"""

from stork.schedule.days import DAY_NAMES
from stork.schedule.defaults import DEFAULT_POLICIES
from stork.schedule.retain import RETAIN_DEFAULTS, get_retain
from stork.schedule.timeofday import KITCHEN_TIME_PATTERN, TimeOfDayError, parse_kitchen
from stork.schedule.trigger import (
    due_occurrence,
    next_trigger,
    occurrences_between,
    policy_zone,
    trigger_required,
)
from stork.schedule.validation import POLICY_TYPES, PolicyError, validate_policy
from stork.schedule.zones import SystemLocalZone

__all__ = [
    "DAY_NAMES",
    "DEFAULT_POLICIES",
    "KITCHEN_TIME_PATTERN",
    "POLICY_TYPES",
    "RETAIN_DEFAULTS",
    "PolicyError",
    "SystemLocalZone",
    "TimeOfDayError",
    "due_occurrence",
    "get_retain",
    "next_trigger",
    "occurrences_between",
    "parse_kitchen",
    "policy_zone",
    "trigger_required",
    "validate_policy",
]
