"""CustomResourceDefinitions generated from the typed models (the models are the source).

``python -m stork.api.crd DIR`` writes one manifest per kind; ``--check`` compares instead.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stork.api.action import Action
from stork.api.applicationregistration import ApplicationRegistration
from stork.api.base import KubeObject
from stork.api.clusterpair import ClusterPair
from stork.api.constants import GROUP, VERSION
from stork.api.migration import Migration
from stork.api.migrationschedule import MigrationSchedule
from stork.api.resourcetransformation import ResourceTransformation
from stork.api.rule import Rule
from stork.api.schedulepolicy import NamespacedSchedulePolicy, SchedulePolicy

_SCALAR_KEYS = ("enum", "pattern", "minimum", "maximum", "format", "minLength", "maxLength")


@dataclass(frozen=True)
class PrinterColumn:
    """A column of ``kubectl get``."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0

    def to_crd(self) -> dict[str, Any]:
        """As an additionalPrinterColumns entry."""
        col: dict[str, Any] = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.description:
            col["description"] = self.description
        if self.priority:
            col["priority"] = self.priority
        return col


_AGE = PrinterColumn("Age", ".metadata.creationTimestamp", "date")
_POLICY_COLUMNS = (
    PrinterColumn("Interval-Minutes", ".policy.interval.intervalMinutes", "integer"),
    PrinterColumn("Daily", ".policy.daily.time"),
    PrinterColumn("Weekly-Day", ".policy.weekly.day"),
    PrinterColumn("Weekly-Time", ".policy.weekly.time"),
    PrinterColumn("Monthly-Date", ".policy.monthly.date", "integer"),
    PrinterColumn("Monthly-Time", ".policy.monthly.time"),
    _AGE,
)


@dataclass(frozen=True)
class CrdInfo:
    """Everything the CRD of one kind needs beside its model."""

    model: type[KubeObject]
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    status: bool = True
    columns: tuple[PrinterColumn, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """The CRD's name: <plural>.<group>."""
        return f"{self.plural}.{GROUP}"


CRDS: tuple[CrdInfo, ...] = (
    CrdInfo(
        ClusterPair,
        "ClusterPair",
        "clusterpairs",
        True,
        ("cp",),
        columns=(
            PrinterColumn("Storage-Status", ".status.storageStatus"),
            PrinterColumn("Scheduler-Status", ".status.schedulerStatus"),
            _AGE,
        ),
    ),
    CrdInfo(
        SchedulePolicy,
        "SchedulePolicy",
        "schedulepolicies",
        False,
        ("sp",),
        status=False,
        columns=_POLICY_COLUMNS,
    ),
    CrdInfo(
        NamespacedSchedulePolicy,
        "NamespacedSchedulePolicy",
        "namespacedschedulepolicies",
        True,
        ("nsp",),
        status=False,
        columns=_POLICY_COLUMNS,
    ),
    CrdInfo(
        MigrationSchedule,
        "MigrationSchedule",
        "migrationschedules",
        True,
        ("migrsched",),
        # No status subresource, as in Stork: Stork's storkctl activate sets
        # status.applicationActivated with a whole-object update, which it would drop.
        status=False,
        columns=(
            PrinterColumn("Policy", ".spec.schedulePolicyName"),
            PrinterColumn("ClusterPair", ".spec.template.spec.clusterPair"),
            PrinterColumn("Suspend", ".spec.suspend", "boolean"),
            _AGE,
        ),
    ),
    CrdInfo(
        Migration,
        "Migration",
        "migrations",
        True,
        ("migr",),
        columns=(
            PrinterColumn("ClusterPair", ".spec.clusterPair"),
            PrinterColumn("Stage", ".status.stage"),
            PrinterColumn("Status", ".status.status"),
            PrinterColumn(
                "Resources",
                ".status.summary.numOfMigratedResources",
                "integer",
                "Resources migrated",
                priority=1,
            ),
            _AGE,
        ),
    ),
    CrdInfo(Rule, "Rule", "rules", True, status=False),
    CrdInfo(
        ResourceTransformation,
        "ResourceTransformation",
        "resourcetransformations",
        True,
        ("rt",),
        columns=(PrinterColumn("Status", ".status.status"), _AGE),
    ),
    CrdInfo(
        ApplicationRegistration,
        "ApplicationRegistration",
        "applicationregistrations",
        False,
        ("appreg",),
        status=False,
    ),
    CrdInfo(
        Action,
        "Action",
        "actions",
        True,
        columns=(
            PrinterColumn("Type", ".spec.actionType"),
            PrinterColumn("Stage", ".status.stage"),
            PrinterColumn("Status", ".status.status"),
            _AGE,
        ),
    ),
)


class SchemaError(ValueError):
    """A model uses a construct that has no structural OpenAPI equivalent."""


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = defs[ref.rsplit("/", 1)[-1]]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return _resolve(merged, defs)


def to_structural(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Convert a pydantic JSON schema node to a structural OpenAPI v3 node.

    ``Optional[X]`` becomes X with ``nullable: true`` (Stork writes explicit nulls); models
    that keep unknown fields, and ``Any`` maps, get ``x-kubernetes-preserve-unknown-fields``.
    """
    node = _resolve(node, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) != 1:
            raise SchemaError(f"union of several types is not structural: {node}")
        inner = to_structural(options[0], defs)
        if len(options) < len(node["anyOf"]):
            inner["nullable"] = True
        if "description" in node:
            inner["description"] = node["description"]
        return inner
    out: dict[str, Any] = {}
    if "description" in node:
        out["description"] = node["description"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        out["type"] = "object"
        props = node.get("properties", {})
        if props:
            out["properties"] = {k: to_structural(v, defs) for k, v in props.items()}
        if node.get("required"):
            out["required"] = list(node["required"])
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            out["additionalProperties"] = to_structural(extra, defs)
        elif extra is True or (extra is None and not props) or extra == {}:
            out["x-kubernetes-preserve-unknown-fields"] = True
    elif kind == "array":
        out["type"] = "array"
        out["items"] = to_structural(node["items"], defs)
    elif kind in ("string", "integer", "boolean", "number"):
        out["type"] = kind
        out.update({k: node[k] for k in _SCALAR_KEYS if k in node})
        if "const" in node:
            out["enum"] = [node["const"]]
    elif not kind and not set(node) - {"description"}:
        out["x-kubernetes-preserve-unknown-fields"] = True
    else:
        raise SchemaError(f"no structural equivalent for {node}")
    return out


def openapi_schema(model: type[KubeObject]) -> dict[str, Any]:
    """The openAPIV3Schema of a kind, from its model."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.pop("$defs", {})
    out = to_structural(schema, defs)
    props = out["properties"]
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"type": "object"}
    for key in ("apiVersion", "kind", "metadata"):
        props[key].pop("nullable", None)
    return out


def crd_manifest(info: CrdInfo) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": openapi_schema(info.model)},
    }
    if info.status:
        version["subresources"] = {"status": {}}
    if info.columns:
        version["additionalPrinterColumns"] = [c.to_crd() for c in info.columns]
    names: dict[str, Any] = {
        "kind": info.kind,
        "listKind": f"{info.kind}List",
        "plural": info.plural,
        "singular": info.kind.lower(),
    }
    if info.short_names:
        names["shortNames"] = list(info.short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": info.name},
        "spec": {
            "group": GROUP,
            "names": names,
            "scope": "Namespaced" if info.namespaced else "Cluster",
            "versions": [version],
        },
    }


def render(info: CrdInfo) -> str:
    """The YAML text of one CRD manifest, as committed in deploy/crds/."""
    header = (
        "# Generated by `python -m stork.api.crd deploy/crds` from src/stork/api; do not edit.\n"
    )
    return header + yaml.safe_dump(crd_manifest(info), sort_keys=False, width=100)


def manifest_files() -> dict[str, str]:
    """File name -> content of every CRD manifest."""
    return {f"{info.name}.yaml": render(info) for info in CRDS}


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the CRD manifests in a directory."""
    parser = argparse.ArgumentParser(prog="python -m stork.api.crd", description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if the files differ")
    args = parser.parse_args(argv)
    directory: Path = args.directory
    stale = []
    for name, text in manifest_files().items():
        path = directory / name
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
        else:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("out of date (run `make crds`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
