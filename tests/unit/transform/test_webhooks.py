"""Webhook configurations without a backend on the standby are parked, per service namespace."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.migration.transform import TransformContext, TransformInputs, transform
from stork.migration.transform.parking import describe, records, repark, restore
from stork.migration.transform.webhooks import park_webhooks
from tests.unit.transform.builders import server_metadata


def hook(name: str, service: tuple[str, str] | None, policy: str | None = "Fail") -> Any:
    client: dict[str, Any] = (
        {"url": "https://hooks.example.com/x"}
        if service is None
        else {"service": {"namespace": service[0], "name": service[1], "path": "/validate"}}
    )
    out: dict[str, Any] = {
        "name": name,
        "clientConfig": client,
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    }
    if policy is not None:
        out["failurePolicy"] = policy
    return out


def config(*webhooks: Any, kind: str = "ValidatingWebhookConfiguration") -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": server_metadata("cert-manager-webhook", namespace=None),
        "webhooks": list(webhooks),
    }


@pytest.mark.parametrize("kind", ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"])
def test_only_webhooks_of_migrated_namespaces_without_a_backend_are_parked(kind: str) -> None:
    obj = config(
        hook("a.example.com", ("cert-manager", "webhook")),  # parked
        hook("b.example.com", ("cert-manager", "live")),  # served on the destination
        hook("c.example.com", ("other", "webhook")),  # not a migrated namespace
        hook("d.example.com", None),  # a url: not ours to judge
        hook("e.example.com", ("cert-manager", "webhook"), policy=None),  # defaulted: Fail
        hook("f.example.com", ("cert-manager", "webhook"), policy="Ignore"),  # never blocks
        kind=kind,
    )
    before = copy.deepcopy(obj)
    out = park_webhooks(obj, {"cert-manager"}, {("cert-manager", "live")}, False)
    policies = [w.get("failurePolicy") for w in out["webhooks"]]
    assert policies == ["Ignore", "Fail", "Fail", "Fail", "Ignore", "Ignore"]
    assert [(e.path, e.namespace) for e in records(out)] == [
        (("webhooks", 0, "failurePolicy"), "cert-manager"),
        (("webhooks", 4, "failurePolicy"), "cert-manager"),
    ]
    assert restore(out)["webhooks"] == before["webhooks"]
    assert restore(out, {"other"})["webhooks"] == out["webhooks"]
    assert repark(restore(out), {"cert-manager"})["webhooks"] == out["webhooks"]
    assert obj == before
    assert describe(out).startswith('parked on the standby: webhooks[0].failurePolicy "Fail"')


def test_start_applications_leaves_them_and_starts_a_parked_copy() -> None:
    obj = config(hook("a", ("ns", "svc")))
    assert park_webhooks(obj, {"ns"}, set(), True) == obj
    parked = park_webhooks(obj, {"ns"}, set(), False)
    assert park_webhooks(parked, {"ns"}, set(), True)["webhooks"] == obj["webhooks"]


def test_a_backend_that_came_up_unparks_on_the_next_migration() -> None:
    parked = park_webhooks(config(hook("a", ("ns", "svc"))), {"ns"}, set(), False)
    again = park_webhooks(parked, {"ns"}, {("ns", "svc")}, False)
    # a parked copy whose backend is served now gets its original policy back, unrecorded
    assert again["webhooks"][0]["failurePolicy"] == "Fail"
    assert records(again) == []
    source = config(hook("a", ("ns", "svc")))
    assert park_webhooks(source, {"ns"}, {("ns", "svc")}, False) == source


def test_other_objects_and_odd_shapes() -> None:
    assert park_webhooks({"kind": "ConfigMap", "metadata": {}}, {"ns"}, set(), False) == {
        "kind": "ConfigMap",
        "metadata": {},
    }
    odd = config()
    odd["webhooks"] = "nope"
    assert park_webhooks(odd, {"ns"}, set(), False)["webhooks"] == "nope"
    no_service = config({"name": "x", "clientConfig": {"service": {"name": 3}}})
    assert records(park_webhooks(no_service, {"ns"}, set(), False)) == []


def test_live_services_come_from_the_inputs_through_the_whole_transform() -> None:
    obj = config(hook("a", ("app", "svc")))
    parked = transform(obj, TransformContext(namespaces=frozenset({"app"})))
    assert parked["webhooks"][0]["failurePolicy"] == "Ignore"
    inputs = TransformInputs(live_services=frozenset({("app", "svc")}))
    served = transform(obj, TransformContext(namespaces=frozenset({"app"}), inputs=inputs))
    assert served["webhooks"][0]["failurePolicy"] == "Fail"
