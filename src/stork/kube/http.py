"""Plain HTTP access to a cluster with the same credentials lightkube uses (for /version etc.)."""

from __future__ import annotations

from typing import Any

import httpx2
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams
from lightkube.config.kubeconfig import SingleConfig


def http_client(config: SingleConfig, timeout: float = 10.0) -> httpx2.Client:
    """An httpx2 client for one cluster: its base URL, TLS settings and authentication."""
    return client_adapter.Client(config, ConnectionParams(timeout=httpx2.Timeout(timeout)))


def server_version(config: SingleConfig, timeout: float = 10.0) -> dict[str, Any]:
    """The cluster's ``/version`` document (raises httpx2.HTTPError when it does not answer)."""
    with http_client(config, timeout) as client:
        response = client.get("/version")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
