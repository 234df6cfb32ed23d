"""Schedule policies (pure, no I/O): validation, occurrences and trigger decisions.

Policy objects are dicts as the API returns them; datetimes are timezone-aware.
"""

from stork.schedule.days import DAY_NAMES
from stork.schedule.defaults import DEFAULT_POLICIES
from stork.schedule.policy import POLICY_TYPES, PolicyError, get_retain, validate_policy
from stork.schedule.timeofday import KITCHEN_TIME_PATTERN, parse_kitchen
from stork.schedule.trigger import next_trigger, trigger_required

__all__ = [
    "DAY_NAMES",
    "DEFAULT_POLICIES",
    "KITCHEN_TIME_PATTERN",
    "POLICY_TYPES",
    "PolicyError",
    "get_retain",
    "next_trigger",
    "parse_kitchen",
    "trigger_required",
    "validate_policy",
]
