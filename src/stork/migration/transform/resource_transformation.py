"""ResourceTransformation: a user's add|modify|delete operations on named kinds (pure).

A ResourceTransformation (``specs.transformSpecs``) names kinds as ``group/version/Kind``
(``/v1/Service`` for the core group), optional label ``selectors``, and ``paths``: a dotted path
(no list indexes, as in Stork), a value (always a string), its type ``int|bool|string|slice|
keypair`` and the operation, with Stork's semantics:

* ``add`` sets the path: keypair ``k1:v1,k2:v2`` replaces the map, slice ``a,b`` the list,
  int and bool are parsed as Go parses them, a string is taken as is;
* ``modify`` merges a keypair into the existing map (which must exist and be non-empty),
  appends a slice's items to the list, and sets the other types;
* ``delete`` removes the path (absent: nothing to do).

A transformed object gets Stork's annotation ``stork.libopenstorage.org/resourcetransformation-
name: "true"``. Unlike Stork, every collected object of a named kind that matches the selectors
is transformed, workloads and CronJobs included (Stork skips those kinds, and objects created
after the transformation was validated).

Messages are Stork's; where Stork panics (a keypair item without ``:`` in ``add``) the message is
the one it gives in ``modify``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stork.migration.errors import MigrationError
from stork.migration.transform._objects import (
    MISSING,
    Obj,
    get_in,
    get_path,
    go_bool,
    group_kind,
    put_path,
    string_map,
    with_metadata_map,
)
from stork.migration.transform.metadata import clean_metadata
from stork.migration.transform.service import clear_service_addresses

TRANSFORMED_ANNOTATION = "stork.libopenstorage.org/resourcetransformation-name"
OPERATIONS = ("add", "modify", "delete")
TYPES = ("bool", "int", "string", "slice", "keypair")
_INT = re.compile(r"[+-]?[0-9]+")


class TransformSpecError(ValueError):
    """The ResourceTransformation's spec cannot be used; the message is Stork's."""


class ResourceTransformError(MigrationError):
    """An operation does not fit an object (e.g. a modify of a map that is not there)."""


@dataclass(frozen=True)
class PathOperation:
    """One operation on one path."""

    path: str
    value: str
    type: str
    operation: str

    @property
    def steps(self) -> tuple[str, ...]:
        """The path's keys."""
        return tuple(self.path.split("."))


@dataclass(frozen=True)
class KindTransform:
    """The operations on the objects of one kind that carry every one of ``selectors``."""

    group: str
    version: str
    kind: str
    selectors: tuple[tuple[str, str], ...]
    paths: tuple[PathOperation, ...]

    @property
    def resource(self) -> str:
        """``group/version/Kind`` as the spec names it."""
        return f"{self.group}/{self.version}/{self.kind}"

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` is of this kind (any version) and carries the selectors' labels."""
        if group_kind(obj) != (self.group, self.kind):
            return False
        labels = string_map(get_in(obj, "metadata", "labels"))
        return all(labels.get(k) == v for k, v in self.selectors)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def parse_specs(rt: Mapping[str, Any]) -> tuple[KindTransform, ...]:
    """The kinds and operations of a ResourceTransformation object, checked in Stork's order
    (``validateSpecPath``); raises TransformSpecError with Stork's message."""
    specs = get_in(rt, "specs", "transformSpecs")
    out = []
    for spec in specs if isinstance(specs, list) else []:
        if not isinstance(spec, Mapping):
            raise TransformSpecError(f"invalid transform spec: {spec!r}")
        resource = _text(spec.get("resource"))
        parts = resource.split("/")
        if len(parts) != 3:
            raise TransformSpecError(f"invalid resource kind :{resource}")
        group, version, kind = parts
        selectors = spec.get("selectors") or {}
        if not isinstance(selectors, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in selectors.items()
        ):
            raise TransformSpecError(f"selectors of {resource} must map strings to strings")
        paths = []
        for item in spec.get("paths") or []:
            if not isinstance(item, Mapping):
                raise TransformSpecError(f"invalid path of {resource}: {item!r}")
            op = PathOperation(
                _text(item.get("path")),
                _text(item.get("value")),
                _text(item.get("type")),
                _text(item.get("operation")),
            )
            if op.operation == "jsonpatch":
                raise TransformSpecError(
                    "json patch for resources is not supported, operation: jsonpatch"
                )
            if op.operation not in OPERATIONS:
                raise TransformSpecError(
                    "unsupported resource patch operation given for kind "
                    f":{kind}, operation: {op.operation}"
                )
            if op.type not in TYPES:
                raise TransformSpecError(
                    f"unsupported type for resource {kind}, path {op.path}, type: {op.type}"
                )
            if "" in op.steps:
                raise TransformSpecError(f"invalid path {op.path!r} for resource {kind}")
            paths.append(op)
        out.append(
            KindTransform(group, version, kind, tuple(sorted(selectors.items())), tuple(paths))
        )
    return tuple(out)


def _go_list(items: Sequence[str]) -> str:
    return "[" + " ".join(items) + "]"


def _keypairs(value: str) -> dict[str, str]:
    out = {}
    for item in value.split(","):
        pair = item.split(":")
        if len(pair) != 2:
            raise ResourceTransformError(f"invalid keypair value format :{_go_list(pair)}")
        out[pair[0]] = pair[1]
    return out


def parse_value(value: str, kind: str) -> Any:
    """A path's value as the type says (Go's ParseInt and ParseBool for int and bool)."""
    if kind == "keypair":
        return _keypairs(value)
    if kind == "slice":
        return value.split(",")
    if kind == "int":
        if not _INT.fullmatch(value) or not -(2**63) <= int(value) < 2**63:
            raise ResourceTransformError(f'strconv.ParseInt: parsing "{value}": invalid syntax')
        return int(value)
    if kind == "bool":
        parsed = go_bool(value)
        if parsed is None:
            raise ResourceTransformError(f'strconv.ParseBool: parsing "{value}": invalid syntax')
        return parsed
    return value


def _set(obj: Any, op: PathOperation, value: Any) -> Any:
    try:
        return put_path(obj, op.steps, value)
    except ValueError as e:
        raise ResourceTransformError(
            f"unable to perform operation {op.operation} on path {op.path}: {e}"
        ) from None


def apply_operation(obj: Mapping[str, Any], op: PathOperation) -> Obj:
    """``obj`` with one operation applied (a new object; ``obj`` is not modified)."""
    out: Any
    if op.operation == "delete":
        try:
            out = put_path(obj, op.steps, MISSING)
        except ValueError:
            out = dict(obj)  # the path does not exist: nothing to delete
        return dict(out)
    if op.operation == "modify" and op.type == "keypair":
        current = get_path(obj, op.steps)
        if not isinstance(current, Mapping) or not current:
            raise ResourceTransformError("unable to find spec path, err: <nil>")
        out = _set(obj, op, {**current, **_keypairs(op.value)})
    elif op.operation == "modify" and op.type == "slice":
        current = get_path(obj, op.steps)
        if current is MISSING or current is None:
            current = []
        if not isinstance(current, list):
            raise ResourceTransformError(
                f"unable to find spec path, err: {op.path} accessor error: "
                f"{current!r} is of the type {type(current).__name__}, expected []interface{{}}"
            )
        out = _set(obj, op, [*current, *op.value.split(",")])
    else:
        out = _set(obj, op, parse_value(op.value, op.type))
    return dict(out)


def apply_kind_transform(obj: Mapping[str, Any], transform: KindTransform) -> Obj:
    """``obj`` with every operation of ``transform``, marked as transformed."""
    out = dict(obj)
    for op in transform.paths:
        out = apply_operation(out, op)
    annotations = string_map(get_in(out, "metadata", "annotations"))
    annotations[TRANSFORMED_ANNOTATION] = "true"
    return with_metadata_map(out, "annotations", annotations)


def transform_resource(obj: Mapping[str, Any], transforms: Iterable[KindTransform]) -> Obj:
    """``obj`` with the operations of every transform that matches it, in order (other
    objects: a plain copy). Raises ResourceTransformError when an operation does not fit."""
    out = dict(obj)
    for transform in transforms:
        if transform.matches(obj):
            try:
                out = apply_kind_transform(out, transform)
            except ResourceTransformError as e:
                meta = out.get("metadata") or {}
                raise ResourceTransformError(
                    f"error updating {transform.kind} resource {meta.get('name')}: {e}"
                ) from None
    return out


#: Prefix of the generated names of dry-run objects (Stork's temporary namespace prefix).
DRY_RUN_PREFIX = "stork-transform-"


def dry_run_body(obj: Mapping[str, Any], transform: KindTransform, namespace: str) -> Obj:
    """What the ResourceTransformation controller dry-runs for a source object: the object as
    it travels (metadata cleaned, a Service's addresses and node ports left to the cluster),
    transformed, under a generated name in ``namespace`` (so that neither an existing copy
    nor a port of the original clashes with it). Raises ResourceTransformError."""
    out = clear_service_addresses(clean_metadata(obj), skip_service_update=False)
    ports = get_path(out, ("spec", "ports"))
    if group_kind(out) == ("", "Service") and isinstance(ports, list):
        bare = [
            {k: v for k, v in p.items() if k != "nodePort"} for p in ports if isinstance(p, Mapping)
        ]
        out["spec"] = {**out["spec"], "ports": bare}
    out = apply_kind_transform(out, transform)
    meta = {k: v for k, v in out["metadata"].items() if k not in ("name", "namespace")}
    out["metadata"] = {**meta, "generateName": DRY_RUN_PREFIX, "namespace": namespace}
    return out
