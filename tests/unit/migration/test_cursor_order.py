"""The API server's order of namespaces, which the engine's cursors follow and check."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.kube.discovery import ResourceType
from stork.migration.cursor import Cursor, key_order
from stork.migration.errors import MigrationError

names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
CONFIGMAPS = ResourceType("", "v1", "ConfigMap", "configmaps", True)


@given(st.lists(st.tuples(names, names), min_size=1, max_size=20))
def test_key_order_is_the_order_of_storage_keys(objects: list[tuple[str, str]]) -> None:
    by_key = sorted(objects, key=lambda o: f"{o[0]}/{o[1]}")
    assert [ns for ns, _ in by_key] == sorted((ns for ns, _ in objects), key=key_order)


def test_a_dash_sorts_before_the_end_of_a_name() -> None:
    assert sorted(["a", "a-b", "a0"], key=key_order) == ["a-b", "a", "a0"]


def test_a_listing_out_of_key_order_is_refused() -> None:
    async def check() -> None:
        cursor: Cursor[str] = Cursor(None, CONFIGMAPS, ["a", "b"], str)  # type: ignore[arg-type]
        cursor._checked([("a", "x"), ("b", "y")])
        with pytest.raises(MigrationError, match="out of order"):
            cursor._checked([("a", "z")])

    asyncio.run(check())
