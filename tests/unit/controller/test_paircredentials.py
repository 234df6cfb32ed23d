"""A pair's kubeconfig read from its Secret: type, key and content checked, content never shown."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml

from stork.api.constants import PAIR_SECRET_TYPE
from stork.controller.paircredentials import kubeconfig_from_secret, secret_reference
from stork.kube.pairconfig import PairConfigError

KUBECONFIG = {"current-context": "c", "clusters": [], "users": [], "contexts": []}


def secret(data: dict[str, bytes], type_: str | None = PAIR_SECRET_TYPE) -> dict[str, Any]:
    encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
    return {"type": type_, "data": encoded}


def test_reads_the_kubeconfig_under_its_key() -> None:
    doc = kubeconfig_from_secret(secret({"kc": yaml.safe_dump(KUBECONFIG).encode()}), "s", "kc")
    assert doc == KUBECONFIG


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (secret({"kubeconfig": b"{}"}, "Opaque"), 'has type "Opaque"'),
        (secret({"kubeconfig": b"{}"}, None), 'has type "Opaque"'),
        (secret({"other": b"{}"}), 'has no key "kubeconfig"'),
        (secret({"kubeconfig": b"token: hunter2: [unbalanced"}), "is not a kubeconfig"),
        (secret({"kubeconfig": b"just-a-token-hunter2"}), "is not a kubeconfig"),
    ],
)
def test_what_is_wrong_is_said_and_the_content_is_not(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(PairConfigError, match=message) as refused:
        kubeconfig_from_secret(obj, "s", "kubeconfig")
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith('spec.configSecretRef: Secret "s"')


def test_the_reference_and_its_default_key() -> None:
    assert secret_reference({"spec": {"configSecretRef": {"name": "s"}}}) == ("s", "kubeconfig")
    assert secret_reference({"spec": {"configSecretRef": {"name": "s", "key": "k"}}}) == ("s", "k")
    assert secret_reference({"spec": {"config": {}}}) is None
    assert secret_reference({}) is None
