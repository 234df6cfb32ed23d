"""Stork's default SchedulePolicies, created when missing and never overwritten, except for
Stork's one upgrade fix: ``default-migration-policy`` at its old default of 1 minute becomes 30."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from lightkube import ApiError, Client
from lightkube.types import PatchType

from stork.api.constants import FIELD_MANAGER
from stork.kube.resources import SchedulePolicyResource

log = logging.getLogger(__name__)

#: The policy whose old default interval Stork raises at start-up, and the two values.
UPGRADED_POLICY = "default-migration-policy"
OLD_INTERVAL, NEW_INTERVAL = 1, 30


def ensure_default_policies(client: Client, policies: Iterable[Mapping[str, Any]]) -> list[str]:
    """Create each policy that does not exist; return the names created.

    An existing policy of the same name is left exactly as it is (it may be a user's edit),
    except that ``default-migration-policy`` with ``intervalMinutes: 1``, the default of older
    Stork releases, gets 30 as Stork's start-up does; any other value is kept.
    """
    created = []
    for policy in policies:
        name = policy["metadata"]["name"]
        obj = SchedulePolicyResource.from_dict(copy.deepcopy(dict(policy)))
        try:
            client.create(obj, field_manager=FIELD_MANAGER)
        except ApiError as e:
            if e.status.code != 409:
                raise
            if name == UPGRADED_POLICY:
                _upgrade_interval(client)
            log.debug("schedule policy %s exists; left as it is", name)
            continue
        log.info("created default schedule policy %s", name)
        created.append(name)
    return created


def _upgrade_interval(client: Client) -> None:
    existing = client.get(SchedulePolicyResource, UPGRADED_POLICY)
    interval = ((existing.get("policy") or {}).get("interval")) or {}
    if interval.get("intervalMinutes") != OLD_INTERVAL:
        return
    version = (existing.get("metadata") or {}).get("resourceVersion")
    # The resourceVersion makes it a conditional write: a concurrent edit wins (409).
    patch = {
        "metadata": {"resourceVersion": version},
        "policy": {"interval": {"intervalMinutes": NEW_INTERVAL}},
    }
    try:
        client.patch(SchedulePolicyResource, UPGRADED_POLICY, patch, patch_type=PatchType.MERGE)
    except ApiError as e:
        if e.status.code != 409:
            raise
        return
    log.info(
        "schedule policy %s: intervalMinutes %d (the old default) set to %d",
        UPGRADED_POLICY,
        OLD_INTERVAL,
        NEW_INTERVAL,
    )
