"""``storkctl create|get|delete|suspend|resume migrationschedules`` (alias migrationschedule)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

import click
import httpx2
from lightkube import Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.core_v1 import Namespace
from lightkube.types import PatchType

from stork.api.constants import API_VERSION, GROUP, VERSION
from stork.api.timestamps import parse_time
from stork.cli.command import Command, Invocation
from stork.cli.common import (
    ALL_NAMESPACES,
    admin_namespace,
    delete_each,
    is_not_found,
    of_pair,
    select,
    watch,
)
from stork.cli.discovery import resource_kinds
from stork.cli.errors import UserError, server_message
from stork.cli.formatting import duration, go_duration
from stork.cli.goflags import Flag, boolean, integer, mapping, string, strings
from stork.cli.goshape import MIGRATION_SCHEDULE, SCHEDULE_POLICY, shaped
from stork.cli.output import print_empty, print_result, rfc822
from stork.cli.writes import create_object
from stork.kube.resources import (
    ClusterPairResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.schedule import POLICY_TYPES, RETAIN_DEFAULTS, PolicyError, validate_policy

NAME = "migrationschedules"
ALIASES = ("migrationschedule",)
COLUMNS = (
    "NAME",
    "POLICYNAME",
    "CLUSTERPAIR",
    "SUSPEND",
    "LAST-SUCCESS-TIME",
    "LAST-SUCCESS-DURATION",
)
DEFAULT_POLICY = "default-migration-policy"
NEED_NAME = (
    "at least one argument needs to be provided for migration schedule name if cluster pair "
    "isn't provided"
)
TransformResource = create_namespaced_resource(
    GROUP, VERSION, "ResourceTransformation", "resourcetransformations"
)
#: How long Stork waits for a ResourceTransformation to become Ready, and how often it looks.
TRANSFORM_WAIT, TRANSFORM_POLL = 60.0, 5.0

CREATE_FLAGS = (
    strings(
        "namespaces",
        help="Specify the comma-separated list of namespaces to be included in the migration",
    ),
    mapping(
        "namespace-selectors",
        help="Resources in the namespaces with the specified namespace labels will be migrated. "
        "All the labels provided in this option will be OR'ed",
    ),
    string(
        "cluster-pair",
        "c",
        help="Specify the name of the ClusterPair in the same namespace to be used for the "
        "migration",
    ),
    string(
        "admin-cluster-pair",
        help="Specify the name of the admin ClusterPair used to migrate cluster-scoped "
        "resources, if the ClusterPair is present in a non-admin namespace",
    ),
    boolean("exclude-resources", help="If present, Kubernetes resources will not be migrated"),
    boolean(
        "exclude-volumes",
        help="If present, the underlying Portworx volumes will not be migrated. This is the only "
        "allowed and default behaviour in sync-dr use-cases or when storage options are not "
        "provided in the cluster pair",
    ),
    boolean(
        "start-applications",
        "a",
        help="If present, the applications will be scaled up on the target cluster after a "
        "successful migration",
    ),
    boolean(
        "ignore-owner-references-check",
        help="If set, resources with ownerReferences will also be migrated, even if the "
        "corresponding owners are getting migrated",
    ),
    boolean(
        "purge-deleted-resources",
        help="Set this flag to automatically delete Kubernetes resources in the target cluster "
        "when they are removed from the source cluster",
    ),
    boolean("skip-service-update", help="If set, service objects will be skipped during migration"),
    boolean(
        "include-network-policy-with-cidr",
        help="If set, the underlying network policies will be migrated even if a fixed CIDR is "
        "present on them",
    ),
    boolean(
        "disable-skip-deleted-namespaces",
        help="If present, Stork will fail the migration when it encounters a namespace that is "
        "deleted but specified in the namespaces field. By default, Stork ignores deleted "
        "namespaces during migration",
    ),
    string(
        "pre-exec-rule",
        help="Specify the name of the rule to be executed before every migration is triggered",
    ),
    string(
        "post-exec-rule",
        help="Specify the name of the rule to be executed after every migration is triggered",
    ),
    string(
        "schedule-policy-name",
        "s",
        DEFAULT_POLICY,
        "Name of the schedule policy to use. If you want to create a new interval policy, use "
        "the --interval flag instead",
    ),
    boolean("suspend", help="Flag to denote whether schedule should be suspended on creation"),
    boolean(
        "disable-auto-suspend",
        help="Prevent automatic suspension of DR migration schedules on the source cluster in "
        "case of a disaster",
    ),
    integer(
        "interval",
        "i",
        30,
        "Specify the time interval, in minutes, at which Stork should trigger migrations",
    ),
    mapping(
        "annotations",
        {},
        "Add required annotations to the resource in comma-separated key value pairs. "
        "key1=value1,key2=value2,... ",
    ),
    string(
        "transform-spec",
        help="Specify the ResourceTransformation spec to be applied during migration",
    ),
    boolean(
        "include-jobs",
        help="Set this flag to ensure that K8s Job resources are migrated. By default, the Job "
        "resources are not migrated",
    ),
    mapping(
        "selectors",
        help="Only resources with the provided labels will be migrated. All the labels provided "
        "in this option will be OR'ed",
    ),
    mapping(
        "exclude-selectors",
        help="Resources with the provided labels will be excluded from the migration. All the "
        "labels provided in this option will be OR'ed",
    ),
    strings(
        "exclude-resource-types",
        help="Comma-separated list of the specific resource types which need to be excluded from "
        "migration, ex: Deployment,PersistentVolumeClaim",
    ),
)


def _exists(client: Client, resource: Any, name: str, namespace: str | None = None) -> bool:
    try:
        client.get(resource, name, namespace=namespace)
    except httpx2.HTTPStatusError as e:
        if is_not_found(e):
            return False
        raise
    return True


def merged_namespaces(
    client: Client, names: list[str] | None, selectors: dict[str, str] | None
) -> list[str]:
    """Stork's ``GetMergedNamespacesWithLabelSelector``: the names, plus every namespace one of
    the ``k=v`` selectors matches (OR)."""
    merged = list(dict.fromkeys(names or []))
    for key, value in (selectors or {}).items():
        try:
            listed = client.list(Namespace, labels={key: value})
            found = [str(n.metadata.name) for n in listed if n.metadata]
        except httpx2.HTTPStatusError as e:
            raise UserError(
                "unable to get the namespaces based on the provided --namespace-selectors : "
                f"{server_message(e)}"
            ) from e
        merged.extend(n for n in found if n not in merged)
    return merged


def _check_transform(client: Client, namespaces: list[str], name: str) -> None:
    """Stork's ``validateTransformSpec``: the ResourceTransformation exists in every migrated
    namespace and is Ready (Stork waits up to a minute; a Failed one is final here)."""
    for namespace in namespaces:
        try:
            first = dict(client.get(TransformResource, name, namespace=namespace))
        except httpx2.HTTPStatusError as e:
            raise UserError(
                f"unable to retrieve transformation {namespace}/{name}, err: {server_message(e)}"
            ) from e
        state = str((first.get("status") or {}).get("status") or "")
        deadline = time.monotonic() + TRANSFORM_WAIT
        current = state
        while current != "Ready":
            if current == "Failed" or time.monotonic() >= deadline:
                raise UserError(
                    f"transformation {namespace}/{name} is not in ready state, state: {state}"
                )
            time.sleep(TRANSFORM_POLL)
            again = dict(client.get(TransformResource, name, namespace=namespace))
            current = str((again.get("status") or {}).get("status") or "")


def _policy_name(inv: Invocation, client: Client, name: str) -> str:
    """The policy of the new schedule, as Stork's storkctl decides it (and creates it)."""
    if inv.given("schedule-policy-name") and inv.given("interval"):
        raise UserError("must provide only one of schedule-policy-name or interval values")
    if inv.given("interval"):
        section = {"intervalMinutes": inv.number("interval"), "retain": RETAIN_DEFAULTS["Interval"]}
        try:
            validate_policy({"policy": {"interval": section}})
        except PolicyError as e:
            raise UserError(
                f"could not create a schedule policy with specified interval: {e}"
            ) from e
        policy = shaped(
            {"metadata": {"name": name}, "policy": {"interval": section}}, SCHEDULE_POLICY
        )
        if not _exists(client, MigrationScheduleResource, name, inv.namespace):
            try:
                create_object(
                    client, SchedulePolicyResource.from_dict({"apiVersion": API_VERSION, **policy})
                )
            except httpx2.HTTPStatusError as e:
                raise UserError(
                    f"could not create a schedule policy with specified interval: "
                    f"{server_message(e)}"
                ) from e
        return name
    policy_name = inv.text("schedule-policy-name")
    if inv.given("schedule-policy-name"):
        try:
            client.get(SchedulePolicyResource, policy_name)
        except httpx2.HTTPStatusError as e:
            raise UserError(
                f"unable to get schedulepolicy {policy_name}: {server_message(e)}"
            ) from e
        return policy_name
    default = shaped(
        {"metadata": {"name": policy_name}, "policy": {"interval": {"intervalMinutes": 30}}},
        SCHEDULE_POLICY,
    )
    try:
        create_object(
            client, SchedulePolicyResource.from_dict({"apiVersion": API_VERSION, **default})
        )
    except httpx2.HTTPStatusError as e:
        if e.response.status_code != 409:
            raise
    return policy_name


def create(inv: Invocation) -> None:
    """Create a MigrationSchedule: Stork's checks in Stork's order, Stork's stored fields."""
    client = inv.client()
    admin_ns = admin_namespace(client)
    if len(inv.args) != 1:
        raise UserError("exactly one name needs to be provided for migration schedule name")
    name, namespace = inv.args[0], inv.namespace
    pair_name = inv.text("cluster-pair")
    if not pair_name:
        raise UserError("ClusterPair name needs to be provided for migration schedule")
    if inv.given("admin-cluster-pair") and not _exists(
        client, ClusterPairResource, inv.text("admin-cluster-pair"), admin_ns
    ):
        raise UserError("unable to find the admin cluster pair in the admin namespace")
    try:
        pair = dict(client.get(ClusterPairResource, pair_name, namespace=namespace))
    except httpx2.HTTPStatusError as e:
        raise UserError("unable to find the cluster pair in the given namespace") from e
    include_volumes = not inv.flag("exclude-volumes")
    if not (pair.get("spec") or {}).get("options"):
        if inv.given("exclude-volumes") and include_volumes:
            raise UserError(
                "--exclude-volumes can only be set to true if it is a sync-dr use case or when "
                "storage options are not provided in the cluster pair"
            )
        include_volumes = False
    names, selectors = inv.items("namespaces"), inv.pairs("namespace-selectors")
    migrated = merged_namespaces(client, names, selectors)
    if not migrated:
        raise UserError(
            "no valid namespace found based on the provided --namespaces and --namespace-selectors"
        )
    if namespace != admin_ns and any(ns != namespace for ns in migrated):
        raise UserError("migration namespaces should only contain the current namespace")
    transform = inv.text("transform-spec")
    if transform:
        _check_transform(client, migrated, transform)
    excluded = inv.items("exclude-resource-types")
    if excluded:
        excluded = resource_kinds(inv, excluded)
    policy = _policy_name(inv, client, name)
    spec = {
        "clusterPair": pair_name,
        "adminClusterPair": inv.text("admin-cluster-pair"),
        "namespaces": names,
        "namespaceSelectors": selectors,
        "includeResources": not inv.flag("exclude-resources"),
        "includeVolumes": include_volumes,
        "startApplications": inv.flag("start-applications"),
        "preExecRule": inv.text("pre-exec-rule"),
        "postExecRule": inv.text("post-exec-rule"),
        "selectors": inv.pairs("selectors"),
        "excludeSelectors": inv.pairs("exclude-selectors"),
        "ignoreOwnerReferencesCheck": inv.flag("ignore-owner-references-check"),
        "purgeDeletedResources": inv.flag("purge-deleted-resources"),
        "skipServiceUpdate": inv.flag("skip-service-update"),
        "includeNetworkPolicyWithCIDR": inv.flag("include-network-policy-with-cidr"),
        "skipDeletedNamespaces": not inv.flag("disable-skip-deleted-namespaces"),
        "transformSpecs": [transform] if transform else None,
        "includeOptionalResourceTypes": ["Job"] if inv.flag("include-jobs") else None,
        "excludeResourceTypes": excluded,
    }
    obj = shaped(
        {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": inv.pairs("annotations"),
            },
            "spec": {
                "template": {"spec": spec},
                "schedulePolicyName": policy,
                "suspend": inv.flag("suspend"),
                "autoSuspend": not inv.flag("disable-auto-suspend"),
            },
        },
        MIGRATION_SCHEDULE,
    )
    create_object(
        client,
        MigrationScheduleResource.from_dict(
            {"apiVersion": API_VERSION, "kind": "MigrationSchedule", **obj}
        ),
    )
    click.echo(f"MigrationSchedule {name} created successfully")


def last_success(schedule: Mapping[str, Any]) -> tuple[str, str]:
    """(time, duration) of the latest Successful migration of any policy type (Stork's order:
    Interval, Daily, Weekly, Monthly; a later finish wins, a tie keeps the first)."""
    items = (schedule.get("status") or {}).get("items") or {}
    best = None
    for policy_type in POLICY_TYPES:
        for item in items.get(policy_type) or []:
            finish = parse_time((item or {}).get("finishTimestamp"))
            if item.get("status") == "Successful" and finish and (best is None or finish > best[0]):
                best = (finish, parse_time(item.get("creationTimestamp")))
    if best is None:
        return "", ""
    finish, start = best
    if start is None:  # Go subtracts its zero time: the duration saturates
        return rfc822(finish), go_duration(dt.timedelta.max)
    return rfc822(finish), duration((finish - start).total_seconds())


def _template_pair(schedule: Mapping[str, Any]) -> str:
    spec = schedule.get("spec") or {}
    return str(((spec.get("template") or {}).get("spec") or {}).get("clusterPair") or "")


def _row(schedule: Mapping[str, Any]) -> list[str]:
    spec = schedule.get("spec") or {}
    return [
        schedule["metadata"]["name"],
        str(spec.get("schedulePolicyName") or ""),
        _template_pair(schedule),
        "true" if spec.get("suspend") is True else "false",
        *last_success(schedule),
    ]


def get(inv: Invocation) -> None:
    """List MigrationSchedules (``-w``: and again on every change)."""

    def show() -> None:
        found = select(inv, MigrationScheduleResource, _template_pair)
        print_result(found, inv.output, COLUMNS, _row, inv.flag("all-namespaces"))

    watch(inv, MigrationScheduleResource, show)


def _of_pair(inv: Invocation) -> list[dict[str, Any]]:
    """The schedules of ``-c PAIR`` in the namespace, or the names given."""
    if inv.text("clusterPair"):
        return of_pair(inv, MigrationScheduleResource, _template_pair)
    if not inv.args:
        raise UserError(NEED_NAME)
    return select(inv, MigrationScheduleResource)


def delete(inv: Invocation) -> None:
    """Delete MigrationSchedules: the names given, or every one of ``-c PAIR``."""
    delete_each(inv, MigrationScheduleResource, "MigrationSchedule", _template_pair, NEED_NAME)


def _set_suspend(value: bool, action: str) -> Callable[[Invocation], None]:
    def run(inv: Invocation) -> None:
        found = _of_pair(inv)
        if not found:
            print_empty()
            return
        for schedule in found:
            name = schedule["metadata"]["name"]
            inv.client().patch(
                MigrationScheduleResource,
                name,
                {"spec": {"suspend": value}},
                namespace=inv.namespace,
                patch_type=PatchType.MERGE,
            )
            click.echo(f"MigrationSchedule {name} {action} successfully")

    return run


def _pair_flag(verb: str) -> Flag:
    return string(
        "clusterPair",
        "c",
        help=f"Name of the ClusterPair for which to {verb} ALL migration schedules",
    )


def register(verbs: Mapping[str, Command]) -> None:
    """Attach the commands to storkctl's verbs."""
    verbs["create"].add(Command(NAME, "Create a migration schedule", create, ALIASES, CREATE_FLAGS))
    get_flags = (
        string(
            "clusterpair",
            "c",
            help="Name of the cluster pair for which to list migration schedules",
        ),
        ALL_NAMESPACES,
    )
    verbs["get"].add(Command(NAME, "Get migration schedules", get, ALIASES, get_flags))
    verbs["delete"].add(
        Command(NAME, "Delete migration schedules", delete, ALIASES, (_pair_flag("delete"),))
    )
    verbs["suspend"].add(
        Command(
            NAME,
            "Suspend migration schedules",
            _set_suspend(True, "suspended"),
            ALIASES,
            (_pair_flag("suspend"),),
        )
    )
    verbs["resume"].add(
        Command(
            NAME,
            "Resume migration schedules",
            _set_suspend(False, "resumed"),
            ALIASES,
            (_pair_flag("resume"),),
        )
    )
