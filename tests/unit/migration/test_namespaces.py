"""Which namespaces a migration covers: names given, selector matches, missing ones (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from stork.migration.engine import MigrationError, pick_namespaces
from stork.migration.spec import MigrationOptions


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


CLUSTER = [ns("a"), ns("b", team="x"), ns("c", team="x", tier="db"), ns("d", tier="db")]


def options(**spec: Any) -> MigrationOptions:
    return MigrationOptions.from_spec({"clusterPair": "p", **spec})


def test_names_and_each_selector_entry_add_up() -> None:
    chosen = options(namespaces=["a"], namespaceSelectors={"team": "x", "tier": "db"})
    assert pick_namespaces(chosen, CLUSTER) == (["a", "b", "c", "d"], [])
    assert pick_namespaces(
        options(namespaceSelectors={"team": "y"}, namespaces=["a"]), CLUSTER
    ) == (
        ["a"],
        [],
    )


def test_missing_namespaces_are_skipped_or_fatal() -> None:
    assert pick_namespaces(options(namespaces=["a", "gone"]), CLUSTER) == (["a"], ["gone"])
    strict = options(namespaces=["a", "gone"], skipDeletedNamespaces=False)
    with pytest.raises(
        MigrationError, match='error getting namespace gone: namespaces "gone" not found'
    ):
        pick_namespaces(strict, CLUSTER)


def test_nothing_chosen_is_storks_error() -> None:
    with pytest.raises(MigrationError, match="no valid namespace found"):
        pick_namespaces(options(namespaceSelectors={"team": "nobody"}), CLUSTER)
