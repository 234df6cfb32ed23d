"""Pre- and post-exec Rules: commands run in the application's pods around a migration.

A Rule lists items; each picks pods by label equality (in every migration namespace) and runs
its actions in order as ``sh -c <value>`` in the item's container, in every picked pod at once
(only the first with ``runInSinglePod``). Only Running pods that are not being deleted count.
A command is retried (Stork: 12 tries, 5 s apart) before the rule fails with Stork's message
``command: <cmd> failed in pod: [<ns>] <pod> due to: <err>``.

A ``background`` action (pre-exec only) keeps running while the migration copies the resources,
e.g. to hold a database lock. As Stork's cmdexecutor does, a small wait script is first written
into the container (``/tmp/wait-<id>.sh``: it creates a status file, then waits for a kill
file), and ``${WAIT_CMD}`` is replaced by that script's path, so the placeholder works inside
any quoting (Stork's documented ``mysql ... -Bse 'flush tables with read lock;system
${WAIT_CMD};'``). The command counts as started once the status file exists; when the resources
are applied (or the migration fails) the kill files are created and the commands end.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from stork.kube.podexec import ExecError, ExecResult

WAIT_CMD = "${WAIT_CMD}"
COMMAND_TRIES = 12
RETRY_SECONDS = 5.0
COMMAND_TIMEOUT = 900.0

log = logging.getLogger(__name__)


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
    ) -> ExecResult:
        """Run ``command``; raise ExecError when it fails."""


ListPods = Callable[[str, Mapping[str, str]], Awaitable[list[dict[str, Any]]]]
"""(namespace, label selector) -> the pods of that namespace with those labels."""


async def retried(attempt: Callable[[], Awaitable[object]], tries: int, pause: float) -> None:
    """Await ``attempt()`` until it succeeds, at most ``tries`` times, ``pause`` seconds apart;
    the last ExecError is raised."""
    for n in range(1, tries + 1):
        try:
            await attempt()
            return
        except ExecError:
            if n == tries:
                raise
        await asyncio.sleep(pause)


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


@dataclass(frozen=True)
class WaitScript:
    """The files of one background command in its container (Stork's layout, under /tmp)."""

    token: str
    directory: str = "/tmp"  # noqa: S108 - in the application's container, as Stork does

    @property
    def script(self) -> str:
        """What ``${WAIT_CMD}`` becomes."""
        return f"{self.directory}/wait-{self.token}.sh"

    @property
    def status_file(self) -> str:
        """Exists once the command reached its ``${WAIT_CMD}``."""
        return f"{self.directory}/stork-cmd-done-{self.token}"

    @property
    def kill_file(self) -> str:
        """Created to let the command go on (and end)."""
        return f"{self.directory}/killme-{self.token}"

    def create_command(self) -> str:
        """The shell command that writes the wait script into the container."""
        body = f"touch {self.status_file} && while [ ! -f {self.kill_file} ]; do sleep 1; done"
        return (
            f"rm -f {self.status_file} {self.kill_file} && echo '{body}' > {self.script}"
            f" && chmod +x {self.script}"
        )

    def command(self, value: str) -> str:
        """``value`` with every ``${WAIT_CMD}`` replaced by the script's path."""
        return value.replace(WAIT_CMD, self.script)

    def started_command(self) -> str:
        """Succeeds once the command is waiting."""
        return f"test -e {self.status_file}"

    def release_command(self) -> str:
        """Lets the command go on."""
        return f"touch {self.kill_file}"

    def cleanup_command(self, ended: bool = True) -> str:
        """Removes the files; the kill file only once the command ended."""
        kill = f" {self.kill_file}" if ended else ""
        return f"rm -f {self.script} {self.status_file}{kill}"


@dataclass(frozen=True)
class Running:
    """One background command and where it runs."""

    namespace: str
    pod: str
    container: str
    wait: WaitScript
    task: asyncio.Task[ExecResult]


@dataclass
class Background:
    """Background commands started by a pre-exec rule, released by :meth:`stop`."""

    executor: Executor
    running: list[Running] = field(default_factory=list)
    #: Tries of each release (a lost release would hold the application's lock for good).
    release_tries: int = 3
    retry_seconds: float = 1.0
    #: How long each released command may take to end before it is given up on.
    end_seconds: float = 30.0

    async def _sh(self, r: Running, command: str) -> bool:
        try:
            await self.executor.run(r.namespace, r.pod, r.container, ["sh", "-c", command], 30)
        except ExecError as e:
            log.warning("in pod %s/%s: %s failed: %s", r.namespace, r.pod, command, e)
            return False
        return True

    async def _release(self, r: Running) -> None:
        async def once() -> None:
            if not r.task.done():  # a command that ended needs no release
                command = ["sh", "-c", r.wait.release_command()]
                await self.executor.run(r.namespace, r.pod, r.container, command, 30)

        try:
            await retried(once, self.release_tries, self.retry_seconds)
        except ExecError as e:
            log.error(
                "could not release the background command in pod %s/%s (%s): it may still hold "
                "what it holds until %s exists in its container",
                r.namespace,
                r.pod,
                e,
                r.wait.kill_file,
            )

    async def stop(self) -> None:
        """Release every wait and let the commands end (a bounded wait; then cancelled)."""
        await asyncio.gather(*(self._release(r) for r in self.running))
        for r in self.running:
            try:
                async with asyncio.timeout(self.end_seconds):
                    await r.task
            except (TimeoutError, ExecError, asyncio.CancelledError):
                r.task.cancel()
            # The kill file stays while the command may still be waiting for it.
            ended = r.task.done() and not r.task.cancelled()
            await self._sh(r, r.wait.cleanup_command(ended=ended))
        self.running.clear()


@dataclass
class RuleRunner:
    """Runs a Rule's items in the migration namespaces."""

    executor: Executor
    list_pods: ListPods
    tries: int = COMMAND_TRIES
    retry_seconds: float = RETRY_SECONDS
    timeout: float = COMMAND_TIMEOUT
    #: Seconds between two checks of a background command's status file.
    poll_seconds: float = 1.0
    #: Where the wait scripts go in the containers.
    scratch: str = "/tmp"  # noqa: S108 - in the application's container, as Stork does

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
        command = ["sh", "-c", action.value]
        try:
            await retried(
                lambda: self.executor.run(namespace, pod, item.container, command, self.timeout),
                self.tries,
                self.retry_seconds,
            )
        except ExecError as e:
            raise RuleError(
                f"command: {action.value} failed in pod: [{namespace}] {pod} due to: {e}"
            ) from e

    async def _start(
        self, background: Background, namespace: str, pods: list[str], item: Item, action: Action
    ) -> None:
        for pod in pods:
            await self._start_one(background, namespace, pod, item, action)

    async def _start_one(
        self, background: Background, namespace: str, pod: str, item: Item, action: Action
    ) -> None:
        def failed(reason: object) -> RuleError:
            return RuleError(
                f"command: {action.value} failed in pod: [{namespace}] {pod} due to: {reason}"
            )

        if WAIT_CMD not in action.value:
            raise failed(f"given command: {action.value} needs to have {WAIT_CMD} placeholder")
        wait = WaitScript(uuid.uuid4().hex[:12], self.scratch)
        run = self.executor.run
        try:
            await run(namespace, pod, item.container, ["sh", "-c", wait.create_command()], 60)
        except ExecError as e:
            raise failed(f"failed to create wait script in pod: {e}") from e
        task = asyncio.create_task(
            run(
                namespace,
                pod,
                item.container,
                ["sh", "-c", wait.command(action.value)],
                self.timeout,
            )
        )
        background.running.append(Running(namespace, pod, item.container, wait, task))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while loop.time() < deadline:
            if task.done():
                try:
                    task.result()
                except ExecError as e:
                    raise failed(e) from e
                return  # it ended without waiting: nothing to hold
            try:
                await run(namespace, pod, item.container, ["sh", "-c", wait.started_command()], 30)
                return  # waiting at its ${WAIT_CMD}: held until Background.stop()
            except ExecError:
                pass  # not there yet
            await asyncio.sleep(self.poll_seconds)
        raise failed(f"did not reach {WAIT_CMD} within {self.timeout:.0f}s")
