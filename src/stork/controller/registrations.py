"""ApplicationRegistrations: Stork's built-in ones created at start-up, all of them read for
each migration (their suspend options say how to switch an operator's resource off)."""

from __future__ import annotations

import logging

from lightkube import ApiError, Client

from stork.api.applicationregistration import builtin_registrations
from stork.api.constants import FIELD_MANAGER, GROUP, VERSION
from stork.kube.discovery import ResourceType
from stork.kube.resources import ApplicationRegistrationResource
from stork.kube.rest import Rest, RestError
from stork.migration.transform import SuspendOption, suspend_rules
from stork.migration.transform.pipeline import BUILTIN_SUSPEND_RULES

log = logging.getLogger(__name__)

REGISTRATIONS = ResourceType(
    GROUP, VERSION, "ApplicationRegistration", "applicationregistrations", False
)
SuspendRules = dict[tuple[str, str], tuple[SuspendOption, ...]]


def ensure_builtin_registrations(client: Client) -> list[str]:
    """Create each of Stork's built-in registrations that does not exist (an existing one is
    left as it is: it may be a user's edit); return the names created. A cluster without the
    CRD (an older install) gets none, with a warning: the built-in list is used then."""
    created: list[str] = []
    for registration in builtin_registrations():
        name = registration["metadata"]["name"]
        try:
            client.create(
                ApplicationRegistrationResource.from_dict(registration),
                field_manager=FIELD_MANAGER,
            )
        except ApiError as e:
            if e.status.code == 409:
                continue
            if e.status.code == 404:
                log.warning(
                    "the ApplicationRegistration CRD is not installed (stork install): "
                    "Stork's built-in registrations are used as they are"
                )
                return created
            raise
        created.append(name)
    return created


async def load_suspend_rules(source: Rest) -> SuspendRules:
    """The suspend options of every ApplicationRegistration of the source (Stork's built-in
    ones when none can be read: no CRD, or no right to list them)."""
    try:
        found = [r async for r in source.list(REGISTRATIONS, None)]
    except RestError as e:
        if e.status not in (403, 404):
            raise
        log.warning("ApplicationRegistrations cannot be read (%s): built-in ones used", e.message)
        return dict(BUILTIN_SUSPEND_RULES)
    return suspend_rules(found)
