"""``storkctl create clusterpair`` for Metro DR (``--mode sync-dr``): both pairs, or none.

Stork creates the source pair, prints, then creates the reverse pair; a failure in between
leaves a one-way pairing behind. Here every check (both kubeconfigs, both clusters answering,
no pair of that name on either side) comes first, and a failure while creating undoes what this
command created, so the outcome is both pairs or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from lightkube import Client

from stork.cli.clusterpair_input import reverse_mappings
from stork.cli.clusterpair_kube import (
    client_for,
    create_pair,
    delete_namespace,
    delete_pair,
    ensure_namespace,
    get_pair,
    server_errors,
)
from stork.cli.clusterpair_spec import auth_warnings, load_minified, pair_object, stork_config
from stork.cli.errors import UserError

MODES = ("async-dr", "sync-dr", "migration")
DEFAULT_MODE = "async-dr"
SYNC_DR = "sync-dr"


def check_mode(mode: str, supported_only: bool = True) -> None:
    """Stork's check of ``--mode`` (``supported_only=False``), or that the mode is the one that
    works without a storage driver: Metro DR (sync-dr); Stork's other modes pair storage."""
    if mode not in MODES:
        raise UserError(
            f"invalid mode {mode}, mode value should either be async-dr, sync-dr or migration"
        )
    if supported_only and mode != SYNC_DR:
        raise UserError(
            f"mode {mode} pairs the storage too and needs a storage driver, which this stork "
            "does not have; only --mode sync-dr (Metro DR) is supported"
        )


def check_files(source: str | None, destination: str | None) -> tuple[str, str]:
    """Stork's checks of the two kubeconfig files, in Stork's order and words."""
    if not source:
        raise UserError(
            'missing parameter "src-kube-file" - Kubeconfig file missing for source cluster'
        )
    if not destination:
        raise UserError(
            'missing parameter "dest-kube-file" - Kubeconfig file missing for destination cluster'
        )
    if source == destination:
        raise UserError(
            "source kubeconfig file and destination kubeconfig file should be different"
        )
    src, dst = Path(source), Path(destination)
    if src.is_file() and dst.is_file() and src.read_bytes() == dst.read_bytes():
        raise UserError("source kubeconfig and destination kubeconfig file should be different")
    return source, destination


@dataclass(frozen=True)
class Side:
    """One cluster of the pairing: its kubeconfig, and the pair to store there."""

    role: str
    kubeconfig: str
    pair: dict[str, Any]

    @property
    def where(self) -> str:
        """The cluster, named as the user knows it."""
        return f"the {self.role} cluster ({self.kubeconfig})"


@dataclass
class Undo:
    """What this command created, to remove again if a later step fails."""

    steps: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def run(self) -> list[str]:
        """Undo in reverse order, every step tried; what could not be removed."""
        left = []
        for what, step in reversed(self.steps):
            try:
                step()
            except Exception:  # noqa: BLE001 - undo is best effort; the note names what is left
                left.append(what)
        return left

    def note(self, left: list[str]) -> str:
        """The sentence appended to the error that stopped the command."""
        if not self.steps:
            return "nothing was created"
        if not left:
            return "nothing was left behind: what this command had created was removed again"
        return "could not remove " + ", ".join(left) + "; remove it by hand"


def _side(
    role: str, kubeconfig: str, other: str, name: str, namespace: str, mappings: dict[str, str]
) -> Side:
    """The pair stored in ``kubeconfig``'s cluster, pointing at the ``other`` kubeconfig's."""
    config = stork_config(load_minified(other, None), other)
    for warning in auth_warnings(config):
        click.echo(warning, err=True)
    return Side(role, kubeconfig, pair_object(name, namespace, config, {}, mappings))


def _preflight(side: Side, client: Client) -> None:
    """The cluster answers and has no pair of that name yet."""
    meta = side.pair["metadata"]
    with server_errors(side.where):
        if get_pair(client, meta["name"], meta["namespace"]) is not None:
            raise UserError(
                f"ClusterPair {meta['name']} already exists in namespace {meta['namespace']} "
                f"of {side.where}; nothing was created"
            )


def _create(side: Side, client: Client, undo: Undo) -> None:
    """The namespace (when missing) and the pair, each recorded for undo."""
    name, namespace = side.pair["metadata"]["name"], side.pair["metadata"]["namespace"]
    with server_errors(side.where):
        if ensure_namespace(client, namespace):
            undo.steps.append(
                (
                    f"namespace {namespace} of {side.where}",
                    lambda: delete_namespace(client, namespace),
                )
            )
        create_pair(client, side.pair)
        undo.steps.append(
            (f"ClusterPair {name} of {side.where}", lambda: delete_pair(client, name, namespace))
        )


def create_pairs(
    name: str,
    namespace: str,
    source: str,
    destination: str,
    mappings: dict[str, str],
    unidirectional: bool,
) -> None:
    """Create the source pair and (unless unidirectional) the reverse one; all or nothing."""
    sides = [_side("source", source, destination, name, namespace, mappings)]
    if not unidirectional:
        reverse = reverse_mappings(mappings)
        sides.append(_side("destination", destination, source, name, namespace, reverse))
    with ExitStack() as stack:
        clients = [stack.enter_context(client_for(side.kubeconfig)) for side in sides]
        for side, client in zip(sides, clients, strict=True):
            _preflight(side, client)
        undo = Undo()
        try:
            for side, client in zip(sides, clients, strict=True):
                _create(side, client, undo)
        except UserError as e:
            note = undo.note(undo.run())
            raise type(e)(f"{e.format_message()} ({note})") from e
        except BaseException:
            undo.run()
            raise
    click.echo(f"ClusterPair {name} created successfully. Direction Source -> Destination\n")
    if not unidirectional:
        click.echo(f"Cluster pair {name} created successfully. Direction: Destination -> Source")
