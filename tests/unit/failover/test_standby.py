"""Which destination Services count as served (their webhooks are then not parked)."""

from __future__ import annotations

from typing import Any

import pytest

from stork.failover.standby import serves


def endpoint_slice(*endpoints: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-abc", "labels": {"kubernetes.io/service-name": "web"}},
        "endpoints": list(endpoints),
    }


@pytest.mark.parametrize(
    ("endpoints", "served"),
    [
        ([], False),
        ([{"addresses": ["10.1.0.5"], "conditions": {"ready": True}}], True),
        ([{"addresses": ["10.1.0.5"], "conditions": {}}], True),  # unset: ready, as documented
        ([{"addresses": ["10.1.0.5"]}], True),
        ([{"addresses": ["10.1.0.5"], "conditions": {"ready": False}}], False),
        ([{"addresses": [], "conditions": {"ready": True}}], False),
        (
            [
                {"addresses": ["10.1.0.5"], "conditions": {"ready": False}},
                {"addresses": ["10.1.0.6"], "conditions": {"ready": True}},
            ],
            True,
        ),
    ],
)
def test_a_service_is_served_when_some_endpoint_is_ready(
    endpoints: list[dict[str, Any]], served: bool
) -> None:
    assert serves(endpoint_slice(*endpoints)) is served
    assert serves({"metadata": {}, "endpoints": None}) is False
