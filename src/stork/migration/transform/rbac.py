"""ClusterRoleBindings keep only the subjects of the migrated namespaces."""

from __future__ import annotations

from collections.abc import Set
from typing import Any


def _subject_in(subject: dict[str, Any], namespaces: Set[str]) -> bool:
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind == "ServiceAccount":
        return subject.get("namespace") in namespaces
    if kind == "User" and name.startswith("system:serviceaccount:"):
        parts = name.split(":")
        return len(parts) == 4 and parts[2] in namespaces
    if kind == "Group" and name.startswith("system:serviceaccounts:"):
        return name.split(":", 2)[2] in namespaces
    return False


def filter_subjects(obj: dict[str, Any], namespaces: Set[str]) -> dict[str, Any]:
    """A ClusterRoleBinding with only the subjects that belong to ``namespaces``."""
    if obj.get("kind") != "ClusterRoleBinding":
        return obj
    subjects = [s for s in obj.get("subjects") or [] if _subject_in(s, namespaces)]
    return {**obj, "subjects": subjects}
