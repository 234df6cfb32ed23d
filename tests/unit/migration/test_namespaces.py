"""The namespace set of a migration: names, selector matches, the tenant check, missing ones."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.errors import MigrationError
from stork.migration.namespaces import (
    NOT_CONFINED,
    NamespaceSet,
    chosen_names,
    confined,
    resolve_namespace_set,
)
from stork.migration.spec import MigrationOptions


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


CLUSTER = [ns("a"), ns("b", team="x"), ns("c", team="x", tier="db"), ns("d", tier="db")]
ADMIN = "kube-system"


def options(**spec: Any) -> MigrationOptions:
    return MigrationOptions.from_spec({"clusterPair": "p", **spec})


def resolve(own: str = ADMIN, **spec: Any) -> NamespaceSet:
    return resolve_namespace_set(options(**spec), CLUSTER, own, ADMIN)


def test_names_and_each_selector_entry_add_up() -> None:
    chosen = resolve(namespaces=["a"], namespaceSelectors={"team": "x", "tier": "db"})
    assert chosen.names == ["a", "b", "c", "d"]
    assert chosen.skipped == ()
    assert resolve(namespaceSelectors={"team": "y"}, namespaces=["a"]).names == ["a"]


def test_missing_namespaces_are_skipped_or_fatal() -> None:
    chosen = resolve(namespaces=["a", "gone"])
    assert (chosen.names, chosen.skipped) == (["a"], ("gone",))
    with pytest.raises(
        MigrationError, match='error getting namespace gone: namespaces "gone" not found'
    ):
        resolve(namespaces=["a", "gone"], skipDeletedNamespaces=False)


def test_nothing_chosen_is_storks_error() -> None:
    with pytest.raises(MigrationError, match="no valid namespace found"):
        resolve(namespaceSelectors={"team": "nobody"})


def test_a_tenant_covers_only_its_own_namespace_selectors_included() -> None:
    assert resolve("a", namespaces=["a"]).names == ["a"]
    with pytest.raises(MigrationError, match=f"^{NOT_CONFINED}$"):
        resolve("a", namespaces=["a"], namespaceSelectors={"team": "x"})
    with pytest.raises(MigrationError, match=f"^{NOT_CONFINED}$"):
        resolve("a", namespaces=["a", "b"])
    # A missing namespace of someone else is refused as such, not reported as missing.
    with pytest.raises(MigrationError, match=f"^{NOT_CONFINED}$"):
        resolve("a", namespaces=["a", "gone"], skipDeletedNamespaces=False)
    # A selector that matches nothing beyond the tenant's own namespace is fine.
    assert resolve("b", namespaceSelectors={"team": "nobody"}, namespaces=["b"]).names == ["b"]


def test_the_admin_namespace_may_cover_several() -> None:
    assert resolve(ADMIN, namespaceSelectors={"tier": "db"}).names == ["c", "d"]


@given(
    st.sets(st.sampled_from("abcdz")),
    st.dictionaries(st.sampled_from(["team", "tier"]), st.sampled_from(["x", "db", "q"])),
    st.sampled_from(["a", "b", ADMIN]),
)
def test_whatever_the_spec_a_tenant_never_gets_another_namespace(
    names: set[str], selectors: dict[str, str], own: str
) -> None:
    opts = options(namespaces=sorted(names), namespaceSelectors=selectors)
    try:
        chosen = resolve_namespace_set(opts, CLUSTER, own, ADMIN)
    except MigrationError:
        return
    covered = set(chosen.names) | set(chosen.skipped)
    assert covered == chosen_names(opts, CLUSTER)
    if own != ADMIN:
        assert covered <= {own}
    assert confined(covered, own, ADMIN)
