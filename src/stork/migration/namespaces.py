"""The namespace set of a migration: resolved once, checked, then used by every stage (pure).

Names given (``spec.namespaces``) and every namespace matching any ``key=value`` of
``spec.namespaceSelectors`` are the set. A Migration outside the admin namespace may cover only
its own namespace, selectors included: the check runs on the whole set, before any stage reads
or runs anything (Stork checks ``spec.namespaces`` only, so a selector could reach past it).
The rules and the engine then use exactly this set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.migration.errors import MigrationError
from stork.migration.spec import MigrationOptions

NOTHING_CHOSEN = (
    "no valid namespace found based on the provided 'Namespaces' and 'NamespaceSelectors'"
)
NOT_CONFINED = "migration namespaces should only contain the current namespace"


@dataclass(frozen=True)
class NamespaceSet:
    """The namespaces a migration covers: those that exist (with their objects) and skipped."""

    objects: tuple[Mapping[str, Any], ...]
    skipped: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The existing namespaces, sorted."""
        return [str(o["metadata"]["name"]) for o in self.objects]


def chosen_names(
    options: MigrationOptions, namespace_objects: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Names given and selector matches among ``namespace_objects`` (which may be missing)."""
    names = set(options.namespaces)
    for obj in namespace_objects:
        meta = obj["metadata"]
        labels = meta.get("labels") or {}
        if any(labels.get(k) == v for k, v in options.namespace_selectors.items()):
            names.add(str(meta["name"]))
    return names


def confined(names: Iterable[str], own_namespace: str, admin_namespace: str) -> bool:
    """True when a Migration in ``own_namespace`` may cover ``names``."""
    return own_namespace == admin_namespace or all(n == own_namespace for n in names)


def resolve_namespace_set(
    options: MigrationOptions,
    namespace_objects: Iterable[Mapping[str, Any]],
    own_namespace: str,
    admin_namespace: str,
) -> NamespaceSet:
    """The checked namespace set, or MigrationError with Stork's message, in Stork's order:
    nothing chosen; not confined to the Migration's namespace; a missing namespace when
    ``skipDeletedNamespaces`` is off (else it is skipped)."""
    by_name = {str(o["metadata"]["name"]): o for o in namespace_objects}
    names = chosen_names(options, by_name.values())
    if not names:
        raise MigrationError(NOTHING_CHOSEN)
    if not confined(names, own_namespace, admin_namespace):
        raise MigrationError(NOT_CONFINED)
    existing, skipped = [], []
    for name in sorted(names):
        if name in by_name:
            existing.append(by_name[name])
        elif options.skip_deleted_namespaces:
            skipped.append(name)
        else:
            raise MigrationError(f'error getting namespace {name}: namespaces "{name}" not found')
    return NamespaceSet(tuple(existing), tuple(skipped))
