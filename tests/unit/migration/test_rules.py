"""Rules: Stork's checks, which pods run what, retries, and background commands.

The executor here stands for the container runtime behind ``pods/exec`` (the sandbox has no
kubelet); the API-server side of exec is tested in tests/integration/test_rules.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from stork.kube.podexec import ExecError, ExecResult
from stork.migration.rules import RuleError, RuleRunner, parse_rule, runnable


def rule(*items: dict[str, Any], name: str = "r") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns"}, "rules": list(items)}


def pod(name: str, phase: str = "Running", deleting: bool = False, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": phase}}


def test_only_commands_and_no_background_after() -> None:
    bad = rule({"podSelector": {"a": "b"}, "actions": [{"type": "script", "value": "x"}]})
    with pytest.raises(
        RuleError, match=re.escape("unsupported action type: script in rule: [ns] r")
    ):
        parse_rule(bad, post=False)
    background = rule({"actions": [{"type": "command", "value": "x", "background": True}]})
    assert parse_rule(background, post=False)[0].actions[0].background is True
    with pytest.raises(RuleError, match="background actions are not supported for post exec rules"):
        parse_rule(background, post=True)


def test_only_running_pods_not_being_deleted() -> None:
    pods = [
        pod("b"),
        pod("a"),
        pod("pending", phase="Pending"),
        pod("done", phase="Succeeded"),
        pod("leaving", deleting=True),
    ]
    assert runnable(pods) == ["a", "b"]


@dataclass
class FakeRuntime:
    """Commands as a container runtime would run them: recorded, failing when told to."""

    fail: dict[tuple[str, str], int] = field(default_factory=dict)
    calls: list[tuple[str, str, str, str]] = field(default_factory=list)
    files: set[str] = field(default_factory=set)

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> ExecResult:
        script = command[-1]
        self.calls.append((namespace, pod, container, script))
        left = self.fail.get((pod, script), 0)
        if left:
            self.fail[(pod, script)] = left - 1
            raise ExecError("command terminated with non-zero exit code (exit code 1)")
        touched = re.search(r"touch (\S+)", script)
        if touched:
            self.files.add(touched.group(1))
        waited = re.search(r"echo (stork-rule-started-\w+); while \[ ! -e (\S+) \]", script)
        if waited:
            assert on_stdout is not None
            on_stdout(waited.group(1).encode() + b"\n")
            while waited.group(2) not in self.files:
                await asyncio.sleep(0)
        return ExecResult("", "")


def pods_of(pods: list[dict[str, Any]]) -> Callable[[str, Mapping[str, str]], Any]:
    async def list_pods(_ns: str, selector: Mapping[str, str]) -> list[dict[str, Any]]:
        labels = [p["metadata"]["labels"] for p in pods]
        return [p for p, lab in zip(pods, labels, strict=True) if selector.items() <= lab.items()]

    return list_pods


def test_every_matching_pod_or_only_the_first() -> None:
    runtime = FakeRuntime()
    runner = RuleRunner(
        runtime, pods_of([pod("db-1", app="db"), pod("db-0", app="db"), pod("web", app="web")])
    )
    items = parse_rule(
        rule(
            {
                "podSelector": {"app": "db"},
                "container": "main",
                "actions": [
                    {"type": "command", "value": "flush"},
                    {"type": "command", "value": "once", "runInSinglePod": True},
                ],
            }
        ),
        post=False,
    )
    asyncio.run(runner.run(items, ["ns1", "ns2"]))
    assert runtime.calls == [
        ("ns1", "db-0", "main", "flush"),
        ("ns1", "db-1", "main", "flush"),
        ("ns1", "db-0", "main", "once"),
        ("ns2", "db-0", "main", "flush"),
        ("ns2", "db-1", "main", "flush"),
        ("ns2", "db-0", "main", "once"),
    ]


def test_a_command_is_retried_then_fails_with_storks_message() -> None:
    items = parse_rule(
        rule({"podSelector": {"app": "db"}, "actions": [{"type": "command", "value": "sync"}]}),
        post=True,
    )
    flaky = FakeRuntime(fail={("db-0", "sync"): 2})
    asyncio.run(
        RuleRunner(flaky, pods_of([pod("db-0", app="db")]), tries=3, retry_seconds=0).run(
            items, ["ns"]
        )
    )
    assert len(flaky.calls) == 3
    broken = FakeRuntime(fail={("db-0", "sync"): 99})
    runner = RuleRunner(broken, pods_of([pod("db-0", app="db")]), tries=3, retry_seconds=0)
    with pytest.raises(RuleError) as err:
        asyncio.run(runner.run(items, ["ns"]))
    assert str(err.value) == (
        "command: sync failed in pod: [ns] db-0 due to: "
        "command terminated with non-zero exit code (exit code 1)"
    )
    assert len(broken.calls) == 3


def test_background_commands_hold_until_stopped() -> None:
    runtime = FakeRuntime()
    items = parse_rule(
        rule(
            {
                "podSelector": {"app": "db"},
                "actions": [{"type": "command", "value": "lock; ${WAIT_CMD}", "background": True}],
            }
        ),
        post=False,
    )

    async def scenario() -> tuple[bool, bool]:
        background = await RuleRunner(runtime, pods_of([pod("db-0", app="db")])).run(items, ["ns"])
        held = not background.running[0][4].done()
        await background.stop()
        return held, background.running == []

    held, released = asyncio.run(scenario())
    assert held
    assert released
    assert runtime.calls[0][3].startswith("lock; sh -c 'echo stork-rule-started-")
    assert runtime.calls[1][3].startswith("touch /tmp/stork-rule-done-")
