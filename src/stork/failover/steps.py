"""What every step of an Action sees and returns (shared by failover, failback and drill).

A step does the work of one stage once more (every step is idempotent: a controller restarted
in the middle of one runs it again) and says what it came to: an :class:`Outcome` (the stage
machine then moves on), or nothing yet (look again after ``requeue`` seconds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from stork.api.action import ActionStage, ActionType
from stork.failover.clusters import Side
from stork.failover.stages import Outcome
from stork.runtime.informer import ObjectKey

#: Condition saying whether the source steps of a failover ran (False: skipped, and why).
SOURCE_CONDITION = "SourceOperations"
#: What ``status.scaledDown`` entries call the two clusters.
SOURCE, DESTINATION = "source", "destination"

PARAMETER_KEYS = {
    ActionType.FAILOVER: ("failoverParameter", "failoverNamespaces"),
    ActionType.FAILBACK: ("failbackParameter", "failbackNamespaces"),
    ActionType.DRILL: ("drillParameter", "drillNamespaces"),
}


@dataclass
class StepResult:
    """What a step came to."""

    outcome: Outcome | None = None
    #: The reason of a failure (kept through the rollback), or a progress note.
    reason: str = ""
    #: Fields merged into the Action's status (summary, records, the drill report...).
    status: dict[str, Any] = field(default_factory=dict)
    #: Seconds until the next look when the step is not done (outcome None).
    requeue: float | None = None
    #: Events to record on the Action: (type, reason, message).
    events: list[tuple[str, str, str]] = field(default_factory=list)
    #: The ``SourceOperations`` condition to set: (ok, reason, message).
    source_condition: tuple[bool, str, str] | None = None
    #: Status shown while the step is not done (Stork: Scheduled in Validations).
    waiting_status: str = "In-Progress"


@dataclass(frozen=True)
class Run:
    """One reconcile of one Action, as its steps see it."""

    key: ObjectKey
    action: Mapping[str, Any]
    action_type: ActionType
    stage: ActionStage
    now: dt.datetime
    #: When the current stage began (Stork's finishTimestamp of the previous transition).
    stage_started: dt.datetime | None

    @property
    def namespace(self) -> str:
        """The Action's (and its schedule's) namespace."""
        return self.key[0]

    @property
    def uid(self) -> str:
        """The Action's UID."""
        return str((self.action.get("metadata") or {}).get("uid") or "")

    @property
    def name(self) -> str:
        """The Action's name."""
        return self.key[1]

    @property
    def status(self) -> Mapping[str, Any]:
        """The Action's status as read at the start of this reconcile."""
        return self.action.get("status") or {}

    @property
    def parameter(self) -> Mapping[str, Any]:
        """The parameters of the action's type."""
        params = (self.action.get("spec") or {}).get("actionParameter") or {}
        return params.get(PARAMETER_KEYS[self.action_type][0]) or {}

    @property
    def schedule_name(self) -> str:
        """The MigrationSchedule the action is about."""
        return str(self.parameter.get("migrationScheduleReference") or "")

    @property
    def namespaces(self) -> list[str]:
        """The namespaces asked for (the steps keep those the schedule migrates)."""
        return [str(n) for n in self.parameter.get(PARAMETER_KEYS[self.action_type][1]) or []]

    def elapsed(self) -> float:
        """Seconds since the current stage began (0 when unknown)."""
        if self.stage_started is None:
            return 0.0
        return max(0.0, (self.now - self.stage_started).total_seconds())


class Env(Protocol):
    """The clients and settings a step uses (the reconciler provides them)."""

    local: Side
    admin_namespace: str
    probe_tries: int
    probe_interval: float
    scale_down_wait: float
    last_mile_timeout: float
    teardown_timeout: float
    poll: float

    async def schedule(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A MigrationSchedule of this cluster, None if absent."""

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A ClusterPair of this cluster (the reverse pair), None if absent."""

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The schedule policy of that name (namespaced first), None if absent."""

    async def remote(self, pair: Mapping[str, Any]) -> Side:
        """The other cluster, through ``pair`` (raises PairConfigError)."""

    async def probe(self, pair: Mapping[str, Any]) -> tuple[bool, str]:
        """Whether the other cluster answers (tries ``probe_tries`` times), and what it said."""


Step = Callable[[Run, Env], Awaitable[StepResult]]


def failed(reason: str, **status: Any) -> StepResult:
    """A step that failed, with its reason as a Warning event."""
    return StepResult(Outcome.FAILED, reason, dict(status), events=[("Warning", "Failed", reason)])


def done(message: str = "", **status: Any) -> StepResult:
    """A step that is done (``message``: a Normal event)."""
    events = [("Normal", "Successful", message)] if message else []
    return StepResult(Outcome.DONE, "", dict(status), events=events)


def waiting(note: str, requeue: float, **status: Any) -> StepResult:
    """A step that is not done yet: look again in ``requeue`` seconds."""
    return StepResult(None, note, dict(status), requeue)


StepTable = dict[tuple[ActionType, ActionStage], Step]
