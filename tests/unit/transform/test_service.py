"""Services lose the addresses the source cluster allocated, and keep their node ports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.migration.transform.service import SKIP_MODIFY_ANNOTATION, clear_service_addresses
from tests.unit.transform.builders import service

COMMON = {
    "selector": {"app": "web"},
    "sessionAffinity": "None",
    "ipFamilies": ["IPv4"],
    "ipFamilyPolicy": "SingleStack",
    "internalTrafficPolicy": "Cluster",
}


def test_cluster_ip_service() -> None:
    svc = service(type="ClusterIP", clusterIP="10.96.12.7", clusterIPs=["10.96.12.7"])
    before = copy.deepcopy(svc)
    out = clear_service_addresses(svc, skip_service_update=False)
    assert out["spec"] == {
        **COMMON,
        "type": "ClusterIP",
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
    }
    assert {k: v for k, v in out.items() if k != "spec"} == {
        k: v for k, v in before.items() if k != "spec"
    }
    assert svc == before


def test_load_balancer_keeps_node_ports_and_external_ips() -> None:
    svc = service(
        type="LoadBalancer",
        clusterIP="10.96.0.10",
        clusterIPs=["10.96.0.10", "fd00::a"],
        loadBalancerIP="203.0.113.10",
        externalTrafficPolicy="Local",
        healthCheckNodePort=31456,
        externalIPs=["198.51.100.7"],
        ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
    )
    before = copy.deepcopy(svc)
    assert clear_service_addresses(svc, False)["spec"] == {
        **COMMON,
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "externalIPs": ["198.51.100.7"],
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
    }
    assert svc == before


@pytest.mark.parametrize("cluster_ips", [["None"], None])
def test_headless_service_stays_headless(cluster_ips: list[str] | None) -> None:
    spec: dict[str, Any] = {"clusterIP": "None"}
    if cluster_ips is not None:
        spec["clusterIPs"] = cluster_ips
    out = clear_service_addresses(service(**spec), False)
    assert out["spec"]["clusterIP"] == "None"
    assert out["spec"]["clusterIPs"] == ["None"]


def test_external_name_service() -> None:
    svc = service(type="ExternalName", externalName="db.example.com")
    assert clear_service_addresses(svc, False) == svc


def test_skip_flag_and_skip_annotation_keep_everything() -> None:
    svc = service(clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"], healthCheckNodePort=31000)
    skipped = clear_service_addresses(svc, skip_service_update=True)
    assert skipped == svc
    assert skipped is not svc
    marked = copy.deepcopy(svc)
    marked["metadata"]["annotations"] = {SKIP_MODIFY_ANNOTATION: ""}  # presence is enough
    assert clear_service_addresses(marked, False) == marked


def test_other_kinds_are_untouched() -> None:
    knative = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "k"},
        "spec": {"clusterIP": "10.0.0.1"},
    }
    assert clear_service_addresses(knative, False) == knative
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert clear_service_addresses(config_map, False) == config_map
    assert clear_service_addresses({"apiVersion": "v1", "kind": "Service"}, False) == {
        "apiVersion": "v1",
        "kind": "Service",
    }


def test_idempotent() -> None:
    for svc in (
        service(clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"], loadBalancerIP="1.2.3.4"),
        service(clusterIP="None"),
    ):
        once = clear_service_addresses(svc, False)
        assert clear_service_addresses(once, False) == once
