"""Base model of every custom resource part: camelCase JSON names, nulls allowed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class StorkModel(BaseModel):
    """A part of a Stork object; unknown fields are refused (the CRD prunes them)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class OpenStorkModel(StorkModel):
    """A part whose unknown fields are kept (Stork adds fields here between releases)."""

    model_config = ConfigDict(extra="allow")


class ObjectOutcome(OpenStorkModel):
    """An object (name, namespace, group, version, kind) and what became of it."""

    name: str | None = None
    namespace: str | None = None
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    status: str | None = None
    reason: str | None = None


class Condition(StorkModel):
    """A standard Kubernetes condition (metav1.Condition), beside Stork's own status fields."""

    type: str
    status: Literal["True", "False", "Unknown"]
    observed_generation: int | None = None
    last_transition_time: datetime
    reason: str
    message: str = ""


class KubeObject(StorkModel):
    """Fields every object has; ``metadata`` is left to the API server."""

    api_version: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


Conditions = list[Condition] | None
