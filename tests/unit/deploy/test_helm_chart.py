"""The Helm chart renders, with the real `helm template`, the objects of deploy/ (parsed YAML)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stork.deploy.helm import MissingHelmError, helm_binary
from stork.deploy.manifests import FILES, DeploySettings, controller_manifests

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "stork"

Obj = dict[str, Any]


def helm() -> Path:
    try:
        return helm_binary()
    except MissingHelmError as e:
        pytest.fail(str(e))


def render(*args: str) -> list[Obj]:
    result = subprocess.run(
        [str(helm()), "template", "stork", str(CHART), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def load(*paths: Path) -> list[Obj]:
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def key(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def by_key(objs: list[Obj]) -> dict[tuple[str, str, str, str], Obj]:
    out = {key(o): o for o in objs}
    assert len(out) == len(objs), "duplicate objects"
    return out


def test_default_values_render_the_plain_manifests() -> None:
    rendered = by_key(render("--include-crds"))
    plain = by_key(load(*sorted((DEPLOY / "crds").glob("*.yaml")), *(DEPLOY / f for f in FILES)))
    assert sorted(rendered) == sorted(plain)
    for k, obj in plain.items():
        assert rendered[k] == obj, k
    assert len(rendered) == 18


def test_values_render_what_the_generator_makes_with_the_same_settings() -> None:
    rendered = by_key(
        render(
            "--set",
            "namespace=dr",
            "--set",
            "replicas=3",
            "--set",
            "image.repository=registry.example/stork",
            "--set",
            "image.tag=1.2.3",
            "--set",
            "resources.requests.cpu=250m",
            "--set",
            "resources.limits.memory=2Gi",
            "--set",
            "customResourceGroups={example.com,acme.io,example.com}",
        )
    )
    settings = DeploySettings(
        namespace="dr",
        image="registry.example/stork:1.2.3",
        replicas=3,
        requests={"cpu": "250m", "memory": "128Mi"},
        limits={"cpu": "1", "memory": "2Gi"},
        custom_resource_groups=("example.com", "acme.io"),
    )
    assert rendered == by_key(controller_manifests(settings))
    reader = rendered[("rbac.authorization.k8s.io/v1", "ClusterRole", "", "stork-migration-source")]
    assert reader["rules"][-2:] == [
        {"apiGroups": ["acme.io"], "resources": ["*"], "verbs": ["list"]},
        {"apiGroups": ["example.com"], "resources": ["*"], "verbs": ["list"]},
    ]


def test_without_namespace_object_and_with_extra_args() -> None:
    rendered = render("--set", "createNamespace=false", "--set", "extraArgs={--time-zone,UTC}")
    assert "Namespace" not in {o["kind"] for o in rendered}
    (deployment,) = [o for o in rendered if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][-2:] == ["--time-zone", "UTC"]


def test_chart_crds_are_copies_of_the_generated_ones() -> None:
    generated = {p.name: p.read_text() for p in (DEPLOY / "crds").glob("*.yaml")}
    in_chart = {p.name: p.read_text() for p in (CHART / "crds").glob("*.yaml")}
    assert in_chart == generated, "copy deploy/crds/*.yaml to deploy/helm/stork/crds/"


def test_chart_app_version_is_the_image_tag_of_the_manifests() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    (deployment,) = [o for o in controller_manifests() if o["kind"] == "Deployment"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(f":{chart['appVersion']}")
