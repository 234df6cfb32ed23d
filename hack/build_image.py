"""`make image`: the controller's image as an OCI archive, without any container registry.

1. A Debian 12 base with Python 3.11 (``stork.invalid/debian-python:<key>``): the packages of
   ``images.BASE_PACKAGES`` and their dependencies, downloaded by apt from this machine's Debian
   mirror and unpacked with dpkg-deb into a merged-/usr tree (seconds, where debootstrap takes
   minutes: no maintainer scripts run, and none are needed), packed as an OCI archive. Cached.
2. Wheels of the project and its dependencies, made here with pip (the build has no network).
3. ``buildah bud --pull=never --network none`` of ``Containerfile``, pushed as an OCI archive to
   ``images.controller_archive(repo)`` (keyed by everything the image is made from), which
   ``stork sandbox load-image`` loads into the sandbox's nodes.

Needs root and buildah (``make packages``). ``--if-possible`` (``make test``) says in one line
why it cannot, and succeeds: the tests that need the image are then skipped, saying so.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stork.deploy.manifests import default_image
from stork.sandbox.images import (
    BASE_IMAGE,
    BASE_PACKAGES,
    ImageConfig,
    controller_archive,
    images_dir,
    write_oci_archive,
)

ROOT = Path(__file__).resolve().parents[1]
KEEP_ARCHIVES = 4
#: Left out of the base: documentation, translations, package-manager state.
_PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache")
_PRUNE += ("var/lib/apt", "var/log")


def say(text: str) -> None:
    print(f"[image] {text}", flush=True)


def run(*argv: str, quiet: bool = True, cwd: Path | None = None) -> str:
    """Run a command; on failure show its output and stop."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode != 0:
        sys.exit(f"[image] {' '.join(argv[:3])} ... failed:\n{done.stdout}{done.stderr}")
    if not quiet:
        print(done.stdout, end="")
    return done.stdout


def cannot_build() -> str | None:
    """Why the image cannot be built here, or None."""
    if os.geteuid() != 0:
        return "not root: the controller image is built with buildah as root (`make image`)"
    missing = [t for t in ("buildah", "apt-get", "dpkg-deb", "tar") if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} not found: `make packages` installs them"
    return None


def base_name() -> str:
    """The base image's name, tagged by its packages (buildah's storage keeps it by name)."""
    key = hashlib.sha256(" ".join(BASE_PACKAGES).encode()).hexdigest()[:12]
    return f"{BASE_IMAGE.rsplit(':', 1)[0]}:{key}"


def base_archive() -> Path:
    """The Debian base as an OCI archive, made when missing."""
    out = images_dir() / f"debian-python-{base_name().rsplit(':', 1)[1]}.tar"
    if out.is_file():
        return out
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=images_dir()) as tmp:
        debs, rootfs = Path(tmp) / "debs", Path(tmp) / "rootfs"
        debs.mkdir()
        # An empty dpkg status: apt resolves the packages' whole dependency closure.
        (Path(tmp) / "status").write_text("")
        download = [
            "apt-get", "-q", "-y", "--no-install-recommends",
            "-o", f"Dir::State::status={Path(tmp) / 'status'}",
            "-o", f"Dir::Cache::archives={debs}",
            "-o", "Debug::NoLocking=1",
            "install", "--download-only", *BASE_PACKAGES,
        ]  # fmt: skip
        if subprocess.run(download, capture_output=True, check=False).returncode != 0:
            run("apt-get", "update", "-qq")  # a fresh machine may have no package lists yet
            run(*download)
        packages = sorted(debs.glob("*.deb"))
        for d in ("bin", "lib", "lib64", "sbin"):  # Debian 12's merged /usr
            (rootfs / "usr" / d).mkdir(parents=True)
            (rootfs / d).symlink_to(f"usr/{d}")
        for deb in packages:
            tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
            subprocess.run(
                ["tar", "-x", "--keep-directory-symlink", "-C", str(rootfs)],
                stdin=tar.stdout,
                check=True,
            )
            if tar.wait() != 0:
                sys.exit(f"[image] dpkg-deb could not unpack {deb.name}")
        for d in _PRUNE:
            shutil.rmtree(rootfs / d, ignore_errors=True)
        for d in ("tmp", "root", "etc", "run", "var/tmp"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        (rootfs / "tmp").chmod(0o1777)
        (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (rootfs / "etc" / "group").write_text("root:x:0:\n")
        (rootfs / "etc" / "resolv.conf").write_text("")
        write_oci_archive(rootfs, base_name(), out, ImageConfig(cmd=["python3"]))
    mb = out.stat().st_size / 1e6
    say(f"base {base_name()}: {len(packages)} Debian packages, {mb:.0f} MB, "
        f"in {time.monotonic() - started:.1f}s")  # fmt: skip
    return out


class Buildah:
    """buildah with its storage in the build cache (the base stays there between builds)."""

    def __init__(self, root: Path) -> None:
        self.argv = ["buildah", "--root", str(root / "root"), "--runroot", str(root / "run")]
        self.argv += ["--storage-driver", "overlay"]

    def __call__(self, *args: str) -> str:
        return run(*self.argv, *args)

    def has(self, image: str) -> bool:
        done = subprocess.run(
            [*self.argv, "inspect", "--type", "image", image], capture_output=True, check=False
        )
        return done.returncode == 0


def build(repo: Path, out: Path) -> None:
    """Build the image of ``repo`` into the archive ``out``."""
    started = time.monotonic()
    image = default_image()
    base = base_archive()
    buildah = Buildah(images_dir() / "buildah")
    if not buildah.has(base_name()):
        t = time.monotonic()
        buildah("pull", "--quiet", f"oci-archive:{base}")
        say(f"base loaded into buildah in {time.monotonic() - t:.1f}s")
    with tempfile.TemporaryDirectory(dir=images_dir()) as tmp:
        context = Path(tmp)
        t = time.monotonic()
        env_pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
        run(*env_pip, "--wheel-dir", str(context / "wheels"), str(repo))
        wheels = len(list((context / "wheels").glob("*.whl")))
        say(f"{wheels} wheels (the project and its dependencies) in {time.monotonic() - t:.1f}s")
        shutil.copy(repo / "Containerfile", context / "Containerfile")
        t = time.monotonic()
        buildah(
            "bud", "--quiet", "--pull=never", "--network", "none",
            "--build-arg", f"BASE={base_name()}", "-t", image, str(context),
        )  # fmt: skip
        say(f"buildah bud in {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    tmp_out = out.with_name(f".{out.name}.tmp")
    tmp_out.unlink(missing_ok=True)
    buildah("push", "--quiet", "--disable-compression", image, f"oci-archive:{tmp_out}:{image}")
    tmp_out.replace(out)
    buildah("rmi", image)  # the archive is what counts; storage keeps only the base
    # Several checkouts share the cache: keep the newest few images, not only this one.
    archives = sorted(images_dir().glob("stork-*.tar"), key=lambda p: p.stat().st_mtime)
    for old in archives[:-KEEP_ARCHIVES]:
        old.unlink(missing_ok=True)
    mb = out.stat().st_size / 1e6
    say(f"pushed in {time.monotonic() - t:.1f}s")
    say(f"{image} in {out} ({mb:.0f} MB), all in {time.monotonic() - started:.1f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument(
        "--if-possible", action="store_true", help="say why not and succeed when it cannot"
    )
    args = parser.parse_args()
    out = controller_archive(args.repo)
    if out.is_file():
        say(f"up to date: {out}")
        return 0
    why = cannot_build()
    if why:
        say(f"{why}; not built" + (" (tests that need it are skipped)" if args.if_possible else ""))
        return 0 if args.if_possible else 1
    images_dir().mkdir(parents=True, exist_ok=True)
    build(args.repo, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
