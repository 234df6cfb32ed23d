"""OCI archives made without a registry: what containerd and buildah read from them."""

import gzip
import hashlib
import json
import sys
import tarfile
from pathlib import Path

import pytest

from stork.sandbox.images import (
    ImageConfig,
    ImageError,
    archive_image_name,
    is_static_elf,
    write_oci_archive,
)


def _blob(tar: tarfile.TarFile, digest: str) -> bytes:
    f = tar.extractfile(f"blobs/sha256/{digest.removeprefix('sha256:')}")
    assert f is not None
    return f.read()


@pytest.mark.parametrize("level", [0, 6])
def test_archive_is_a_valid_one_layer_oci_image(tmp_path: Path, level: int) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (rootfs / "bin" / "tool").chmod(0o755)
    (rootfs / "bin" / "alias").symlink_to("tool")
    mtime = (rootfs / "bin" / "tool").stat().st_mtime
    out = tmp_path / "img.tar"
    config = ImageConfig(entrypoint=["/bin/tool"], user="65532:65532")
    write_oci_archive(rootfs, "stork.invalid/tool:1", out, config, gzip_level=level)

    assert archive_image_name(out) == "stork.invalid/tool:1"
    with tarfile.open(out) as tar:
        index_file = tar.extractfile("index.json")
        assert index_file is not None
        index = json.load(index_file)
        entry = index["manifests"][0]
        manifest_bytes = _blob(tar, entry["digest"])
        assert entry["digest"] == "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
        manifest = json.loads(manifest_bytes)
        layer = manifest["layers"][0]
        assert layer["mediaType"].endswith("+gzip") == bool(level)
        image_config = json.loads(_blob(tar, manifest["config"]["digest"]))
        assert image_config["config"]["Entrypoint"] == ["/bin/tool"]
        assert image_config["config"]["User"] == "65532:65532"
        layer_path = tmp_path / "layer"
        layer_path.write_bytes(_blob(tar, layer["digest"]))
    with tarfile.open(layer_path) as lt:
        tool = lt.getmember("bin/tool")
        assert (tool.uid, tool.gid, tool.mode & 0o777) == (0, 0, 0o755)
        assert abs(tool.mtime - mtime) < 1e-3  # kept: a .pyc is valid only with its source's mtime
        assert lt.getmember("bin/alias").issym()
        raw = layer_path.read_bytes()
    # the config names the uncompressed layer
    plain = gzip.decompress(raw) if level else raw
    assert image_config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(plain).hexdigest()]


def test_an_archive_without_a_name_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "x.tar"
    with tarfile.open(out, "w"):
        pass
    with pytest.raises(ImageError):
        archive_image_name(out)


def test_static_elf_detection(tmp_path: Path) -> None:
    assert not is_static_elf(Path(sys.executable).resolve())  # a dynamic interpreter
    script = tmp_path / "s"
    script.write_text("#!/bin/sh\n")
    assert not is_static_elf(script)
