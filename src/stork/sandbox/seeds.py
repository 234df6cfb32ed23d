"""The documentation's example objects (the seeds), ready to apply to the sandbox.

The documentation's ClusterPair points at a private address; ``seed_objects`` replaces its
server and credentials by those of the sandbox's destination cluster, so nothing ever contacts
an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import base64
from importlib.resources import files
from typing import Any

import yaml

from stork.sandbox.kubeconfig import ClusterCredentials

SEED_FILES = ("schedulepolicy.yaml", "clusterpair.yaml", "migrationschedule.yaml")


def seed_text(name: str) -> str:
    """The YAML text of one seed file, as committed."""
    return files("stork.sandbox").joinpath("seeds", name).read_text()


def pair_with(seed: dict[str, Any], destination: ClusterCredentials) -> dict[str, Any]:
    """The seed ClusterPair, its server and credential placeholders filled from ``destination``.

    Only the values change; the layout (internal maps, LocationOfOrigin, current-context) stays
    exactly as the documentation prints it.
    """
    if not destination.server.startswith("https://127."):
        raise ValueError(f"refusing a non-loopback destination {destination.server}")
    config = seed["spec"]["config"]
    for cluster in config["clusters"].values():
        cluster["server"] = destination.server
        cluster["certificate-authority-data"] = base64.b64encode(destination.ca_pem).decode()
    for user in config["users"].values():
        user["client-certificate-data"] = base64.b64encode(destination.client_cert_pem).decode()
        user["client-key-data"] = base64.b64encode(destination.client_key_pem).decode()
    return seed


def seed_objects(destination: ClusterCredentials) -> list[dict[str, Any]]:
    """The seeds' SchedulePolicy, ClusterPair and MigrationSchedule as dicts, ready to apply."""
    objects = []
    for name in SEED_FILES:
        obj = yaml.safe_load(seed_text(name))
        if obj["kind"] == "ClusterPair":
            obj = pair_with(obj, destination)
        objects.append(obj)
    return objects
