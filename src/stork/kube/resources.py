"""lightkube resource classes of Stork's kinds (generic: objects are handled as dicts)."""

from __future__ import annotations

from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericNamespacedResource,
    create_global_resource,
    create_namespaced_resource,
)

from stork.api.constants import GROUP, VERSION

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
ActionResource: type[GenericNamespacedResource] = create_namespaced_resource(
    GROUP, VERSION, "Action", "actions"
)
