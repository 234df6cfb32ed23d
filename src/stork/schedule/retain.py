"""How many triggered objects a policy type keeps (Stork's ``schedule.GetRetain``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from stork.schedule.validation import check_policy_type, raw_section

#: Stork's ``Default<Type>PolicyRetain`` constants.
RETAIN_DEFAULTS: Final[Mapping[str, int]] = MappingProxyType(
    {"Interval": 10, "Daily": 30, "Weekly": 7, "Monthly": 12}
)


def get_retain(policy: Mapping[str, Any], policy_type: str) -> int:
    """Stork's retain for ``policy_type``: the section's ``retain``, or the type's default.

    As Stork: a missing or zero ``retain`` gives the default (Interval 10, Daily 30, Weekly 7,
    Monthly 12); an absent section gives 1; any other integer is returned as written (Stork
    does not check the sign either). The policy is not validated (Stork does not either).
    A non-integer ``retain`` (which Go could not have decoded) counts as missing.
    Raises ValueError for an unknown ``policy_type``. MigrationSchedules do not use retain.
    """
    check_policy_type(policy_type)
    section = raw_section(policy, policy_type)
    if section is None:
        return 1
    retain = section.get("retain")
    if isinstance(retain, int) and not isinstance(retain, bool) and retain != 0:
        return retain
    return RETAIN_DEFAULTS[policy_type]
