"""Loading a kubeconfig the way kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config.

lightkube reads one file; kubectl merges every file of a ``:``-separated ``$KUBECONFIG`` (the
first file that defines a name wins, and the first current-context wins), so this does that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx2
import yaml
from lightkube import Client
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import KubeConfig, SingleConfig

from stork.api.constants import FIELD_MANAGER
from stork.kube.stack import ssl_context
from stork.kube.transport import RetryPolicy, RetryTransport


class KubeconfigError(ValueError):
    """A kubeconfig is missing, unreadable, or lacks the asked context."""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        # Only the position: PyYAML's message quotes the offending line, which may hold a token.
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise KubeconfigError(f"kubeconfig {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"kubeconfig {path} is not a mapping")
    return _absolute_paths(data, path.parent)


def _absolute_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolve relative file references against the kubeconfig's directory, as kubectl does."""
    keys = {"certificate-authority", "client-certificate", "client-key", "tokenFile"}
    for section, inner in (("clusters", "cluster"), ("users", "user")):
        for entry in data.get(section) or []:
            body = entry.get(inner) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                continue
            for key in keys & body.keys():
                value = body[key]
                if isinstance(value, str) and value and not Path(value).is_absolute():
                    body[key] = str(base / value)
    return data


def merge_kubeconfigs(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge kubeconfig documents as kubectl does: for every name, the first definition wins."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    for section in ("clusters", "users", "contexts"):
        seen: dict[str, Any] = {}
        for doc in docs:
            for entry in doc.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in seen:
                    seen[entry["name"]] = entry
        merged[section] = list(seen.values())
    for doc in docs:
        if doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
            break
    return merged


def kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None) -> list[Path]:
    """The files to read, in kubectl's order of precedence."""
    if kubeconfig:
        return [Path(kubeconfig)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def load_config_dict(kubeconfig: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The merged kubeconfig as a dict (kubeconfig v1 layout)."""
    paths = kubeconfig_paths(kubeconfig)
    explicit = bool(kubeconfig)
    existing = [p for p in paths if explicit or p.exists()]
    if not existing:
        raise KubeconfigError(
            "no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config"
        )
    return merge_kubeconfigs([_read(p) for p in existing])


def _in_cluster_only() -> bool:
    """True in a pod that has no kubeconfig of its own."""
    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return False
    return not any(p.exists() for p in kubeconfig_paths(None))


def load_config(
    kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None
) -> SingleConfig:
    """The configuration of one context (``context`` or the current one).

    Inside a pod, with no kubeconfig anywhere, the pod's service account is used.
    """
    if not kubeconfig and not context and _in_cluster_only():
        in_cluster = KubeConfig.from_service_account().get()
        if in_cluster is not None:
            return in_cluster
    data = load_config_dict(kubeconfig)
    names = [c.get("name") for c in data.get("contexts", [])]
    chosen = context or data.get("current-context")
    if not chosen:
        raise KubeconfigError("the kubeconfig has no current-context; pass --context")
    if chosen not in names:
        raise KubeconfigError(f'context "{chosen}" does not exist in the kubeconfig')
    config = KubeConfig.from_dict(data).get(context_name=chosen)
    if config is None:  # pragma: no cover - the name was checked above
        raise KubeconfigError(f'context "{chosen}" does not exist in the kubeconfig')
    return config


#: Seconds a synchronous client (storkctl, tests) keeps retrying one request that gets 429,
#: 5xx or no connection; ``$STORK_RETRY_SECONDS`` overrides it.
RETRY_SECONDS = 30.0
RETRY_SECONDS_ENV = "STORK_RETRY_SECONDS"


def retry_policy() -> RetryPolicy:
    """The retry policy of synchronous clients (``$STORK_RETRY_SECONDS``, else 30 s)."""
    raw = os.environ.get(RETRY_SECONDS_ENV)
    try:
        seconds = float(raw) if raw else RETRY_SECONDS
    except ValueError:
        seconds = RETRY_SECONDS
    return RetryPolicy(deadline=max(seconds, 0.0))


def retry_transport(config: SingleConfig) -> RetryTransport:
    """An HTTP transport with the cluster's TLS settings that retries what is retryable.

    httpx2 ignores ``verify=`` when a transport is given, so the inner transport gets the SSL
    context lightkube would have built (CA, client certificate, insecure-skip-tls-verify).
    """
    try:
        verify = ssl_context(config, trust_env=True)
    except (OSError, ValueError) as e:  # ssl.SSLError is an OSError; it never quotes key data
        raise KubeconfigError(
            f"cannot use the TLS settings of the kubeconfig's cluster {config.cluster.server}: "
            f"{getattr(e, 'strerror', None) or e}"
        ) from e
    return RetryTransport(httpx2.HTTPTransport(verify=verify), retry_policy())


def client_for_config(config: SingleConfig, timeout: float = 30.0) -> Client:
    """A synchronous client for one cluster's configuration, with retries."""
    return Client(
        config=config,
        timeout=httpx2.Timeout(timeout),
        field_manager=FIELD_MANAGER,
        transport=retry_transport(config),
    )


def http_client_for_config(config: SingleConfig, timeout: float = 30.0) -> httpx2.Client:
    """A plain synchronous HTTP client (base URL, credentials, retries) for raw API paths."""
    params = client_adapter.ConnectionParams(
        timeout=httpx2.Timeout(timeout), transport=retry_transport(config)
    )
    return client_adapter.Client(config, params)


def make_client(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    timeout: float = 30.0,
) -> Client:
    """A synchronous client for one cluster (CLI and tests), with retries."""
    return client_for_config(load_config(kubeconfig, context), timeout)
