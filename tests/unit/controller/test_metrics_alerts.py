"""deploy/alerts/stork-alerts.yaml only uses metrics that `stork run` exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stork.controller.metrics import Metrics, StateCollector, StaticCaches
from stork.runtime.workqueue import WorkQueue

METRIC_NAME = re.compile(r"\b(?:stork|leader_election|workqueue|controller_runtime)_[a-z_]+\b")
RULES = Path(__file__).parents[3] / "deploy" / "alerts" / "stork-alerts.yaml"


def exported_names() -> set[str]:
    metrics = Metrics()
    metrics.add_state(
        StateCollector(
            StaticCaches(
                [],
                [
                    {
                        "metadata": {"name": "s", "namespace": "n"},
                        "spec": {"schedulePolicyName": "p"},
                        "status": {
                            "items": {
                                "Interval": [
                                    {
                                        "status": "Successful",
                                        "finishTimestamp": "2026-01-01T00:00:00Z",
                                    }
                                ]
                            }
                        },
                    }
                ],
                {("", "p"): {"policy": {"interval": {"intervalMinutes": 5}}}},
            )
        )
    )
    metrics.set_leader("stork-controller", True)
    metrics.reconciled("migration", "success", 1.0)
    metrics.migration_duration.labels("Successful").observe(1)
    metrics.api_requests.labels("source", "GET", "200").inc()
    metrics.api_retries.labels("source", "429").inc()
    queue: WorkQueue[str] = WorkQueue()
    metrics.watch_queue("migration", queue)
    text = generate_latest(metrics.registry).decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_every_metric_in_the_rules_is_exported() -> None:
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    used = {
        name
        for rule in rules
        for name in re.findall(
            r"\b(?:stork_[a-z_]+|leader_election_[a-z_]+|workqueue_[a-z_]+|controller_runtime_[a-z_]+)\b",
            rule["expr"],
        )
    }
    assert used
    assert used <= exported_names(), used - exported_names()
    assert all({"alert", "expr", "labels", "annotations"} <= set(rule) for rule in rules)
