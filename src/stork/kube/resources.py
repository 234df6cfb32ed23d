"""lightkube resource classes of Stork's kinds (generic: objects are handled as dicts)."""

from __future__ import annotations

from typing import Any

from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericNamespacedResource,
    create_global_resource,
    create_namespaced_resource,
)

from stork.api.constants import GROUP, VERSION
from stork.api.crd import CRDS

ClusterPairResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "ClusterPair", "clusterpairs"
)
SchedulePolicyResource: type[GenericGlobalResource] = create_global_resource(
    GROUP, VERSION, "SchedulePolicy", "schedulepolicies"
)
NamespacedSchedulePolicyResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "NamespacedSchedulePolicy", "namespacedschedulepolicies"
)
MigrationScheduleResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "MigrationSchedule", "migrationschedules"
)
MigrationResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "Migration", "migrations"
)
RuleResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "Rule", "rules"
)
ResourceTransformationResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "ResourceTransformation", "resourcetransformations"
)
ApplicationRegistrationResource: type[GenericGlobalResource] = create_global_resource(
    GROUP, VERSION, "ApplicationRegistration", "applicationregistrations"
)


_HAS_STATUS_SUBRESOURCE = {info.kind: info.status for info in CRDS}


def status_target(resource: Any) -> Any:
    """Where a kind's status is written: its status subresource when its CRD has one, else
    the resource itself (MigrationSchedule: Stork's storkctl writes its status with a whole
    update, which a status subresource would drop silently)."""
    kind = resource._api_info.resource.kind
    return resource.Status if _HAS_STATUS_SUBRESOURCE.get(kind, True) else resource


ActionResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "Action", "actions"
)
