"""The ClusterPair storkctl prints (``generate``) or creates (``create``), in Stork's layout.

``spec.config`` is client-go's internal kubeconfig of the *other* cluster: one context with its
cluster and user, file references inlined, maps keyed by name, ``LocationOfOrigin`` (the file
each entry came from), exec plugins with client-go's capitalised fields. Messages never quote
credentials: they name files, contexts, clusters and users only.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from stork.api.constants import API_VERSION
from stork.cli.clusterpair_input import SUBDOMAIN_MAX
from stork.cli.errors import UserError
from stork.cli.output import to_yaml
from stork.kube.config import KubeconfigError, kubeconfig_paths, load_config_dict
from stork.kube.pairconfig import PairConfigError, exec_users, minify, to_stork_layout

SECTIONS = ("clusters", "users", "contexts")
STORAGE_PLACEHOLDER = {"insert_storage_options_here": ""}
_LEGACY_EXEC_APIS = (
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
)

Kubeconfig = str | os.PathLike[str] | None


def safe_message(error: Exception) -> str:
    """An error's text without quoted source lines (PyYAML quotes the offending line, which
    may hold a token or a key)."""
    lines = str(error).splitlines() or [type(error).__name__]
    return "\n".join(line for line in lines if not line.startswith("    "))


def _origins(kubeconfig: Kubeconfig) -> dict[tuple[str, str], str]:
    """``(section, name)`` -> the file that defines it first (kubectl's merge: first wins)."""
    out: dict[tuple[str, str], str] = {}
    for path in kubeconfig_paths(kubeconfig):
        if not kubeconfig and not path.exists():
            continue
        try:
            doc = load_config_dict(path)
        except KubeconfigError:  # the merged load already reported it
            continue
        for section in SECTIONS:
            for entry in doc.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    out.setdefault((section, entry["name"]), str(path))
    return out


def _extensions(entry: dict[str, Any]) -> None:
    """v1 lists ``[{name, extension}]`` become the internal map ``{name: extension}``."""
    listed = entry.pop("extensions", None)
    if isinstance(listed, list) and listed:
        entry["extensions"] = {
            e["name"]: e.get("extension") for e in listed if isinstance(e, dict) and "name" in e
        }


def _internal_exec(exec_: dict[str, Any]) -> dict[str, Any]:
    """A v1 ``exec`` entry as client-go's internal ExecConfig marshals it."""
    out: dict[str, Any] = {
        "command": exec_.get("command", ""),
        "args": exec_.get("args"),
        "env": exec_.get("env"),
    }
    for key in ("apiVersion", "installHint"):
        if exec_.get(key):
            out[key] = exec_[key]
    out["provideClusterInfo"] = bool(exec_.get("provideClusterInfo", False))
    mode = exec_.get("interactiveMode") or (
        "IfAvailable" if exec_.get("apiVersion") in _LEGACY_EXEC_APIS else ""
    )
    out.update(
        {
            "Config": None,
            "InteractiveMode": mode,
            "StdinUnavailable": False,
            "StdinUnavailableMessage": "",
        }
    )
    return out


def _as_internal(config: dict[str, Any], origins: dict[tuple[str, str], str]) -> None:
    """Give every entry the fields Go always writes, and its own ``LocationOfOrigin``."""
    for section in SECTIONS:
        for name, entry in config[section].items():
            entry["LocationOfOrigin"] = origins.get((section, name), "")
            _extensions(entry)
            if section == "clusters":
                entry.setdefault("server", "")
            elif section == "contexts":
                entry.setdefault("cluster", "")
                entry.setdefault("user", "")
            elif isinstance(entry.get("exec"), dict):
                entry["exec"] = _internal_exec(entry["exec"])


def load_minified(kubeconfig: Kubeconfig, context: str | None) -> dict[str, Any]:
    """The chosen context of the kubeconfig (kubectl's loading rules), files inlined (v1)."""
    try:
        return minify(load_config_dict(kubeconfig), context)
    except (KubeconfigError, PairConfigError) as e:
        raise UserError(safe_message(e)) from e


def stork_config(minified: dict[str, Any], kubeconfig: Kubeconfig) -> dict[str, Any]:
    """A minified kubeconfig in Stork's internal layout (``spec.config``)."""
    config = to_stork_layout(minified)
    _as_internal(config, _origins(kubeconfig))
    return config


def auth_warnings(config: dict[str, Any]) -> list[str]:
    """Warnings for users the controller can only use with extra software (or not at all)."""
    warnings = []
    users = config.get("users") or {}
    for name in exec_users(config):
        command = (users.get(name) or {}).get("exec", {}).get("command", "")
        warnings.append(
            f'warning: user "{name}" authenticates with the exec plugin "{command}"; the stork '
            "controller must have that plugin installed to reach this cluster "
            "(a service-account token avoids this)"
        )
    for name, user in users.items():
        provider = (user or {}).get("auth-provider")
        if isinstance(provider, dict):
            warnings.append(
                f'warning: user "{name}" authenticates with the auth-provider '
                f'"{provider.get("name", "")}", which the stork controller cannot use; '
                "use a service-account token"
            )
    return warnings


def pair_object(
    name: str,
    namespace: str,
    config: dict[str, Any],
    options: dict[str, str] | None,
    mappings: dict[str, str],
) -> dict[str, Any]:
    """A ClusterPair as Stork generates it (no options: Stork's storage-options placeholder)."""
    platform: dict[str, Any] = {"rancher": {"projectMappings": mappings}} if mappings else {}
    return {
        "apiVersion": API_VERSION,
        "kind": "ClusterPair",
        "metadata": {"creationTimestamp": None, "name": name, "namespace": namespace},
        "spec": {
            "config": config,
            "options": dict(STORAGE_PLACEHOLDER) if options is None else options,
            "platformOptions": platform,
        },
        "status": {"remoteStorageId": "", "schedulerStatus": "", "storageStatus": ""},
    }


def create_body(pair: dict[str, Any]) -> dict[str, Any]:
    """The object to send to the API server: no empty status, no null timestamp."""
    meta = pair["metadata"]
    return {
        "apiVersion": pair["apiVersion"],
        "kind": pair["kind"],
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": pair["spec"],
    }


#: The type and key of a Secret holding a pair's kubeconfig (``spec.configSecretRef``).
KUBECONFIG_SECRET_TYPE = "stork.libopenstorage.org/kubeconfig"  # noqa: S105 - not a password
KUBECONFIG_SECRET_KEY = "kubeconfig"  # noqa: S105
SECRET_SUFFIX = "-kubeconfig"  # noqa: S105


def secret_pair_objects(
    name: str,
    namespace: str,
    minified: dict[str, Any],
    options: dict[str, str] | None,
    mappings: dict[str, str],
) -> list[dict[str, Any]]:
    """A Secret with the minified kubeconfig (v1 layout) and the pair that references it.

    The pair has no inline ``spec.config``: the controller reads the Secret, in the pair's own
    namespace, under ``spec.configSecretRef.key``.
    """
    secret_name = name + SECRET_SUFFIX
    if len(secret_name) > SUBDOMAIN_MAX:
        raise UserError(
            f'the Secret name "{secret_name}" would be longer than {SUBDOMAIN_MAX} characters; '
            "use a shorter pair name"
        )
    encoded = base64.b64encode(to_yaml(minified).encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name, "namespace": namespace},
        "type": KUBECONFIG_SECRET_TYPE,
        "data": {KUBECONFIG_SECRET_KEY: encoded},
    }
    pair = pair_object(name, namespace, {}, options, mappings)
    spec = {k: v for k, v in pair["spec"].items() if k != "config"}
    pair["spec"] = {"configSecretRef": {"name": secret_name, "key": KUBECONFIG_SECRET_KEY}, **spec}
    return [secret, pair]
