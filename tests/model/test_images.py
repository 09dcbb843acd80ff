"""images.registry moves every image the tree and the chart use; images.pullSecrets reaches
every pod. Both validated like every other value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.model import moved

MINIMAL = "cluster: lab\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"


@pytest.mark.parametrize(
    ("repository", "registry", "expected"),
    [
        ("registry.k8s.io/pause", "mirror.lan", "mirror.lan/pause"),
        (
            "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner",
            "mirror.lan:5000/k8s",
            "mirror.lan:5000/k8s/sig-storage/nfs-subdir-external-provisioner",
        ),
        ("docker.io/library/busybox", "mirror.lan", "mirror.lan/library/busybox"),
        ("busybox", "mirror.lan", "mirror.lan/library/busybox"),
        ("example/tool", "mirror.lan", "mirror.lan/example/tool"),
        ("localhost/tool", "mirror.lan/", "mirror.lan/tool"),
        ("registry.k8s.io/pause", None, "registry.k8s.io/pause"),
    ],
)
def test_moved(repository: str, registry: str | None, expected: str) -> None:
    assert moved(repository, registry) == expected


def render(tmp_path: Path, extra: str) -> dict[str, list[dict[str, Any]]]:
    values = tmp_path / "lab.yaml"
    values.write_text(MINIMAL + extra)
    result = CliRunner().invoke(cli, ["render", str(values), "--output-dir", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in (tmp_path / "o" / "lab").glob("*.yaml")
    }


def test_one_registry_moves_every_image_and_secrets_reach_every_pod(tmp_path: Path) -> None:
    tree = render(tmp_path, "images:\n  registry: mirror.lan\n  pullSecrets: [pull-a, pull-b]\n")
    [chart] = tree["helm-values.yaml"]
    assert chart["image"] == {
        "repository": "mirror.lan/sig-storage/nfs-subdir-external-provisioner",
        "tag": "v4.0.2",
        "pullPolicy": "IfNotPresent",
    }
    assert chart["imagePullSecrets"] == [{"name": "pull-a"}, {"name": "pull-b"}]
    [daemonset] = [d for d in tree["node-installer.yaml"] if d["kind"] == "DaemonSet"]
    pod = daemonset["spec"]["template"]["spec"]
    images = [c["image"] for c in pod["initContainers"] + pod["containers"]]
    assert images == ["mirror.lan/library/busybox:1.37.0", "mirror.lan/pause:3.10"]
    assert pod["imagePullSecrets"] == [{"name": "pull-a"}, {"name": "pull-b"}]


def test_without_images_nothing_moves(tmp_path: Path) -> None:
    tree = render(tmp_path, "")
    [chart] = tree["helm-values.yaml"]
    assert "imagePullSecrets" not in chart
    assert chart["image"]["repository"].startswith("registry.k8s.io/")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "images:\n  registry: https://mirror.lan\n",
            'lab.yaml:6:13: images.registry: "https://mirror.lan" is',
        ),
        (
            "images:\n  pullSecrets: [Pull_Secret]\n",
            "lab.yaml:6:17: images.pullSecrets[0]: must be a Secret name (DNS-1123 subdomain: "
            "lower-case letters, digits, '-' and '.') [name-dns1123-subdomain]",
        ),
        ("images:\n  mirror: x\n", "lab.yaml:6:3: images.mirror: unknown key"),
        (
            "images:\n  pullSecrets: [a, b, a]\n",
            "lab.yaml:6:23: images.pullSecrets[2]: is listed twice [name-duplicate]",
        ),
    ],
)
def test_bad_images_are_located(tmp_path: Path, extra: str, expected: str) -> None:
    values = tmp_path / "lab.yaml"
    values.write_text(MINIMAL + extra)
    result = CliRunner().invoke(cli, ["validate", str(values)])
    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"{tmp_path}/{expected}"), line


def test_the_preflight_job_moves_too_and_gets_a_new_name(tmp_path: Path) -> None:
    def job(extra: str) -> dict[str, Any]:
        [found] = [d for d in render(tmp_path, extra)["preflight.yaml"] if d["kind"] == "Job"]
        return found

    plain = job("")
    mirrored = job("images:\n  registry: mirror.lan\n  pullSecrets: [pull-a]\n")
    pod = mirrored["spec"]["template"]["spec"]
    assert [c["image"] for c in pod["containers"]] == ["mirror.lan/library/busybox:1.37.0"]
    assert pod["imagePullSecrets"] == [{"name": "pull-a"}]
    # A Job's pod template is immutable: a moved image must be a new Job.
    assert mirrored["metadata"]["name"] != plain["metadata"]["name"]
