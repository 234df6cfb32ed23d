"""ResourceTransformation: changes made to named kinds on their way to the destination."""

from __future__ import annotations

from pydantic import Field

from stork.api.base import Conditions, KubeObject, ObjectOutcome, OpenStorkModel


class ResourcePaths(OpenStorkModel):
    """One operation on one dotted path."""

    path: str | None = Field(None, description="Dotted path, e.g. spec.type (no list indexes).")
    value: str | None = Field(None, description="The value, as a string.")
    type: str | None = Field(None, description="int, bool, string, slice or keypair.")
    operation: str | None = Field(None, description="add, modify or delete.")


class TransformSpecs(OpenStorkModel):
    """The operations on the objects of one kind that carry the selectors' labels."""

    resource: str | None = Field(None, description="group/version/Kind (core: /v1/Service).")
    selectors: dict[str, str] | None = None
    paths: list[ResourcePaths] | None = None


class ResourceTransformationSpec(OpenStorkModel):
    """The kinds to transform."""

    transform_specs: list[TransformSpecs] | None = None


class TransformResourceInfo(ObjectOutcome):
    """One object the dry run tried, and how it went."""

    specs: TransformSpecs | None = None


class ResourceTransformationStatus(OpenStorkModel):
    """``""``, InProgress, Ready or Failed, and each object the dry run tried."""

    status: str | None = None
    resources: list[TransformResourceInfo] | None = None
    conditions: Conditions = None


class ResourceTransformation(KubeObject):
    """Operations a Migration naming it in ``transformSpecs`` applies (Stork's ``specs`` key)."""

    specs: ResourceTransformationSpec | None = None
    status: ResourceTransformationStatus | None = None
