"""Pre- and post-exec Rules: commands run in the application's pods around a migration.

A Rule lists items; each picks pods by label equality (in every migration namespace) and runs
its actions in order as ``sh -c <value>`` in the item's container, in every picked pod at once
(only the first with ``runInSinglePod``). Only Running pods that are not being deleted count.
A command is retried (Stork: 12 tries, 5 s apart) before the rule fails with Stork's message
``command: <cmd> failed in pod: [<ns>] <pod> due to: <err>``.

A ``background`` action (pre-exec only) keeps running while the migration copies the resources,
e.g. to hold a database lock. Its ``${WAIT_CMD}`` is replaced by a wait that blocks until the
migration ends; the command counts as started when that wait begins. When the resources are
applied (or the migration fails), the waits are released and the commands end.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from stork.kube.podexec import ExecError, ExecResult

WAIT_CMD = "${WAIT_CMD}"
COMMAND_TRIES = 12
RETRY_SECONDS = 5.0
COMMAND_TIMEOUT = 900.0


class RuleError(Exception):
    """The rule is invalid or one of its commands failed; the message is Stork's."""


class Executor(Protocol):
    """Runs one command in a pod (``stork.kube.podexec.PodExec`` on a real cluster)."""

    async def run(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        timeout: float,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> ExecResult:
        """Run ``command``; raise ExecError when it fails."""


ListPods = Callable[[str, Mapping[str, str]], Awaitable[list[dict[str, Any]]]]
"""(namespace, label selector) -> the pods of that namespace with those labels."""


@dataclass(frozen=True)
class Action:
    """One command of a rule item."""

    value: str
    background: bool = False
    run_in_single_pod: bool = False


@dataclass(frozen=True)
class Item:
    """Pods chosen by labels, the container, and the actions run in them."""

    selector: Mapping[str, str]
    container: str
    actions: tuple[Action, ...]


def parse_rule(rule: Mapping[str, Any], post: bool) -> list[Item]:
    """The items of a Rule object, checked as Stork's ValidateRule checks them."""
    meta = rule.get("metadata") or {}
    label = f"[{meta.get('namespace', '')}] {meta.get('name', '')}"
    items = []
    for raw in rule.get("rules") or []:
        actions = []
        for action in raw.get("actions") or []:
            kind = action.get("type") or ""
            if kind != "command":
                raise RuleError(f"unsupported action type: {kind} in rule: {label}")
            if post and action.get("background"):
                raise RuleError("background actions are not supported for post exec rules")
            actions.append(
                Action(
                    str(action.get("value") or ""),
                    bool(action.get("background")),
                    bool(action.get("runInSinglePod")),
                )
            )
        items.append(
            Item(
                dict(raw.get("podSelector") or {}), str(raw.get("container") or ""), tuple(actions)
            )
        )
    return items


def runnable(pods: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names of the pods a command can run in: Running and not being deleted, by name."""
    names = []
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        names.append(str(meta.get("name")))
    return sorted(names)


def wait_command(marker: str, done_file: str) -> str:
    """What ``${WAIT_CMD}`` becomes: say ``marker``, then wait until ``done_file`` exists."""
    return f"sh -c 'echo {marker}; while [ ! -e {done_file} ]; do sleep 1; done; rm -f {done_file}'"


@dataclass
class Background:
    """Background commands started by a pre-exec rule, released by :meth:`stop`."""

    executor: Executor
    running: list[tuple[str, str, str, str, asyncio.Task[ExecResult]]] = field(default_factory=list)

    async def stop(self) -> None:
        """Release every wait and let the commands end (a bounded wait; then cancelled)."""
        for namespace, pod, container, done_file, _ in self.running:
            with contextlib.suppress(ExecError):
                await self.executor.run(
                    namespace, pod, container, ["sh", "-c", f"touch {done_file}"], 30
                )
        for *_, task in self.running:
            try:
                async with asyncio.timeout(30):
                    await task
            except (TimeoutError, ExecError, asyncio.CancelledError):
                task.cancel()
        self.running.clear()


@dataclass
class RuleRunner:
    """Runs a Rule's items in the migration namespaces."""

    executor: Executor
    list_pods: ListPods
    tries: int = COMMAND_TRIES
    retry_seconds: float = RETRY_SECONDS
    timeout: float = COMMAND_TIMEOUT

    async def run(self, items: list[Item], namespaces: Iterable[str]) -> Background:
        """Run every item in every namespace; the background commands keep running."""
        background = Background(self.executor)
        try:
            for namespace in namespaces:
                for item in items:
                    pods = runnable(await self.list_pods(namespace, item.selector))
                    for action in item.actions:
                        targets = pods[:1] if action.run_in_single_pod else pods
                        if action.background:
                            await self._start(background, namespace, targets, item, action)
                        else:
                            await asyncio.gather(
                                *(self._command(namespace, p, item, action) for p in targets)
                            )
        except BaseException:
            await background.stop()
            raise
        return background

    async def _command(self, namespace: str, pod: str, item: Item, action: Action) -> None:
        for attempt in range(1, self.tries + 1):
            try:
                await self.executor.run(
                    namespace, pod, item.container, ["sh", "-c", action.value], self.timeout
                )
                return
            except ExecError as e:
                if attempt == self.tries:
                    raise RuleError(
                        f"command: {action.value} failed in pod: [{namespace}] {pod} due to: {e}"
                    ) from e
            await asyncio.sleep(self.retry_seconds)

    async def _start(
        self, background: Background, namespace: str, pods: list[str], item: Item, action: Action
    ) -> None:
        for pod in pods:
            await self._start_one(background, namespace, pod, item, action)

    async def _start_one(
        self, background: Background, namespace: str, pod: str, item: Item, action: Action
    ) -> None:
        token = uuid.uuid4().hex[:12]
        marker = f"stork-rule-started-{token}".encode()
        done_file = f"/tmp/stork-rule-done-{token}"  # noqa: S108 - in the application's container
        started = asyncio.Event()
        seen = bytearray()

        def on_stdout(chunk: bytes) -> None:
            seen.extend(chunk)
            if marker in seen:
                started.set()

        command = action.value.replace(WAIT_CMD, wait_command(marker.decode(), done_file))
        task = asyncio.create_task(
            self.executor.run(
                namespace, pod, item.container, ["sh", "-c", command], self.timeout, on_stdout
            )
        )
        background.running.append((namespace, pod, item.container, done_file, task))
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if started.is_set():
            return
        try:
            task.result()
        except ExecError as e:
            raise RuleError(
                f"command: {action.value} failed in pod: [{namespace}] {pod} due to: {e}"
            ) from e
        # Finished without ever waiting (no ${WAIT_CMD}): it ran in full, nothing to hold.
