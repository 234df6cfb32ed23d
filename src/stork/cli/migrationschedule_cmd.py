"""``storkctl create|get|delete|suspend|resume migrationschedule`` (alias migrationschedules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from lightkube import ApiError, Client
from lightkube.types import PatchType

from stork.api.constants import API_VERSION
from stork.cli.common import api_error, connect
from stork.cli.errors import ServerError, UserError
from stork.cli.formatting import duration, key_values, parse_time, print_objects, rfc822
from stork.cli.table import print_table
from stork.kube.resources import (
    ClusterPairResource,
    MigrationScheduleResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
)
from stork.schedule import DEFAULT_POLICIES, PolicyError, validate_policy

ALIASES = ("migrationschedule", "migrationschedules")
#: Stork's DefaultIntervalPolicyRetain, given to a policy made with ``--interval``.
INTERVAL_RETAIN = 10
_INTERVAL_ERROR = "could not create a schedule policy with specified interval"
DEFAULT_POLICY = "default-migration-policy"
RESOURCE = "migrationschedules.stork.libopenstorage.org"


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("-n", "--namespace", default="default", show_default=True)(fn)
    fn = click.option("--context", help="kubeconfig context to use.")(fn)
    return click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubeconfig file.")(
        fn
    )


def _exists(client: Client, resource: Any, name: str, namespace: str | None = None) -> bool:
    try:
        client.get(resource, name, namespace=namespace)
    except ApiError as e:
        if e.status.code == 404:
            return False
        raise api_error(e) from e
    return True


@click.command()
@click.argument("name")
@click.option("-c", "--cluster-pair", required=True, help="ClusterPair to migrate to.")
@click.option("--admin-cluster-pair", default="")
@click.option("--namespaces", default="", help="Namespaces to migrate (comma-separated).")
@click.option("--namespace-selectors", default="", help="k=v,... selecting namespaces (OR).")
@click.option("--exclude-resources", is_flag=True, help="Migrate only volumes (PVs, PVCs).")
@click.option("--exclude-volumes", is_flag=True, help="Do not migrate volumes.")
@click.option("-a", "--start-applications", is_flag=True)
@click.option("--ignore-owner-references-check", is_flag=True)
@click.option("--purge-deleted-resources", is_flag=True)
@click.option("--skip-service-update", is_flag=True)
@click.option("--include-network-policy-with-cidr", is_flag=True)
@click.option("--disable-skip-deleted-namespaces", is_flag=True)
@click.option("--pre-exec-rule", default="")
@click.option("--post-exec-rule", default="")
@click.option(
    "-s",
    "--schedule-policy-name",
    default=None,
    help="Schedule policy to use [default: default-migration-policy]. To create a new interval "
    "policy, use --interval instead.",
)
@click.option(
    "-i",
    "--interval",
    type=int,
    default=None,
    help="Minutes between migrations: creates an interval policy named like the schedule "
    "[default: 30].",
)
@click.option("--suspend", is_flag=True)
@click.option("--disable-auto-suspend", is_flag=True)
@click.option("--annotations", default="", help="k=v,... for the schedule.")
@click.option("--include-jobs", is_flag=True)
@click.option("--selectors", default="", help="k=v,... label selector (AND).")
@click.option("--exclude-selectors", default="", help="k=v,... excluded labels (OR).")
@click.option(
    "--exclude-resource-types", default="", help="Kinds never migrated (comma-separated)."
)
@_common
def create(
    name: str,
    cluster_pair: str,
    admin_cluster_pair: str,
    namespaces: str,
    namespace_selectors: str,
    exclude_resources: bool,
    exclude_volumes: bool,
    start_applications: bool,
    ignore_owner_references_check: bool,
    purge_deleted_resources: bool,
    skip_service_update: bool,
    include_network_policy_with_cidr: bool,
    disable_skip_deleted_namespaces: bool,
    pre_exec_rule: str,
    post_exec_rule: str,
    schedule_policy_name: str | None,
    interval: int | None,
    suspend: bool,
    disable_auto_suspend: bool,
    annotations: str,
    include_jobs: bool,
    selectors: str,
    exclude_selectors: str,
    exclude_resource_types: str,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Create a MigrationSchedule."""
    ns_list = [n.strip() for n in namespaces.split(",") if n.strip()]
    ns_selectors = key_values(namespace_selectors, "--namespace-selectors")
    if not ns_list and not ns_selectors:
        raise UserError("need to provide atleast one namespace or namespace selector to migrate")
    with connect(kubeconfig, context) as client:
        try:
            pair = client.get(ClusterPairResource, cluster_pair, namespace=namespace)
        except ApiError as e:
            if e.status.code == 404:
                raise UserError(
                    f"unable to find the cluster pair {cluster_pair} in the {namespace} namespace"
                ) from e
            raise api_error(e) from e
        schedule_policy_name = _policy_for(client, name, namespace, schedule_policy_name, interval)
        # Stork: without storage options there is nothing to migrate volumes with.
        include_volumes = not exclude_volumes and bool((pair.get("spec") or {}).get("options"))
        spec: dict[str, Any] = {
            "clusterPair": cluster_pair,
            "adminClusterPair": admin_cluster_pair,
            "namespaces": ns_list,
            "namespaceSelectors": ns_selectors or None,
            "includeResources": not exclude_resources,
            "includeVolumes": include_volumes,
            "startApplications": start_applications,
            "purgeDeletedResources": purge_deleted_resources,
            "skipServiceUpdate": skip_service_update,
            "includeNetworkPolicyWithCIDR": include_network_policy_with_cidr,
            "skipDeletedNamespaces": not disable_skip_deleted_namespaces,
            "ignoreOwnerReferencesCheck": ignore_owner_references_check,
            "preExecRule": pre_exec_rule,
            "postExecRule": post_exec_rule,
            "selectors": key_values(selectors, "--selectors") or None,
            "excludeSelectors": key_values(exclude_selectors, "--exclude-selectors") or None,
            "includeOptionalResourceTypes": ["Job"] if include_jobs else None,
            "excludeResourceTypes": [
                t.strip() for t in exclude_resource_types.split(",") if t.strip()
            ]
            or None,
        }
        metadata: dict[str, Any] = {"name": name, "namespace": namespace}
        extra = key_values(annotations, "--annotations")
        if extra:
            metadata["annotations"] = extra
        obj = {
            "apiVersion": API_VERSION,
            "kind": "MigrationSchedule",
            "metadata": metadata,
            "spec": {
                "template": {"spec": {k: v for k, v in spec.items() if v is not None}},
                "schedulePolicyName": schedule_policy_name,
                "suspend": suspend,
                "autoSuspend": not disable_auto_suspend,
            },
        }
        try:
            client.create(MigrationScheduleResource.from_dict(obj))
        except ApiError as e:
            raise api_error(e) from e
    click.echo(f"MigrationSchedule {name} created successfully")


def _policy_for(
    client: Client, name: str, namespace: str, policy_name: str | None, interval: int | None
) -> str:
    """The policy the new schedule uses, as Stork's storkctl decides it.

    ``-s`` names an existing policy; ``-i`` creates an interval policy named like the schedule
    (unless that schedule already exists); neither means ``default-migration-policy``, created
    when missing.
    """
    if policy_name is not None and interval is not None:
        raise UserError("must provide only one of schedule-policy-name or interval values")
    if interval is not None:
        policy = {
            "apiVersion": API_VERSION,
            "kind": "SchedulePolicy",
            "metadata": {"name": name},
            "policy": {"interval": {"intervalMinutes": interval, "retain": INTERVAL_RETAIN}},
        }
        try:
            validate_policy(policy)
        except PolicyError as e:
            raise UserError(
                f"could not create a schedule policy with specified interval: {e}"
            ) from e
        if not _exists(client, MigrationScheduleResource, name, namespace):
            try:
                client.create(SchedulePolicyResource.from_dict(policy))
            except ApiError as e:
                raise UserError(f"{_INTERVAL_ERROR}: {e.status.message}") from e
        return name
    if policy_name is not None:
        if not (
            _exists(client, NamespacedSchedulePolicyResource, policy_name, namespace)
            or _exists(client, SchedulePolicyResource, policy_name)
        ):
            raise UserError(f"unable to find the schedule policy {policy_name}")
        return policy_name
    default = next(p for p in DEFAULT_POLICIES if p["metadata"]["name"] == DEFAULT_POLICY)
    if not _exists(client, SchedulePolicyResource, DEFAULT_POLICY):
        try:
            client.create(SchedulePolicyResource.from_dict(default))
        except ApiError as e:
            if e.status.code != 409:
                raise api_error(e) from e
    return DEFAULT_POLICY


def last_success(schedule: dict[str, Any]) -> tuple[str, str]:
    """(time, duration) of the schedule's latest Successful migration, as storkctl prints them."""
    best = None
    for items in ((schedule.get("status") or {}).get("items") or {}).values():
        for item in items or []:
            finish = parse_time(item.get("finishTimestamp"))
            if item.get("status") == "Successful" and finish and (best is None or finish > best[0]):
                best = (finish, parse_time(item.get("creationTimestamp")))
    if best is None:
        return "", ""
    finish, start = best
    return rfc822(finish), duration((finish - start).total_seconds()) if start else ""


def _select(
    client: Client, names: tuple[str, ...], pair: str | None, namespace: str, all_ns: bool
) -> list[dict[str, Any]]:
    scope = "*" if all_ns else namespace
    if names and not all_ns:
        out = []
        for name in names:
            try:
                out.append(dict(client.get(MigrationScheduleResource, name, namespace=namespace)))
            except ApiError as e:
                if e.status.code == 404:
                    raise ServerError(
                        f'Error from server (NotFound): {RESOURCE} "{name}" not found'
                    ) from e
                raise api_error(e) from e
    else:
        out = [dict(o) for o in client.list(MigrationScheduleResource, namespace=scope)]
        if names:
            out = [o for o in out if o["metadata"]["name"] in names]
    if pair:
        out = [
            o
            for o in out
            if ((o.get("spec") or {}).get("template") or {}).get("spec", {}).get("clusterPair")
            == pair
        ]
    return sorted(out, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "-c", "--clusterpair", "cluster_pair", default=None, help="Only schedules of this pair."
)
@click.option("--all-namespaces", "-A", "all_namespaces", is_flag=True)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@_common
def get(
    names: tuple[str, ...],
    cluster_pair: str | None,
    all_namespaces: bool,
    output: str,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """List MigrationSchedules."""
    with connect(kubeconfig, context) as client:
        objects = _select(client, names, cluster_pair, namespace, all_namespaces)
    if output != "table":
        if objects:
            print_objects(objects, output)
        return
    if not objects:
        click.echo("No resources found.")
        return
    headers = [
        "NAME",
        "POLICYNAME",
        "CLUSTERPAIR",
        "SUSPEND",
        "LAST-SUCCESS-TIME",
        "LAST-SUCCESS-DURATION",
    ]
    rows = []
    for o in objects:
        spec = o.get("spec") or {}
        row = [
            o["metadata"]["name"],
            str(spec.get("schedulePolicyName") or ""),
            str(((spec.get("template") or {}).get("spec") or {}).get("clusterPair") or ""),
            str(bool(spec.get("suspend"))).lower(),
            *last_success(o),
        ]
        rows.append([o["metadata"]["namespace"], *row] if all_namespaces else row)
    print_table(["NAMESPACE", *headers] if all_namespaces else headers, rows)


def _each(
    action: str,
    names: tuple[str, ...],
    cluster_pair: str | None,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
    apply: Callable[[Client, dict[str, Any]], None],
) -> None:
    if not names and not cluster_pair:
        raise UserError("at least one argument needs to be provided for migration schedule name")
    with connect(kubeconfig, context) as client:
        for obj in _select(client, names, cluster_pair, namespace, False):
            try:
                apply(client, obj)
            except ApiError as e:
                raise api_error(e) from e
            click.echo(f"MigrationSchedule {obj['metadata']['name']} {action} successfully")


def _set_suspend(value: bool) -> Callable[[Client, dict[str, Any]], None]:
    def apply(client: Client, obj: dict[str, Any]) -> None:
        client.patch(
            MigrationScheduleResource,
            obj["metadata"]["name"],
            {"spec": {"suspend": value}},
            namespace=obj["metadata"]["namespace"],
            patch_type=PatchType.MERGE,
        )

    return apply


def _delete(client: Client, obj: dict[str, Any]) -> None:
    client.delete(
        MigrationScheduleResource, obj["metadata"]["name"], namespace=obj["metadata"]["namespace"]
    )


def _verb(
    action: str, help_text: str, apply: Callable[[Client, dict[str, Any]], None]
) -> click.Command:
    @click.command(help=help_text)
    @click.argument("names", nargs=-1)
    @click.option(
        "-c", "--clusterPair", "cluster_pair", default=None, help="Every schedule of this pair."
    )
    @_common
    def command(
        names: tuple[str, ...],
        cluster_pair: str | None,
        namespace: str,
        kubeconfig: str | None,
        context: str | None,
    ) -> None:
        _each(action, names, cluster_pair, namespace, kubeconfig, context, apply)

    return command


delete = _verb(
    "deleted", "Delete MigrationSchedules (every name given, or every one of -c PAIR).", _delete
)
suspend = _verb(
    "suspended", "Suspend MigrationSchedules (every name given, or of -c PAIR).", _set_suspend(True)
)
resume = _verb(
    "resumed", "Resume MigrationSchedules (every name given, or of -c PAIR).", _set_suspend(False)
)


def register(groups: dict[str, click.Group]) -> None:
    """Attach the commands to storkctl's verb groups under every alias."""
    for alias in ALIASES:
        groups["create"].add_command(create, name=alias)
        groups["get"].add_command(get, name=alias)
        groups["delete"].add_command(delete, name=alias)
        groups["suspend"].add_command(suspend, name=alias)
        groups["resume"].add_command(resume, name=alias)
