"""Running storkctl as Stork's own test suite does (``testCommon``), against the real sandbox.

Stork's tests compare stdout exactly for successes and the ``CheckErr`` message (the first
stderr line) and exit code 1 for failures; here both, always, with ``TZ=UTC``. storkctl runs in
this process (click's runner) so that a few hundred invocations stay fast; ``subprocess_run``
runs it as its own process where that matters (tracebacks, signals).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lightkube import ApiError, Client
from lightkube.types import PatchType

from stork.cli.storkctl_main import cli
from stork.kube.resources import status_target


@dataclass(frozen=True)
class Ran:
    """What one storkctl invocation printed, and its exit code."""

    stdout: str
    stderr: str
    code: int

    @property
    def error(self) -> str:
        """The first stderr line (Stork's tests compare the CheckErr message)."""
        return self.stderr.splitlines()[0] if self.stderr else ""


@dataclass(frozen=True)
class Storkctl:
    """storkctl against one cluster's kubeconfig."""

    kubeconfig: Path

    def __call__(self, *args: str) -> Ran:
        env = {"KUBECONFIG": str(self.kubeconfig), "TZ": "UTC"}
        result = CliRunner().invoke(cli, list(args), env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"storkctl {' '.join(args)} raised {result.exception!r}")
        return Ran(result.stdout, result.stderr, result.exit_code)

    def ok(self, *args: str) -> str:
        """stdout of a command that must succeed (Stork's ``testCommon(..., false)``)."""
        ran = self(*args)
        assert (ran.code, ran.stderr) == (0, ""), f"storkctl {' '.join(args)}: {ran}"
        return ran.stdout

    def fails(self, *args: str) -> str:
        """The error line of a command that must fail with exit 1, printing nothing on stdout."""
        ran = self(*args)
        assert (ran.code, ran.stdout) == (1, ""), f"storkctl {' '.join(args)}: {ran}"
        return ran.error


def subprocess_run(kubeconfig: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """storkctl in its own process, as a user runs it."""
    full_env = {**os.environ, "KUBECONFIG": str(kubeconfig), "TZ": "UTC", **env}
    return subprocess.run(
        [sys.executable, "-m", "stork.cli.storkctl_main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=300,
    )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local zone is UTC (storkctl prints dates in the local zone)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def patch_status(
    client: Client, resource: Any, name: str, namespace: str | None, status: Mapping[str, Any]
) -> None:
    """Write ``status`` where the kind keeps it (Stork's tests update whole objects)."""
    client.patch(
        status_target(resource),
        name,
        {"status": dict(status)},
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )


def delete_quietly(client: Client, resource: Any, name: str, namespace: str | None = None) -> None:
    """Delete an object if it is there."""
    try:
        client.delete(resource, name, namespace=namespace)
    except ApiError as e:
        if e.status.code != 404:
            raise


def stored(
    client: Client, resource: Any, name: str, namespace: str | None = None
) -> dict[str, Any]:
    """The object as the API server stores it, without what the server adds itself."""
    obj = dict(client.get(resource, name, namespace=namespace))
    meta = {
        k: v
        for k, v in obj["metadata"].items()
        if k not in {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}
    }
    return {**obj, "metadata": meta}


def tab(headers: list[str], rows: list[list[str]]) -> str:
    """kubectl's table layout written out independently: cells padded to the widest cell of
    their column plus 3 (at least 6), the last column not padded; one newline per line."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return "".join(
        "".join(c.ljust(max(w + 3, 6)) for c, w in zip(r[:-1], widths, strict=False)) + r[-1] + "\n"
        for r in [headers, *rows]
    )


def column(output: str, header: str, line: int) -> str:
    """The cell under ``header`` in line ``line`` (1 = first row) of a printed table."""
    lines = output.splitlines()
    start = lines[0].index(header)
    rest = lines[0][start + len(header) :]
    end = start + len(header) + (len(rest) - len(rest.lstrip(" "))) if rest.strip() else None
    return lines[line][start:end].rstrip()
