"""A ClusterPair's ``spec.config``: Stork's layout, the kubeconfig v1 layout, and clients.

Stork stores client-go's *internal* kubeconfig: ``clusters``, ``users`` and ``contexts`` are
maps keyed by name, entries carry ``LocationOfOrigin``, exec entries carry capitalised Go field
names. Ordinary kubeconfigs (v1) use lists of ``{name, cluster|user|context}``. Both layouts are
accepted everywhere; ``storkctl generate clusterpair`` writes Stork's.

Error messages name contexts, clusters and users, never credentials.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lightkube.config.kubeconfig import KubeConfig, SingleConfig

_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))
_FILE_TO_DATA = {
    "cluster": (("certificate-authority", "certificate-authority-data"),),
    "user": (
        ("client-certificate", "client-certificate-data"),
        ("client-key", "client-key-data"),
    ),
}


class PairConfigError(ValueError):
    """A pair's config (or a kubeconfig to build one from) is unusable."""


class PairConfigRefusedError(PairConfigError):
    """A pair's config asks the controller for something its operator does not allow."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class PairPolicy:
    """What a ClusterPair's config may make the process using it do.

    In the controller a pair is a tenant's input: by default it may not make the controller run
    a program (exec and auth-provider plugins), read one of the controller's files (``tokenFile``
    and the certificate/key paths) or send credentials in clear (an ``http://`` server). storkctl,
    on a user's own machine with the user's own kubeconfig, allows everything (``TRUSTED``).
    """

    allow_exec_plugins: bool = False
    allow_file_references: bool = False
    allow_plain_http: bool = False


#: The controller's default: nothing beyond talking TLS to the named server.
CONFINED = PairPolicy()
#: A user's own kubeconfig on the user's own machine (storkctl).
TRUSTED = PairPolicy(allow_exec_plugins=True, allow_file_references=True, allow_plain_http=True)

_FILE_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}
_EXEC_FLAG = "--allow-pair-exec-plugins"
_FILE_FLAG = "--allow-pair-file-references"
_HTTP_FLAG = "--allow-pair-plain-http"


def check_pair_policy(
    cluster_name: str,
    cluster: dict[str, Any],
    user_name: str,
    user: dict[str, Any],
    policy: PairPolicy,
) -> None:
    """Raise PairConfigRefusedError, naming the field, for what ``policy`` does not allow."""
    where = {
        "cluster": f'spec.config.clusters["{cluster_name}"]',
        "user": f'spec.config.users["{user_name}"]',
    }
    if not policy.allow_exec_plugins:
        for key, what in (
            ("exec", "exec credential plugins"),
            ("auth-provider", "auth-provider plugins"),
        ):
            if user.get(key):
                raise PairConfigRefusedError(
                    f"{where['user']}.{key}",
                    f"{what} are not allowed in a ClusterPair: the controller would run a program"
                    f" (its operator may allow it with {_EXEC_FLAG})",
                )
    if not policy.allow_file_references:
        for kind, body in (("cluster", cluster), ("user", user)):
            for key in _FILE_FIELDS[kind]:
                if body.get(key):
                    raise PairConfigRefusedError(
                        f"{where[kind]}.{key}",
                        "file references are not allowed in a ClusterPair: the controller would"
                        f" read its own file (inline the data; its operator may allow files with"
                        f" {_FILE_FLAG})",
                    )
    server = str(cluster.get("server") or "")
    if not policy.allow_plain_http and urlsplit(server).scheme.lower() != "https":
        raise PairConfigRefusedError(
            f"{where['cluster']}.server",
            "the destination must be an https:// server: credentials are never sent in clear"
            f" (its operator may allow plain http with {_HTTP_FLAG})",
        )


def insecure_transport(spec_config: dict[str, Any] | None) -> bool:
    """True when the pair's current cluster skips TLS verification (insecure-skip-tls-verify)."""
    try:
        doc = to_kubeconfig_v1(spec_config or {})
        ctx = _entry(doc, "contexts", "context", str(doc.get("current-context")))
        cluster = _entry(doc, "clusters", "cluster", str(ctx.get("cluster")))
    except PairConfigError:
        return False
    return bool(cluster.get("insecure-skip-tls-verify"))


def is_stork_layout(config: dict[str, Any]) -> bool:
    """True for the internal layout (maps keyed by name), False for kubeconfig v1 (lists)."""
    return any(isinstance(config.get(section), dict) for section, _ in _SECTIONS)


def _without_go_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Drop fields client-go writes without JSON names (LocationOfOrigin, exec.Config...)."""
    out = {k: v for k, v in entry.items() if k != "LocationOfOrigin"}
    exec_ = out.get("exec")
    if isinstance(exec_, dict):
        out["exec"] = {k: v for k, v in exec_.items() if not k[:1].isupper()}
    return out


def to_kubeconfig_v1(config: dict[str, Any]) -> dict[str, Any]:
    """The config in the kubeconfig v1 layout, whatever layout it came in."""
    if not isinstance(config, dict):
        raise PairConfigError("spec.config is not a mapping")
    if not is_stork_layout(config):
        return copy.deepcopy(config)
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    for section, inner in _SECTIONS:
        entries = config.get(section) or {}
        if not isinstance(entries, dict):
            raise PairConfigError(f"spec.config.{section} mixes layouts")
        out[section] = [
            {"name": name, inner: _without_go_fields(dict(body or {}))}
            for name, body in entries.items()
        ]
    if config.get("current-context"):
        out["current-context"] = config["current-context"]
    return out


def _entry(doc: dict[str, Any], section: str, inner: str, name: str) -> dict[str, Any]:
    for item in doc.get(section) or []:
        if isinstance(item, dict) and item.get("name") == name:
            body = item.get(inner)
            return dict(body) if isinstance(body, dict) else {}
    raise PairConfigError(f'{inner} "{name}" is not defined in the kubeconfig')


def _inline_files(body: dict[str, Any], kind: str) -> dict[str, Any]:
    """Replace file references by their content, as `kubectl config view --flatten` does."""
    for file_key, data_key in _FILE_TO_DATA.get(kind, ()):
        path = body.pop(file_key, None)
        if path and not body.get(data_key):
            body[data_key] = base64.b64encode(_read(Path(path), file_key)).decode()
    if kind == "user":
        token_file = body.pop("tokenFile", None)
        if token_file and not body.get("token"):
            body["token"] = _read(Path(token_file), "tokenFile").decode().strip()
    return body


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise PairConfigError(f"cannot read {what} file {path}: {e.strerror}") from e


def minify(kubeconfig: dict[str, Any], context: str | None = None) -> dict[str, Any]:
    """One context with its cluster and user, files inlined, in the kubeconfig v1 layout."""
    doc = to_kubeconfig_v1(kubeconfig)
    chosen = context or doc.get("current-context")
    if not chosen:
        raise PairConfigError("the kubeconfig has no current-context; pass --context")
    ctx = _entry(doc, "contexts", "context", chosen) if chosen else {}
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    if not cluster_name:
        raise PairConfigError(f'context "{chosen}" names no cluster')
    cluster = _inline_files(_entry(doc, "clusters", "cluster", cluster_name), "cluster")
    users = []
    if user_name:
        users = [
            {
                "name": user_name,
                "user": _inline_files(_entry(doc, "users", "user", user_name), "user"),
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": users,
        "contexts": [{"name": chosen, "context": ctx}],
        "current-context": chosen,
    }


def to_stork_layout(kubeconfig: dict[str, Any], location: str = "") -> dict[str, Any]:
    """A minified v1 kubeconfig in Stork's internal layout, with ``LocationOfOrigin``."""
    doc = to_kubeconfig_v1(kubeconfig)
    out: dict[str, Any] = {}
    for section, inner in _SECTIONS:
        out[section] = {
            item["name"]: {"LocationOfOrigin": location, **dict(item.get(inner) or {})}
            for item in doc.get(section) or []
        }
    out["current-context"] = doc.get("current-context", "")
    out["preferences"] = {}
    return out


def exec_users(config: dict[str, Any]) -> list[str]:
    """Names of users that authenticate with an exec plugin (the controller needs the binary)."""
    doc = to_kubeconfig_v1(config)
    return [u["name"] for u in doc.get("users") or [] if (u.get("user") or {}).get("exec")]


def pair_client_config(
    spec_config: dict[str, Any] | None, policy: PairPolicy = CONFINED
) -> SingleConfig:
    """The client configuration of a pair's destination: its current context.

    Shared by the controller (``CONFINED`` unless its operator widened it) and storkctl
    (``TRUSTED``). Raises PairConfigError for an unusable config, PairConfigRefusedError (naming the
    field) for one ``policy`` does not allow; nothing is run, read or contacted before that.
    """
    if not spec_config:
        raise PairConfigError("spec.config is empty")
    doc = to_kubeconfig_v1(spec_config)
    current = doc.get("current-context")
    if not current:
        raise PairConfigError("spec.config has no current-context")
    ctx = _entry(doc, "contexts", "context", current)
    cluster_name, user_name = str(ctx.get("cluster")), str(ctx.get("user") or "")
    cluster = _entry(doc, "clusters", "cluster", cluster_name)
    user = _entry(doc, "users", "user", user_name) if user_name else {}
    check_pair_policy(cluster_name, cluster, user_name, user, policy)
    try:
        config = KubeConfig.from_dict(doc).get(context_name=current)
    except Exception as e:  # lightkube raises bare exceptions for malformed entries
        raise PairConfigError(f"spec.config is not a usable kubeconfig ({type(e).__name__})") from e
    if config is None:
        raise PairConfigError(f'context "{current}" is not defined in spec.config')
    return config
