"""``storkctl generate destination-rbac``: least-privilege access for a ClusterPair."""

from __future__ import annotations

import click

from stork.deploy.destination_rbac import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    destination_manifests,
    render_all,
    token_secret_name,
)

_HELP = f"""Print the ServiceAccount and RBAC a ClusterPair needs on a DESTINATION.

Pair clusters without an admin kubeconfig: apply this on the destination cluster, then build
the ClusterPair from the ServiceAccount's token. The migration engine on the source reaches
the destination only with the pair's credentials; these rules grant exactly what it does
there: server-side apply, list, get and delete of the migrated kinds (Namespaces are never
deleted), CRDs, and the MigrationSchedule static copies.

\b
  storkctl generate destination-rbac | kubectl --context destination apply -f -
  kubectl --context destination -n {DEFAULT_NAMESPACE} get secret \\
      {token_secret_name(DEFAULT_NAME)} -o jsonpath='{{.data.token}}' | base64 -d

The Secret is a long-lived ServiceAccount token (the API server fills it in); this command
never prints a token. Custom resources are migrated only for the groups given with
--custom-resource-group. Migrating Roles/ClusterRoles needs `escalate` and `bind`, as
a migrated role may grant more than this account holds; --no-rbac-escalation leaves them
out (migrated RBAC objects then fail, everything else still migrates).
"""


@click.command("destination-rbac", help=_HELP)
@click.option(
    "--name",
    default=DEFAULT_NAME,
    show_default=True,
    help="Name of the ServiceAccount, ClusterRole and ClusterRoleBinding.",
)
@click.option(
    "-n",
    "--namespace",
    default=DEFAULT_NAMESPACE,
    show_default=True,
    help="Namespace of the ServiceAccount and its token Secret.",
)
@click.option(
    "--custom-resource-group",
    "groups",
    multiple=True,
    metavar="GROUP",
    help="API group of custom resources to migrate (repeatable).",
)
@click.option(
    "--rbac-escalation/--no-rbac-escalation",
    default=True,
    show_default=True,
    help="Allow migrating Roles/ClusterRoles that grant more than this account holds.",
)
def destination_rbac(
    name: str, namespace: str, groups: tuple[str, ...], rbac_escalation: bool
) -> None:
    """Print the destination's ServiceAccount, ClusterRole, binding and token Secret."""
    objs = destination_manifests(name, namespace, list(groups), rbac_escalation=rbac_escalation)
    click.echo(render_all(objs), nl=False)


def register(generate: click.Group) -> None:
    """Add the command to ``storkctl generate``."""
    generate.add_command(destination_rbac)
