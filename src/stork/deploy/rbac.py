"""The least-privilege RBAC rules of the controller (source) and of a pair's destination.

Everything here is derived from the API calls the code makes:

* On the **source**, the controller watches and updates Stork's own objects, records Events,
  holds its leader-election Lease, and the migration engine *reads* the migrated namespaces:
  it lists every kind of ``SUPPORTED_KINDS`` (plus Jobs), Namespaces, PersistentVolumes,
  ClusterRoles/ClusterRoleBindings and CustomResourceDefinitions. It never writes there.
* ResourceTransformations are checked with a server-side dry run on the destination of each
  Ready ClusterPair of their namespace, through the pair's credentials (``create`` with
  ``dryRun=All``, nothing is stored): the controller still never writes on the source.
* On the **destination**, the engine writes through the ClusterPair's credentials: it applies
  (server-side apply = ``create`` + ``patch``) Namespaces, CRDs and every migrated kind, lists
  them to plan, reads them back (``get``: wait until gone, until a CRD is Established) and
  deletes them (purge, re-create after an immutable-field change); it lists EndpointSlices to
  know which Services are served there; it keeps a static copy of each MigrationSchedule there
  and reads its ``status.applicationActivated``.

Custom resources of other groups are migrated too; which groups a cluster has is not known in
advance, so they are granted per group (``custom_resource_rules``) instead of with ``*``.
"""

from __future__ import annotations

from typing import Any

from stork.api.constants import GROUP

Rule = dict[str, Any]
#: A rule and the comment that says what it is for (written above it in the manifests).
CommentedRule = tuple[str, Rule]

#: (API group, resource) of every built-in kind a migration collects, by Kind.
#: OpenShift's kinds are listed too: a rule for a group a cluster does not serve is harmless.
MIGRATED_RESOURCES: dict[str, tuple[str, str]] = {
    "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
    "PersistentVolume": ("", "persistentvolumes"),
    "ConfigMap": ("", "configmaps"),
    "Service": ("", "services"),
    "Secret": ("", "secrets"),
    "ServiceAccount": ("", "serviceaccounts"),
    "ResourceQuota": ("", "resourcequotas"),
    "LimitRange": ("", "limitranges"),
    "Endpoints": ("", "endpoints"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"),
    "CronJob": ("batch", "cronjobs"),
    "Job": ("batch", "jobs"),
    "Role": ("rbac.authorization.k8s.io", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings"),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings"),
    "Ingress": ("networking.k8s.io", "ingresses"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
    "PriorityClass": ("scheduling.k8s.io", "priorityclasses"),
    "ValidatingWebhookConfiguration": (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    "MutatingWebhookConfiguration": (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    "DeploymentConfig": ("apps.openshift.io", "deploymentconfigs"),
    "ImageStream": ("image.openshift.io", "imagestreams"),
    "Route": ("route.openshift.io", "routes"),
    "Template": ("template.openshift.io", "templates"),
}

#: Stork's own kinds (all in GROUP).
READ = ["get", "list", "watch"]

STORK_RESOURCES = (
    "clusterpairs",
    "migrations",
    "migrationschedules",
    "schedulepolicies",
    "namespacedschedulepolicies",
    "rules",
    "resourcetransformations",
    "applicationregistrations",
    "actions",
)


def _grouped(resources: list[tuple[str, str]], verbs: list[str], why: str) -> list[CommentedRule]:
    """One rule per API group (groups in a stable order, resources sorted)."""
    by_group: dict[str, set[str]] = {}
    for group, resource in resources:
        by_group.setdefault(group, set()).add(resource)
    return [
        (
            f"{why}: {group or 'core'} group",
            {"apiGroups": [group], "resources": sorted(names), "verbs": list(verbs)},
        )
        for group, names in sorted(by_group.items())
    ]


def plain(rules: list[CommentedRule]) -> list[Rule]:
    """The rules without their comments (fresh copies)."""
    return [{k: list(v) for k, v in rule.items()} for _, rule in rules]


def migrated_resources() -> list[tuple[str, str]]:
    """(group, resource) of every migrated built-in kind and of CRDs (Namespaces aside)."""
    return sorted(
        {*MIGRATED_RESOURCES.values(), ("apiextensions.k8s.io", "customresourcedefinitions")}
    )


def custom_resource_rules(groups: list[str], verbs: list[str], why: str) -> list[CommentedRule]:
    """Rules for every resource of the given custom-resource groups (empty when none)."""
    return [
        (f"{why}: {group}", {"apiGroups": [group], "resources": ["*"], "verbs": list(verbs)})
        for group in sorted(set(groups))
    ]


# -- source (the controller's own identity) ----------------------------------------------------


def controller_rules() -> list[CommentedRule]:
    """The controller's cluster-wide rules on Stork's objects and Events (source)."""
    return [
        (
            "Stork's objects: informers (list, watch) and reads of pairs, policies, rules",
            {"apiGroups": [GROUP], "resources": list(STORK_RESOURCES), "verbs": list(READ)},
        ),
        (
            "default SchedulePolicies and Stork's built-in ApplicationRegistrations (start-up);"
            " the Migrations a MigrationSchedule starts",
            {
                "apiGroups": [GROUP],
                "resources": ["migrations", "schedulepolicies", "applicationregistrations"],
                "verbs": ["create"],
            },
        ),
        (
            "default-migration-policy's old 1-minute interval set to 30 at start-up (as Stork)",
            {
                "apiGroups": [GROUP],
                "resources": ["schedulepolicies"],
                "resourceNames": ["default-migration-policy"],
                "verbs": ["patch"],
            },
        ),
        (
            "schedule finalizer and autoSuspend (patch); pruning a schedule's old Migrations",
            {
                "apiGroups": [GROUP],
                "resources": ["migrations", "migrationschedules"],
                "verbs": ["patch", "delete"],
            },
        ),
        (
            "status of pairs, migrations and schedules (JSON merge patch of the subresource)",
            {
                "apiGroups": [GROUP],
                "resources": [
                    "clusterpairs/status",
                    "migrations/status",
                    "migrationschedules/status",
                    "resourcetransformations/status",
                ],
                "verbs": ["patch"],
            },
        ),
        (
            "failovers, failbacks and drills: the Action's finalizer and its status",
            {"apiGroups": [GROUP], "resources": ["actions", "actions/status"], "verbs": ["patch"]},
        ),
        (
            "Events about our objects, in their namespaces; a repeat bumps the count (patch)",
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        ),
        (
            "ClusterPairs' credentials by reference (spec.configSecretRef): the controller"
            " watches only Secrets of type stork.libopenstorage.org/kubeconfig (a field"
            " selector) and reads the one a pair names",
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch"]},
        ),
        (
            "pre/post-exec Rules: the pods a rule picks (remove both pod rules to forbid"
            " commands; rules then fail with the reason)",
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        ),
        (
            "pre/post-exec Rules: a rule's commands (a WebSocket exec is an HTTP GET, authorized"
            " as get, and since Kubernetes 1.35 also as create)",
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "create"]},
        ),
    ]


def source_read_rules(custom_groups: list[str] | None = None) -> list[CommentedRule]:
    """Read access the migration engine needs on the source: LISTs of the migrated kinds."""
    rules: list[CommentedRule] = [
        (
            "namespaces to migrate: by name (get) and by label selector (list)",
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},
        )
    ]
    rules += _grouped(migrated_resources(), ["list"], "migrated kinds, listed (paged)")
    return rules + custom_resource_rules(
        custom_groups or [], ["list"], "custom resources to migrate"
    )


#: Cluster-scoped kinds a migration writes; a drill writes namespaced copies only.
_CLUSTER_SCOPED = frozenset(
    {
        "persistentvolumes",
        "clusterroles",
        "clusterrolebindings",
        "priorityclasses",
        "validatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
        "customresourcedefinitions",
    }
)
SCALED_RESOURCES = (
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "cronjobs"),
)


def failover_rules(custom_groups: list[str] | None = None) -> list[CommentedRule]:
    """Writes on the controller's own cluster for failovers, failbacks and drills (the cluster
    failed over to): scaling its migrated applications, and a drill's copies. Remove the
    binding of this role to forbid them there (the Actions then fail with the reason)."""
    rules = _grouped(
        list(SCALED_RESOURCES),
        ["get", "list", "patch"],
        "failover/failback: scale the migrated applications up (activation) or down",
    )
    rules.append(
        (
            "drill: its <ns>-<suffix> namespaces, created (server-side apply) and deleted",
            {
                "apiGroups": [""],
                "resources": ["namespaces"],
                "verbs": ["get", "create", "patch", "delete"],
            },
        )
    )
    # Ingresses and Routes are never copied (they would take production traffic).
    skipped = _CLUSTER_SCOPED | {"ingresses", "routes"}
    namespaced = [r for r in migrated_resources() if r[1] not in skipped]
    rules += _grouped(
        namespaced,
        ["get", "create", "patch"],
        "drill: copies of the standby's objects in the drill namespaces (server-side apply)",
    )
    rules.append(
        (
            "drill: copied RoleBindings may name roles that grant more than this account holds",
            {
                "apiGroups": ["rbac.authorization.k8s.io"],
                "resources": ["roles", "clusterroles"],
                "verbs": ["bind", "escalate"],
            },
        )
    )
    return rules + custom_resource_rules(
        custom_groups or [], ["get", "create", "patch"], "drill: copies of custom resources"
    )


def leader_election_rules() -> list[CommentedRule]:
    """The Lease of leader election, in the controller's own namespace."""
    return [
        (
            "leader election: the controller's Lease",
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "create", "update"],
            },
        ),
        (
            "Events about leadership changes",
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        ),
    ]


# -- destination (the ClusterPair's identity) --------------------------------------------------

#: Server-side apply needs create (object absent) and patch; LIST to plan; GET to read back;
#: DELETE to purge and to re-create an object whose immutable field changed.
DESTINATION_VERBS = ("get", "list", "create", "patch", "delete")


def destination_rules(
    custom_groups: list[str] | None = None, *, rbac_escalation: bool = True
) -> list[CommentedRule]:
    """What the migration engine needs on a destination, through the ClusterPair's token."""
    verbs = list(DESTINATION_VERBS)
    rules: list[CommentedRule] = [
        (
            "namespaces of the migrated objects: applied and read, never deleted",
            {
                "apiGroups": [""],
                "resources": ["namespaces"],
                "verbs": ["get", "list", "create", "patch"],
            },
        )
    ]
    rules += _grouped(
        migrated_resources(),
        verbs,
        "migrated kinds: server-side apply, list to plan, delete to purge or re-create",
    )
    rules.append(
        (
            "which Services have a ready endpoint there (admission webhooks without one are"
            " parked on the standby)",
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list"]},
        )
    )
    rules.append(
        (
            "the suspended static copy of each MigrationSchedule, and its activation status;"
            " a failover run on the other cluster lists and suspends schedules here",
            {
                "apiGroups": [GROUP],
                "resources": ["migrationschedules"],
                "verbs": ["get", "list", "create", "patch"],
            },
        )
    )
    rules.append(
        (
            "failover through the reverse pair: static copies' applicationActivated",
            {"apiGroups": [GROUP], "resources": ["migrationschedules/status"], "verbs": ["patch"]},
        )
    )
    rules.append(
        (
            "failover through the reverse pair: the last-mile Migration, created here and run"
            " by this cluster's controller",
            {"apiGroups": [GROUP], "resources": ["migrations"], "verbs": ["get", "create"]},
        )
    )
    rules.append(
        (
            "failover through the reverse pair: wait until the stopped applications' pods are gone",
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        )
    )
    if rbac_escalation:
        rules.append(
            (
                "migrated Roles/ClusterRoles may grant more than this account holds",
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "resources": ["roles", "clusterroles"],
                    "verbs": ["escalate", "bind"],
                },
            )
        )
    return rules + custom_resource_rules(custom_groups or [], verbs, "custom resources to migrate")
