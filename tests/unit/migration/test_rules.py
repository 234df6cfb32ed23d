"""Rules: Stork's checks, which pods run what, retries, and background commands.

The executor here stands for the container runtime behind ``pods/exec`` (the sandbox has no
kubelet); the API-server side of exec is tested in tests/integration/test_rules.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stork.kube.podexec import ExecError, ExecResult
from stork.migration.rules import Item, RuleError, RuleRunner, parse_rule, runnable


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

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
    ) -> ExecResult:
        script = command[-1]
        self.calls.append((namespace, pod, container, script))
        left = self.fail.get((pod, script), 0)
        if left:
            self.fail[(pod, script)] = left - 1
            raise ExecError("command terminated with non-zero exit code (exit code 1)")
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


@dataclass
class LocalShell:
    """A container stand-in that really runs each command with /bin/sh (and records it)."""

    env: dict[str, str]
    calls: list[str] = field(default_factory=list)

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
    ) -> ExecResult:
        self.calls.append(command[-1])
        proc = await asyncio.create_subprocess_exec(
            *command,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.CancelledError:  # as a closed exec stream leaves it: gone with no answer
            os.killpg(proc.pid, signal.SIGKILL)  # the wait script's shell too
            await proc.communicate()  # to the pipes' end, so that nothing is left open
            raise
        if proc.returncode:
            raise ExecError(f"exit code {proc.returncode}: {err.decode().strip()}")
        return ExecResult(out.decode(), err.decode())


MYSQL_STUB = r"""#!/bin/sh
# Stands in for mysql -Bse '<statements>': records them, runs each `system <cmd>` in a shell.
while [ $# -gt 0 ]; do case "$1" in -Bse) shift; statements="$1";; esac; shift; done
printf '%s\n' "$statements" > "$LOG/statements"
echo locked > "$LOG/state"
printf '%s' "$statements" | tr ';' '\n' | while read -r statement; do
  case "$statement" in system\ *) sh -c "${statement#system }";; esac
done
echo unlocked > "$LOG/state"
"""


def background_items(value: str) -> list[Item]:
    """A pre-exec rule of one background action for the pods labelled app=db."""
    return parse_rule(
        rule(
            {
                "podSelector": {"app": "db"},
                "actions": [{"type": "command", "value": value, "background": True}],
            }
        ),
        post=False,
    )


def db0_runner(shell: LocalShell, scratch: Path) -> RuleRunner:
    """A runner over the one pod db-0, its wait scripts in ``scratch``, polling quickly."""
    return RuleRunner(
        shell, pods_of([pod("db-0", app="db")]), scratch=str(scratch), poll_seconds=0.05
    )


def test_storks_documented_background_form_is_held_until_released(tmp_path: Path) -> None:
    """The generated text runs in a real shell: the mysql example's quoting survives, the
    command is held at its ${WAIT_CMD} until stop(), and then ends."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mysql").write_text(MYSQL_STUB)
    (bin_dir / "mysql").chmod(0o755)
    log = tmp_path / "log"
    log.mkdir()
    scratch = tmp_path / "container-tmp"
    scratch.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), "MYSQL_ROOT_PASSWORD": "pw"}
    shell = LocalShell(env)
    value = "mysql --user=root --password=$MYSQL_ROOT_PASSWORD -Bse 'flush tables with read lock;system ${WAIT_CMD};'"
    items = background_items(value)
    runner = db0_runner(shell, scratch)

    async def scenario() -> tuple[str, str]:
        background = await runner.run(items, ["ns"])
        held = (log / "state").read_text().strip()
        assert not background.running[0].task.done()
        await background.stop()
        return held, (log / "state").read_text().strip()

    held, after = asyncio.run(scenario())
    assert (held, after) == ("locked", "unlocked")
    assert list(scratch.iterdir()) == []  # script, status and kill files cleaned up
    statements = (log / "statements").read_text().strip()
    assert statements.startswith("flush tables with read lock;system ")
    assert statements.endswith(".sh;")
    assert " " not in statements.split("system ")[1]  # one path, as Stork substitutes


def test_a_background_command_without_wait_cmd_is_refused_and_a_failure_reported(
    tmp_path: Path,
) -> None:
    shell = LocalShell({"PATH": "/usr/bin:/bin"})
    runner = db0_runner(shell, tmp_path)
    with pytest.raises(RuleError, match=r"needs to have \$\{WAIT_CMD\} placeholder"):
        asyncio.run(runner.run(background_items("echo no wait"), ["ns"]))
    with pytest.raises(RuleError) as failed:
        asyncio.run(runner.run(background_items("exit 3; ${WAIT_CMD}"), ["ns"]))
    assert str(failed.value).startswith(
        "command: exit 3; ${WAIT_CMD} failed in pod: [ns] db-0 due to: exit code 3"
    )


@dataclass
class LosingShell(LocalShell):
    """A LocalShell whose first ``lose`` releases (``touch <kill file>``) fail, as an exec that
    the apiserver or kubelet drops would."""

    lose: int = 0

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
    ) -> ExecResult:
        if command[-1].startswith("touch ") and "killme-" in command[-1] and self.lose:
            self.lose -= 1
            self.calls.append(command[-1])
            raise ExecError("error dialing backend: EOF")
        return await super().run(namespace, pod, container, command, timeout)


def held_items() -> list[Item]:
    return background_items("${WAIT_CMD}; echo released > $LOG/state")


def test_a_lost_release_is_tried_again_so_the_command_does_not_stay_held(tmp_path: Path) -> None:
    shell = LosingShell({"PATH": "/usr/bin:/bin", "LOG": str(tmp_path)}, lose=2)
    scratch = tmp_path / "container-tmp"
    scratch.mkdir()
    runner = db0_runner(shell, scratch)

    async def scenario() -> None:
        background = await runner.run(held_items(), ["ns"])
        background.retry_seconds = 0
        await background.stop()

    asyncio.run(scenario())
    assert (tmp_path / "state").read_text() == "released\n"
    assert sum(c.startswith("touch ") for c in shell.calls) == 3
    assert list(scratch.iterdir()) == []


def test_a_release_lost_for_good_is_logged_and_its_kill_file_is_not_cleaned_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shell = LosingShell({"PATH": "/usr/bin:/bin", "LOG": str(tmp_path)}, lose=99)
    scratch = tmp_path / "container-tmp"
    scratch.mkdir()
    runner = db0_runner(shell, scratch)

    async def scenario() -> tuple[str, str]:
        background = await runner.run(held_items(), ["ns"])
        background.retry_seconds = 0
        background.end_seconds = 0.5
        running = background.running[0]
        await background.stop()
        await asyncio.gather(running.task, return_exceptions=True)  # its shell killed
        return running.wait.kill_file, running.wait.script

    kill_file, script = asyncio.run(scenario())
    assert sum(c.startswith("touch ") for c in shell.calls) == 3
    assert "could not release the background command in pod ns/db-0" in caplog.text
    assert not (tmp_path / "state").exists()
    assert not Path(script).exists()
    assert shell.calls[-1].startswith("rm -f ")
    assert kill_file not in shell.calls[-1]
