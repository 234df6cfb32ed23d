"""Where a ClusterPair's destination credentials come from, checked before anything uses them.

Inline (``spec.config``, Stork's form) or by reference (``spec.configSecretRef``: a Secret of
type ``stork.libopenstorage.org/kubeconfig`` in the pair's own namespace). Either way the
config passes the operator's :class:`~stork.kube.pairconfig.PairPolicy` before a client is
built from it, so a pair never makes the controller run a program, read its own files or send
credentials in clear. Messages name fields and objects, never their content.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import yaml
from lightkube import ApiError, AsyncClient
from lightkube.config.kubeconfig import SingleConfig
from lightkube.resources.core_v1 import Secret

from stork.api.constants import PAIR_SECRET_DEFAULT_KEY, PAIR_SECRET_TYPE
from stork.kube.pairconfig import (
    PairConfigError,
    PairPolicy,
    insecure_transport,
    pair_client_config,
)


@dataclass(frozen=True)
class PairCredentials:
    """A pair's checked client configuration and what it was read from."""

    config: SingleConfig
    #: Changes whenever the pair or its Secret changes (clients are rebuilt then).
    version: str
    #: ``insecure-skip-tls-verify`` is set: honoured, but reported.
    insecure: bool


def secret_reference(pair: dict[str, Any]) -> tuple[str, str] | None:
    """(name, key) of the Secret a pair's credentials are read from, None for inline."""
    ref = (pair.get("spec") or {}).get("configSecretRef")
    if not isinstance(ref, dict) or not ref.get("name"):
        return None
    return str(ref["name"]), str(ref.get("key") or PAIR_SECRET_DEFAULT_KEY)


def kubeconfig_from_secret(secret: dict[str, Any], name: str, key: str) -> dict[str, Any]:
    """The kubeconfig a pair's Secret holds (raises PairConfigError saying what is wrong)."""
    where = f'spec.configSecretRef: Secret "{name}"'
    if secret.get("type") != PAIR_SECRET_TYPE:
        raise PairConfigError(
            f'{where} has type "{secret.get("type") or "Opaque"}"; a pair reads only Secrets of'
            f" type {PAIR_SECRET_TYPE}"
        )
    encoded = (secret.get("data") or {}).get(key)
    if not encoded:
        raise PairConfigError(f'{where} has no key "{key}"')
    try:
        doc = yaml.safe_load(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, yaml.YAMLError):
        # The content may be a credential: say where, never what.
        raise PairConfigError(f'{where}, key "{key}", is not a kubeconfig') from None
    if not isinstance(doc, dict):
        raise PairConfigError(f'{where}, key "{key}", is not a kubeconfig')
    return doc


class PairCredentialResolver:
    """Reads and checks the credentials of pairs, with the controller's policy."""

    def __init__(self, client: AsyncClient, policy: PairPolicy) -> None:
        self._client = client
        self.policy = policy

    async def resolve(self, pair: dict[str, Any]) -> PairCredentials:
        """The pair's checked config; raises PairConfigError (or its Refused kind)."""
        meta = pair.get("metadata") or {}
        spec = pair.get("spec") or {}
        version = str(meta.get("resourceVersion"))
        ref = secret_reference(pair)
        if ref is None:
            raw = spec.get("config")
        else:
            if spec.get("config"):
                raise PairConfigError("set either spec.config or spec.configSecretRef, not both")
            raw, secret_version = await self._from_secret(str(meta.get("namespace")), *ref)
            version = f"{version}/{secret_version}"
        return PairCredentials(
            pair_client_config(raw, self.policy), version, insecure_transport(raw)
        )

    async def _from_secret(self, namespace: str, name: str, key: str) -> tuple[dict[str, Any], str]:
        try:
            secret = await self._client.get(Secret, name, namespace=namespace)
        except ApiError as e:
            if e.status.code == 404:
                raise PairConfigError(
                    f'spec.configSecretRef: Secret "{name}" not found in namespace "{namespace}"'
                ) from None
            raise
        data = secret.to_dict()
        return kubeconfig_from_secret(data, name, key), str(
            (data.get("metadata") or {}).get("resourceVersion")
        )
