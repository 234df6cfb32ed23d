"""``storkctl generate destination-rbac``: least-privilege access for a ClusterPair."""

from __future__ import annotations

from collections.abc import Mapping

import click

from stork.cli.command import Command, Invocation
from stork.cli.goflags import boolean, string, strings
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

  storkctl generate destination-rbac | kubectl --context destination apply -f -
  kubectl --context destination -n {DEFAULT_NAMESPACE} get secret \\
      {token_secret_name(DEFAULT_NAME)} -o jsonpath='{{.data.token}}' | base64 -d

The Secret is a long-lived ServiceAccount token (the API server fills it in); this command
never prints a token. Custom resources are migrated only for the groups given with
--custom-resource-group. Migrating Roles/ClusterRoles needs `escalate` and `bind`, as
a migrated role may grant more than this account holds; --no-rbac-escalation leaves them
out (migrated RBAC objects then fail, everything else still migrates).
"""


FLAGS = (
    string(
        "name",
        default=DEFAULT_NAME,
        help="Name of the ServiceAccount, ClusterRole and ClusterRoleBinding.",
    ),
    string(
        "namespace", "n", DEFAULT_NAMESPACE, "Namespace of the ServiceAccount and its token Secret."
    ),
    strings("custom-resource-group", help="API group of custom resources to migrate (repeatable)."),
    boolean(
        "rbac-escalation",
        default=True,
        help="Allow migrating Roles/ClusterRoles that grant more than this account holds.",
    ),
    boolean("no-rbac-escalation", help="The same as --rbac-escalation=false."),
)


def destination_rbac(inv: Invocation) -> None:
    """Print the destination's ServiceAccount, ClusterRole, binding and token Secret."""
    escalation = inv.flag("rbac-escalation") and not inv.flag("no-rbac-escalation")
    groups = inv.items("custom-resource-group") or []
    objs = destination_manifests(
        inv.text("name"), inv.namespace, groups, rbac_escalation=escalation
    )
    click.echo(render_all(objs), nl=False)


def register(verbs: Mapping[str, Command]) -> None:
    """Add the command to ``storkctl generate``."""
    verbs["generate"].add(
        Command(
            "destination-rbac",
            "Print the ServiceAccount and RBAC a ClusterPair needs on a destination",
            destination_rbac,
            flags=FLAGS,
            long=_HELP,
            needs_cluster=False,
        )
    )
