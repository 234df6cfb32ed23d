"""NodePort clashes: the refused ports read from the API server's message, released, described."""

from __future__ import annotations

import copy

from stork.migration.transform.nodeports import (
    describe_changes,
    refused_node_ports,
    release_node_ports,
)
from tests.unit.transform.builders import deployment, service

TAKEN = (
    'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is'
    " already allocated"
)
RANGE = (
    'Service "web" is invalid: [spec.ports[1].nodePort: Invalid value: 40000: provided port is'
    " not in the valid range. The range of valid ports is 30000-32767, spec.ports[0].nodePort:"
    " Invalid value: 30080: provided port is already allocated]"
)


def test_refused_ports_are_read_from_the_message() -> None:
    assert refused_node_ports(TAKEN) == [30080]
    assert refused_node_ports(RANGE) == [40000, 30080]
    assert refused_node_ports('Service "web" is invalid: spec.type: Invalid value') == []
    assert refused_node_ports(TAKEN + "; " + TAKEN) == [30080]


def test_only_the_refused_port_is_released_on_every_entry_asking_for_it() -> None:
    svc = service(
        type="NodePort",
        ports=[
            {"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080},
            {"name": "dns", "port": 80, "protocol": "UDP", "nodePort": 30080},
            {"name": "admin", "port": 81, "protocol": "TCP", "nodePort": 30081},
        ],
    )
    before = copy.deepcopy(svc)
    out = release_node_ports(svc, [30080])
    assert out["spec"]["ports"] == [
        {"name": "http", "port": 80, "protocol": "TCP"},
        {"name": "dns", "port": 80, "protocol": "UDP"},
        {"name": "admin", "port": 81, "protocol": "TCP", "nodePort": 30081},
    ]
    assert svc == before
    assert release_node_ports(svc, [31000]) == svc
    assert release_node_ports(deployment(), [30080]) == deployment()


def test_the_ledger_names_each_changed_port() -> None:
    wanted = service(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 30080}])
    applied = service(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 31245}])
    assert describe_changes(wanted, applied, [30080]) == (
        "nodePort 30080 of port 80/TCP (http) is not available on the destination; it has 31245"
    )
    assert describe_changes(wanted, {}, [30080]).endswith("it has none")
    assert describe_changes(wanted, applied, []) == ""
