"""SchedulePolicy and NamespacedSchedulePolicy: when scheduled migrations run."""

from __future__ import annotations

from pydantic import Field, field_validator

from stork.api.base import KubeObject, StorkModel
from stork.schedule import DAY_NAMES, KITCHEN_TIME_PATTERN

_TIME = Field(
    pattern=KITCHEN_TIME_PATTERN,
    description="Time of day in Go's Kitchen layout: 1:02PM or 1:02pm.",
)
_RETAIN = Field(None, description="Number of objects to keep (not used by migrations).")
_OPTIONS = Field(None, description="Options passed to the triggered action.")


class IntervalPolicy(StorkModel):
    """Trigger every intervalMinutes."""

    interval_minutes: int = Field(ge=1, description="Minutes between two triggers (>= 1).")
    retain: int | None = _RETAIN
    options: dict[str, str] | None = _OPTIONS


class DailyPolicy(StorkModel):
    """Trigger every day at a time."""

    time: str = _TIME
    retain: int | None = _RETAIN
    options: dict[str, str] | None = _OPTIONS
    force_full_snapshot_day: str | None = Field(None, description="Snapshot schedules only.")


class WeeklyPolicy(StorkModel):
    """Trigger every week on a day at a time."""

    day: str = Field(
        description="Day of the week, long or short form (Sunday, Sun).",
        json_schema_extra={"enum": list(DAY_NAMES)},
    )
    time: str = _TIME
    retain: int | None = _RETAIN
    options: dict[str, str] | None = _OPTIONS

    @field_validator("day")
    @classmethod
    def _known_day(cls, value: str) -> str:
        if value not in DAY_NAMES:
            raise ValueError(f"Invalid day of the week ({value}) in Weekly policy")
        return value


class MonthlyPolicy(StorkModel):
    """Trigger every month on a date at a time; a date a month lacks rolls over."""

    date: int = Field(ge=1, le=31, description="Date of the month, 1 to 31.")
    time: str = _TIME
    retain: int | None = _RETAIN
    options: dict[str, str] | None = _OPTIONS


class PolicyItem(StorkModel):
    """Any subset of the four sections."""

    interval: IntervalPolicy | None = None
    daily: DailyPolicy | None = None
    weekly: WeeklyPolicy | None = None
    monthly: MonthlyPolicy | None = None
    time_zone: str | None = Field(
        None,
        description=(
            "IANA time zone of the times in this policy (our addition); default: the "
            "controller's --time-zone, else its local zone."
        ),
    )


class SchedulePolicy(KubeObject):
    """A cluster-wide schedule policy."""

    policy: PolicyItem | None = None


class NamespacedSchedulePolicy(KubeObject):
    """A schedule policy in one namespace; it takes precedence over a SchedulePolicy."""

    policy: PolicyItem | None = None
