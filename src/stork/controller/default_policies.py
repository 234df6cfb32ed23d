"""Stork's default SchedulePolicies, created when missing and never overwritten."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from lightkube import ApiError, Client

from stork.api.constants import FIELD_MANAGER
from stork.kube.resources import SchedulePolicyResource

log = logging.getLogger(__name__)


def ensure_default_policies(client: Client, policies: Iterable[Mapping[str, Any]]) -> list[str]:
    """Create each policy that does not exist; return the names created.

    An existing policy of the same name is left exactly as it is, whatever it holds: it may be
    a user's edit. (Stork rewrites ``default-migration-policy`` from 1 to 30 minutes; we do not.)
    """
    created = []
    for policy in policies:
        name = policy["metadata"]["name"]
        obj = SchedulePolicyResource.from_dict(copy.deepcopy(dict(policy)))
        try:
            client.create(obj, field_manager=FIELD_MANAGER)
        except ApiError as e:
            if e.status.code == 409:
                log.debug("schedule policy %s exists; left as it is", name)
                continue
            raise
        log.info("created default schedule policy %s", name)
        created.append(name)
    return created
