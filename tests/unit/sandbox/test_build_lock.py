"""hack/build-controlplane.sh: a run that finds another build under way waits for it and
then uses what it built, instead of building the same binaries a second time."""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BINARIES = ("kube-apiserver", "kube-controller-manager", "kubelet", "kube-scheduler", "etcd")


def test_a_concurrent_run_waits_for_the_build_and_reuses_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    out = cache / "controlplane" / "v-test"
    out.mkdir(parents=True)
    lock = (cache / "controlplane" / ".build.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # "another build" holds the lock

    def finish_the_other_build() -> None:
        time.sleep(1.0)
        for name in BINARIES:
            (out / name).write_text("#!/bin/sh\necho v-test\n")
            (out / name).chmod(0o755)
        fcntl.flock(lock, fcntl.LOCK_UN)

    other = threading.Thread(target=finish_the_other_build)
    other.start()
    env = {**os.environ, "STORK_CACHE_DIR": str(cache), "OUT": str(out), "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(ROOT / "hack" / "build-controlplane.sh")],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    other.join()
    lock.close()
    assert done.returncode == 0, done.stderr
    assert "another build of the control plane is running; waiting for it" in done.stderr
    assert f"using cached binaries in {out}" in done.stderr
    assert done.stdout.strip() == str(out)
    assert time.monotonic() - started >= 0.9  # it waited for the lock
    # no Go on PATH: had it not waited, it would have tried to build and failed


def test_a_cache_missing_the_node_binaries_is_not_complete(tmp_path: Path) -> None:
    out = tmp_path / "cache" / "controlplane" / "v-test"
    out.mkdir(parents=True)
    for name in ("kube-apiserver", "kube-controller-manager", "etcd"):  # before nodes existed
        (out / name).write_text("#!/bin/sh\n")
        (out / name).chmod(0o755)
    env = {
        **os.environ,
        "STORK_CACHE_DIR": str(tmp_path / "cache"),
        "OUT": str(out),
        "PATH": "/usr/bin:/bin",  # no Go: the build it starts fails at once, saying so
    }
    done = subprocess.run(
        ["bash", str(ROOT / "hack" / "build-controlplane.sh")],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Go is needed" in done.stderr
