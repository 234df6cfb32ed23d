"""Rule: commands run in pods before or after a migration."""

from __future__ import annotations

from pydantic import Field

from stork.api.base import KubeObject, OpenStorkModel


class RuleAction(OpenStorkModel):
    """One command."""

    type: str | None = Field(None, description="Only 'command' is supported.")
    value: str | None = Field(None, description="Shell command, run as sh -c <value>.")
    background: bool | None = None
    run_in_single_pod: bool | None = None


class RuleItem(OpenStorkModel):
    """Pods chosen by labels, and the actions run in them."""

    pod_selector: dict[str, str] | None = None
    container: str | None = None
    actions: list[RuleAction] | None = None


class Rule(KubeObject):
    """Pre- or post-exec rule of a Migration."""

    rules: list[RuleItem] | None = None
