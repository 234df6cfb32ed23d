"""The controller's in-cluster manifests: Namespace, ServiceAccount, RBAC, Deployment.

This module is the single source of truth: ``deploy/*.yaml`` is its output with the default
settings (``python -m stork.deploy deploy`` writes it, ``--check`` fails when it drifted, and a
unit test does the same), the Helm chart is tested to render the same objects, and
``stork install --controller`` applies :func:`controller_manifests`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

from stork.deploy.rbac import (
    CommentedRule,
    controller_rules,
    failover_rules,
    leader_election_rules,
    plain,
    source_read_rules,
)

Manifest = dict[str, Any]

NAME = "stork"
NAMESPACE = "stork-system"
IMAGE_REPOSITORY = "ghcr.io/stork-py/stork"
METRICS_PORT = 8080
HEALTH_PORT = 8081
#: The user and group of the image (Dockerfile); any non-root id works.
RUN_AS = 65532


def package_version() -> str:
    """The installed stork-py version (the image tag)."""
    try:
        return version("stork-py")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def default_image() -> str:
    """The controller image matching this package's version."""
    return f"{IMAGE_REPOSITORY}:{package_version()}"


@dataclass(frozen=True)
class DeploySettings:
    """What can be changed (the same knobs as the Helm chart's values)."""

    namespace: str = NAMESPACE
    image: str = field(default_factory=default_image)
    replicas: int = 2
    requests: dict[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "128Mi"})
    limits: dict[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "1Gi"})
    custom_resource_groups: tuple[str, ...] = ()


LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": NAME}
SELECTOR = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "controller"}


def _meta(name: str, namespace: str | None = None, **extra: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {**LABELS, **extra}
    return meta


def namespace(s: DeploySettings) -> Manifest:
    """The controller's namespace; its pods meet the "restricted" Pod Security Standard."""
    meta = _meta(s.namespace)
    meta["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def service_account(s: DeploySettings) -> Manifest:
    """The controller's identity on the source cluster."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME, s.namespace)}


def _role(kind: str, name: str, ns: str | None, rules: list[CommentedRule]) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": _meta(name, ns),
        "rules": rules,  # commented rules; see manifests()/render()
    }


def _binding(kind: str, name: str, ns: str | None, role_kind: str, s: DeploySettings) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": _meta(name, ns),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": s.namespace}],
    }


def rbac(s: DeploySettings) -> list[Manifest]:
    """ClusterRoles, a Role and their bindings; rules still carry their comments."""
    controller, reader, election = (
        f"{NAME}-controller",
        f"{NAME}-migration-source",
        f"{NAME}-leader-election",
    )
    return [
        _role("ClusterRole", controller, None, controller_rules()),
        _binding("ClusterRoleBinding", controller, None, "ClusterRole", s),
        _role("ClusterRole", reader, None, source_read_rules(list(s.custom_resource_groups))),
        _binding("ClusterRoleBinding", reader, None, "ClusterRole", s),
        _role("Role", election, s.namespace, leader_election_rules()),
        _binding("RoleBinding", election, s.namespace, "Role", s),
    ]


def _container(s: DeploySettings) -> dict[str, Any]:
    def field_env(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    def probe(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": "health"}, "periodSeconds": 10}

    return {
        "name": "controller",
        "image": s.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["stork"],
        "args": [
            "run",
            "--metrics-bind-address",
            f":{METRICS_PORT}",
            "--health-probe-bind-address",
            f":{HEALTH_PORT}",
        ],
        "env": [
            field_env("POD_NAME", "metadata.name"),
            field_env("POD_NAMESPACE", "metadata.namespace"),
        ],
        "ports": [
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        "livenessProbe": {**probe("/healthz"), "initialDelaySeconds": 15},
        "readinessProbe": {**probe("/readyz"), "initialDelaySeconds": 5},
        "resources": {"requests": dict(s.requests), "limits": dict(s.limits)},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir
    }


def deployment(s: DeploySettings) -> Manifest:
    """The controller: ``replicas`` pods, one of them leading (Lease), spread over nodes."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, s.namespace, **{"app.kubernetes.io/component": "controller"}),
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": dict(SELECTOR)},
            # Ready does not depend on leadership, so a rolling update cannot dead-lock.
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {**LABELS, **SELECTOR}},
                "spec": {
                    "serviceAccountName": NAME,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": RUN_AS,
                        "runAsGroup": RUN_AS,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "topologyKey": "kubernetes.io/hostname",
                                        "labelSelector": {"matchLabels": dict(SELECTOR)},
                                    },
                                }
                            ]
                        }
                    },
                    "terminationGracePeriodSeconds": 30,
                    "containers": [_container(s)],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def failover_rbac(s: DeploySettings) -> list[Manifest]:
    """The writes of failovers, failbacks and drills on the controller's own cluster; rules
    still carry their comments."""
    name = f"{NAME}-failover"
    return [
        _role("ClusterRole", name, None, failover_rules(list(s.custom_resource_groups))),
        _binding("ClusterRoleBinding", name, None, "ClusterRole", s),
    ]


#: Output files of deploy/ and what each holds.
FILES = ("namespace.yaml", "rbac.yaml", "deployment.yaml")
#: Applied only on the cluster that runs failovers, failbacks and drills (the destination,
#: the cluster failed over to): the source's controller stays a reader there.
OPTIONAL_FILES = ("failover-rbac.yaml",)


def _commented(s: DeploySettings) -> dict[str, list[Manifest]]:
    return {
        "namespace.yaml": [namespace(s)],
        "rbac.yaml": [service_account(s), *rbac(s)],
        "deployment.yaml": [deployment(s)],
    }


def _without_comments(obj: Manifest) -> Manifest:
    if "rules" not in obj:
        return obj
    return {**obj, "rules": plain(obj["rules"])}


def failover_manifests(settings: DeploySettings | None = None) -> list[Manifest]:
    """The objects of ``failover-rbac.yaml`` (apply them after the controller's)."""
    return [_without_comments(o) for o in failover_rbac(settings or DeploySettings())]


def controller_manifests(settings: DeploySettings | None = None) -> list[Manifest]:
    """Every object of the controller's deployment (CRDs aside), in the order to apply them."""
    s = settings or DeploySettings()
    return [_without_comments(o) for f in FILES for o in _commented(s)[f]]


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)


def _render_rules(rules: list[CommentedRule]) -> str:
    out = ["rules:"]
    for comment, rule in rules:
        out.append(f"  # {comment}")
        body = yaml.dump(rule, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=1000)
        lines = body.rstrip("\n").splitlines()
        out.append(f"  - {lines[0]}")
        out += [f"    {line}" for line in lines[1:]]
    return "\n".join(out) + "\n"


def render(obj: Manifest) -> str:
    """One object as YAML; RBAC rules are written with the comment saying what each is for."""
    if "rules" not in obj:
        return _dump(obj)
    head = {k: v for k, v in obj.items() if k != "rules"}
    return _dump(head) + _render_rules(obj["rules"])


HEADER = (
    "# Generated from src/stork/deploy/manifests.py and src/stork/deploy/rbac.py\n"
    "# (python -m stork.deploy deploy); do not edit: a test fails when this file and the\n"
    "# generator differ.\n"
)
RBAC_NOTE = (
    "# Least privilege: the controller reads the source (it never writes migrated objects there;\n"
    "# those writes go to the destination with the ClusterPair's credentials, see `storkctl\n"
    "# generate destination-rbac`); failover-rbac.yaml, applied only on the cluster failed over\n"
    "# to, lets it write its own applications there. Custom resources are migrated only from\n"
    "# groups it may list: bind a ClusterRole with `list` on them to ServiceAccount\n"
    "# stork-system/stork (or set the Helm value customResourceGroups).\n"
)


def manifest_files(settings: DeploySettings | None = None) -> dict[str, str]:
    """File name -> YAML text of deploy/ (multi-document, ``---`` separated)."""
    s = settings or DeploySettings()
    return {
        name: HEADER
        + (RBAC_NOTE if name == "rbac.yaml" else "")
        + "---\n".join(render(o) for o in objs)
        for name, objs in _commented(s).items()
    }


FAILOVER_NOTE = (
    "# Apply on the cluster that runs failovers, failbacks and drills (the destination, where\n"
    "# `storkctl perform` creates them) after rbac.yaml: its controller scales the migrated\n"
    "# applications there (failover scale-up, failback scale-down) and writes a drill's\n"
    "# <ns>-<suffix> namespaces. Not on the source: its controller only reads there.\n"
)


def optional_files(settings: DeploySettings | None = None) -> dict[str, str]:
    """File name -> YAML text of deploy/'s files applied only where needed."""
    objs = failover_rbac(settings or DeploySettings())
    return {"failover-rbac.yaml": HEADER + FAILOVER_NOTE + "---\n".join(render(o) for o in objs)}


def main(argv: list[str] | None = None) -> int:
    """Write deploy/*.yaml, or with --check report whether they are current."""
    parser = argparse.ArgumentParser(prog="python -m stork.deploy")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--check", action="store_true", help="fail when the files differ")
    args = parser.parse_args(argv)
    files = {**manifest_files(), **optional_files()}
    stale = [n for n, text in files.items() if _read(args.directory / n) != text]
    if args.check:
        for name in stale:
            print(f"{args.directory / name} is out of date: run `python -m stork.deploy DIR`")
        return 1 if stale else 0
    for name in stale:
        (args.directory / name).write_text(files[name])
        print(f"wrote {args.directory / name}")
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
