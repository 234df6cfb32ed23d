"""Which CRDs travel together: the collected groups, and what shares a category or a group."""

from __future__ import annotations

from typing import Any

from stork.migration.resources import crd_family


def crd(plural: str, group: str, *categories: str) -> dict[str, Any]:
    names: dict[str, Any] = {"plural": plural, "kind": plural.title()}
    if categories:
        names["categories"] = list(categories)
    return {"metadata": {"name": f"{plural}.{group}"}, "spec": {"group": group, "names": names}}


CERT_MANAGER = [
    crd("certificates", "cert-manager.io", "cert-manager"),
    crd("issuers", "cert-manager.io", "cert-manager"),
    crd("clusterissuers", "cert-manager.io", "cert-manager"),
    crd("challenges", "acme.cert-manager.io", "cert-manager", "cert-manager-acme"),
    crd("orders", "acme.cert-manager.io", "cert-manager", "cert-manager-acme"),
]
OTHERS = [
    crd("prometheuses", "monitoring.coreos.com", "prometheus-operator"),
    crd("widgets", "example.com", "all"),
    crd("gadgets", "other.example.com", "ALL", "olm", "coreoperators"),
    crd("migrations", "stork.libopenstorage.org", "cert-manager"),
    {"metadata": {"name": "broken"}, "spec": "nope"},
    {"metadata": {"name": "odd.example.com"}, "spec": {"group": "odd.example.com", "names": []}},
]


def names(crds: list[Any]) -> list[str]:
    return [c["metadata"]["name"] for c in crds]


def test_a_family_sharing_a_category_travels_with_objects_of_one_of_them() -> None:
    family = crd_family([*CERT_MANAGER, *OTHERS], {"cert-manager.io"})
    assert names(family) == names(CERT_MANAGER)  # in the order given; Stork's group never


def test_the_same_from_the_other_side() -> None:
    family = crd_family([*CERT_MANAGER, *OTHERS], {"acme.cert-manager.io"})
    assert names(family) == names(CERT_MANAGER)


def test_categories_that_say_nothing_join_nothing() -> None:
    assert names(crd_family(OTHERS, {"example.com"})) == ["widgets.example.com"]
    assert names(crd_family(OTHERS, {"other.example.com"})) == ["gadgets.other.example.com"]
    assert names(crd_family(OTHERS, {"odd.example.com"})) == ["odd.example.com"]


def test_nothing_collected_nothing_travels() -> None:
    assert crd_family([*CERT_MANAGER, *OTHERS], set()) == []
    assert crd_family([], {"cert-manager.io"}) == []


def test_a_group_reached_through_a_category_brings_the_rest_of_its_group() -> None:
    crds = [
        crd("a", "one.example.com", "shared"),
        crd("b", "two.example.com", "shared"),
        crd("c", "two.example.com"),  # no category, but the group of b
        crd("d", "three.example.com"),
    ]
    assert names(crd_family(crds, {"one.example.com"})) == [
        "a.one.example.com",
        "b.two.example.com",
        "c.two.example.com",
    ]
