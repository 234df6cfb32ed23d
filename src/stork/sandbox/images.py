"""Container images without a registry: OCI archives made here, loaded into a node's containerd.

* ``pause``: Kubernetes' own pause program (``build/pause/linux/pause.c`` of the pinned
  k8s.io/kubernetes module, which ``make controlplane`` downloads), built static with gcc;
* ``busybox``: the static ``/bin/busybox`` of Debian's busybox-static with one link per applet,
  the sandbox's application image (a shell, ``httpd``, ``nc``, ...);
* the controller's image, built by ``make image`` (hack/build_image.py) from ``Containerfile``.

Names end in ``.invalid``, which can never resolve: a missing image fails at once instead of
being pulled from somewhere. Archives are cached in ``<cache>/images`` and made again only when
their inputs change.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from stork.sandbox.binaries import KUBERNETES_VERSION, cache_root
from stork.sandbox.errors import SandboxError

PAUSE_IMAGE = "stork.invalid/pause:3.10"
BUSYBOX_IMAGE = "stork.invalid/busybox:static"
BUSYBOX = Path("/bin/busybox")
_DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ImageError(SandboxError):
    """An image could not be made."""


def images_dir() -> Path:
    """Where image archives are cached."""
    return cache_root() / "images"


@dataclass(frozen=True)
class ImageConfig:
    """The runtime part of an OCI image config."""

    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=lambda: [_DEFAULT_PATH])
    workdir: str = ""
    user: str = ""

    def to_json(self) -> dict[str, object]:
        """The ``config`` object of the image config."""
        out: dict[str, object] = {"Env": list(self.env)}
        if self.entrypoint:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd:
            out["Cmd"] = list(self.cmd)
        if self.workdir:
            out["WorkingDir"] = self.workdir
        if self.user:
            out["User"] = self.user
        return out


def layer_tar(rootfs: Path) -> bytes:
    """A tar of ``rootfs`` as one image layer: owned by root, names sorted, mtimes kept (a
    ``.pyc`` is used only while its source's mtime matches)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in [*dirnames, *sorted(filenames)]:
                full = Path(dirpath) / name
                info = tar.gettarinfo(str(full), arcname=str(full.relative_to(rootfs)))
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if info.isreg():
                    with full.open("rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def _add(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), 0
    out.addfile(info, io.BytesIO(data))


def _blob(out: tarfile.TarFile, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _add(out, f"blobs/sha256/{digest[7:]}", data)
    return digest, len(data)


def write_oci_archive(
    rootfs: Path, name: str, out: Path, config: ImageConfig, gzip_level: int = 0
) -> None:
    """Write ``rootfs`` as a one-layer OCI image archive named ``name`` (what ``ctr images
    import`` and ``buildah pull oci-archive:`` read); level 0 leaves the layer uncompressed,
    which is quicker to write and to import."""
    raw = layer_tar(rootfs)
    layer = gzip.compress(raw, compresslevel=gzip_level, mtime=0) if gzip_level else raw
    media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_level else "")
    image_config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": config.to_json(),
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
        },
        sort_keys=True,
    ).encode()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tmp, "w") as tar:
        layer_digest, layer_size = _blob(tar, layer)
        config_digest, config_size = _blob(tar, image_config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": config_size,
                },
                "layers": [{"mediaType": media, "digest": layer_digest, "size": layer_size}],
            },
            sort_keys=True,
        ).encode()
        manifest_digest, manifest_size = _blob(tar, manifest)
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest,
                    "size": manifest_size,
                    "platform": {"architecture": "amd64", "os": "linux"},
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                    },
                }
            ],
        }
        _add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tar, "index.json", json.dumps(index, sort_keys=True).encode())
    tmp.replace(out)


def is_static_elf(path: Path) -> bool:
    """True for an ELF executable without a program interpreter (statically linked)."""
    with path.open("rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
            return False
        (phoff,) = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(
        struct.unpack_from("<I", table, i * phentsize)[0] != 3  # PT_INTERP
        for i in range(phnum)
    )


def _digest_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def kubernetes_source() -> Path:
    """The pinned k8s.io/kubernetes module in Go's module cache (downloaded if missing)."""
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@{KUBERNETES_VERSION}"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"},
    )
    try:
        return Path(json.loads(done.stdout)["Dir"])
    except (ValueError, KeyError) as e:
        raise ImageError(
            f"cannot find k8s.io/kubernetes {KUBERNETES_VERSION} in Go's module cache "
            f"(needed for the pause program): {done.stderr.strip() or e}"
        ) from e


def pause_archive() -> Path:
    """The pause image's archive, built when missing: Kubernetes' pause.c, static."""
    out = images_dir() / f"pause-{KUBERNETES_VERSION}.tar"
    if out.is_file():
        return out
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ImageError("gcc not found (the pause image is built with it): `make packages`")
    source = kubernetes_source() / "build" / "pause" / "linux" / "pause.c"
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / "rootfs"
        rootfs.mkdir()
        argv = [gcc, "-static", "-O2", "-s", f"-DVERSION={KUBERNETES_VERSION}", "-o"]
        done = subprocess.run(
            [*argv, str(rootfs / "pause"), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ImageError(f"gcc could not build {source}: {done.stderr.strip()}")
        write_oci_archive(rootfs, PAUSE_IMAGE, out, ImageConfig(entrypoint=["/pause"]))
    return out


def busybox_archive() -> Path:
    """The busybox image's archive, made when missing or when /bin/busybox changed."""
    if not BUSYBOX.is_file() or not is_static_elf(BUSYBOX):
        raise ImageError(
            f"{BUSYBOX} is not a static busybox: install the Debian package busybox-static "
            "(`make packages`)"
        )
    out = images_dir() / f"busybox-{_digest_file(BUSYBOX)[:12]}.tar"
    if out.is_file():
        return out
    applets = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / "rootfs"
        for d in ("bin", "etc", "root", "tmp", "www"):
            (rootfs / d).mkdir(parents=True)
        (rootfs / "tmp").chmod(0o1777)
        shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
        for applet in applets:
            if applet != "busybox":
                (rootfs / "bin" / applet).symlink_to("busybox")
        (rootfs / "etc" / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        )
        (rootfs / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
        write_oci_archive(rootfs, BUSYBOX_IMAGE, out, ImageConfig(cmd=["sh"]))
    return out


def node_archives() -> list[Path]:
    """The archives every node loads at its first start."""
    return [pause_archive(), busybox_archive()]


def archive_image_name(archive: Path) -> str:
    """The image name an OCI archive carries (``io.containerd.image.name``)."""
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile("index.json")
            if member is None:
                raise KeyError("index.json")
            index = json.load(member)
    except (KeyError, tarfile.TarError, ValueError) as e:
        raise ImageError(f"{archive} is not an OCI image archive: {e}") from e
    for m in index.get("manifests", []):
        notes = m.get("annotations") or {}
        # ours carry containerd's annotation; buildah's push the whole name as ref.name
        name = notes.get("io.containerd.image.name") or notes.get(
            "org.opencontainers.image.ref.name", ""
        )
        if "/" in name:
            return str(name)
    raise ImageError(f"{archive} names no image (annotation io.containerd.image.name)")


#: The Debian packages of the controller image's base (``make image``): Python 3.11 with venv,
#: and a shell for the Containerfile's RUN.
BASE_PACKAGES = ("python3", "python3-venv", "dash")
BASE_IMAGE = "stork.invalid/debian-python:bookworm"


def controller_image_key(repo: Path) -> str:
    """A digest of everything the controller image is built from: the Containerfile, the
    package's sources and metadata, the base's packages. Equal keys, equal images."""
    h = hashlib.sha256("\n".join(BASE_PACKAGES).encode())
    files = [repo / "Containerfile", repo / "pyproject.toml", repo / "README.md"]
    files += sorted(
        p
        for p in (repo / "src").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    for path in files:
        h.update(str(path.relative_to(repo)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def controller_archive(repo: Path) -> Path:
    """Where ``make image`` puts the controller image built from ``repo`` as it is now."""
    return images_dir() / f"stork-{controller_image_key(repo)}.tar"
