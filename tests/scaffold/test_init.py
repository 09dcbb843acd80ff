"""nfs-gitops init: a commented, valid values file for a new cluster, never overwriting one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.model import build_model
from generator.scaffold.init import schema_reference
from generator.values.fleet import load_valid
from generator.values.load import load_bytes
from generator.values.validate import validate
from tests.conftest import ROOT

NEW = ("init", "--cluster", "edge", "--server", "nas.example.com", "--path", "/export/k8s")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("engine", ["flux", "argocd", "kustomize"])
def test_init_writes_a_valid_file_that_renders(workdir: Path, engine: str) -> None:
    extra = ["--repo-url", "https://github.com/example/fleet.git"] if engine == "argocd" else []
    result = run(*NEW, "--engine", engine, *extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "wrote values/edge.yaml; next: nfs-gitops render values/edge.yaml --output-dir output\n"
    )
    target = workdir / "values" / "edge.yaml"
    data = yaml.safe_load(target.read_text())
    assert data["cluster"] == "edge"
    assert data["nfs"] == {"server": "nas.example.com", "path": "/export/k8s"}
    assert data["gitops"]["engine"] == engine
    [doc] = load_valid([target])
    assert doc.data == data
    rendered = run("render", "values", "--output-dir", "output")
    assert rendered.exit_code == 0, rendered.output
    assert (workdir / "output" / "edge" / "kustomization.yaml").is_file()


def test_the_modeline_names_the_schema_of_this_checkout(at_root: Path, tmp_path: Path) -> None:
    reference = schema_reference(Path("values") / "edge.yaml")
    assert reference == "../generator/values.schema.json"
    assert (ROOT / "values" / reference).resolve() == ROOT / "generator" / "values.schema.json"
    # Outside a checkout the schema's $id stands in.
    elsewhere = tmp_path / "elsewhere.yaml"
    assert run(*NEW, "--output", str(elsewhere)).exit_code == 0
    assert elsewhere.read_text().startswith(
        "# yaml-language-server: $schema=https://nfs-gitops.dev/schemas/values.schema.json\n"
    )


def test_the_modeline_is_the_first_line(workdir: Path) -> None:
    assert run(*NEW).exit_code == 0
    first = (workdir / "values" / "edge.yaml").read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")


def test_uncommenting_the_optional_keys_changes_nothing(workdir: Path) -> None:
    """The commented-out sections show the defaults: turning them on gives the same model."""
    assert run(*NEW, "--output", "edge.yaml").exit_code == 0
    text = (workdir / "edge.yaml").read_text()
    uncommented, sections = re.subn(r"^# (\w+:)$", r"\1", text, flags=re.MULTILINE)
    uncommented, keys = re.subn(
        r"^#   (\w+: \S+)( +#.*)?$", r"  \1", uncommented, flags=re.MULTILINE
    )
    assert (sections, keys) == (2, 5)

    def model(source: str) -> object:
        doc = load_bytes(source.encode(), "edge.yaml")
        validate(doc)
        return build_model(doc.data, doc.file).values

    assert yaml.safe_load(uncommented)["storageClass"]["reclaimPolicy"] == "Delete"
    assert model(uncommented) == model(text)


def test_init_never_overwrites(workdir: Path) -> None:
    target = workdir / "values" / "edge.yaml"
    target.parent.mkdir()
    target.write_text("cluster: mine\n")
    result = run(*NEW)
    assert result.exit_code == 1
    assert result.stderr == (
        "nfs-gitops: values/edge.yaml already exists; not overwriting it (edit it, or pass "
        "--output) [init-exists]\n"
    )
    assert target.read_text() == "cluster: mine\n"


def test_invalid_values_are_refused_before_anything_is_written(workdir: Path) -> None:
    result = run("init", "--cluster", "Edge", "--server", "nfs://nas", "--path", "export")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "values/Edge.yaml:6:10: cluster: must be a DNS-1123 label: at most 63 lower-case "
        "letters, digits and '-', starting and ending with a letter or digit "
        "[name-dns1123-label]",
        "values/Edge.yaml:9:11: nfs.server: give a host name or address, without a scheme like "
        "nfs:// [nfs-server]",
        "values/Edge.yaml:10:9: nfs.path: must be an absolute path starting with / [nfs-path]",
        "nfs-gitops: 3 problem(s); nothing written",
    ]
    assert not (workdir / "values").exists()


def test_init_validates_over_the_shared_defaults(workdir: Path) -> None:
    (workdir / "values").mkdir()
    (workdir / "values" / "_defaults.yaml").write_text("storageClass:\n  default: maybe\n")
    result = run(*NEW)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "values/_defaults.yaml:2:12: storageClass.default: must be true or false"
    )
    assert not (workdir / "values" / "edge.yaml").exists()


def test_argocd_needs_a_repository_url(workdir: Path) -> None:
    result = run(*NEW, "--engine", "argocd")
    assert result.exit_code == 2
    assert "--engine argocd needs --repo-url" in result.stderr
    assert not (workdir / "values").exists()


def test_hostile_input_cannot_add_keys(workdir: Path) -> None:
    result = run(*NEW[:4], "nas\nextra: 1", "--path", "/k8s\n  injected: true")
    assert result.exit_code == 1
    assert "[control-characters]" in result.stderr
    assert not (workdir / "values").exists()


def test_the_commented_driver_line_switches_to_csi_driver_nfs(workdir: Path) -> None:
    assert run(*NEW).exit_code == 0
    path = workdir / "values" / "edge.yaml"
    text = path.read_text()
    line = "# driver: nfs-subdir-external-provisioner  # or csi-driver-nfs (README, Two drivers)"
    assert line in text.splitlines()
    path.write_text(text.replace(line, "driver: csi-driver-nfs"))
    doc = load_bytes(path.read_bytes(), "edge.yaml")
    validate(doc)
    model = build_model(doc.data, "edge.yaml")
    assert model.exports[0].driver.name == "csi-driver-nfs"
    assert model.values["nodeInstaller"]["enabled"] is False


def test_init_with_exports_writes_a_several_exports_file_that_renders(workdir: Path) -> None:
    result = run(
        "init", "--cluster", "studio",
        "--export", "fast=192.168.169.3:/volume1/k8s-ssd",
        "--export", "bulk=[fd00::4]:/volume2/k8s",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [doc] = load_valid([workdir / "values" / "studio.yaml"])
    assert "nfs" not in doc.data
    assert doc.data["exports"] == [
        {
            "name": "fast",
            "server": "192.168.169.3",
            "path": "/volume1/k8s-ssd",
            "storageClass": {"default": True},
        },
        {"name": "bulk", "server": "fd00::4", "path": "/volume2/k8s"},
    ]
    model = build_model(doc.data, doc.file)
    assert [e.names.storage_class for e in model.exports] == ["nfs-fast", "nfs-bulk"]
    rendered = run("render", "values/studio.yaml", "--output-dir", "output")
    assert rendered.exit_code == 0, rendered.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--export", "fast"), "'fast' is not NAME=SERVER:PATH"),
        (("--export", "fast=nas/data"), "'fast=nas/data' is not NAME=SERVER:PATH"),
        (("--export", "a=nas:/d", "--server", "nas"), "not both"),
        ((), "give --server and --path"),
    ],
)
def test_init_export_usage_errors_exit_2(
    workdir: Path, args: tuple[str, ...], message: str
) -> None:
    result = run("init", "--cluster", "studio", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (workdir / "values").exists()


def test_init_export_names_are_checked_located_in_the_new_file(workdir: Path) -> None:
    long = "a-name-of-twenty-two-c"
    result = run("init", "--cluster", "studio", "--export", f"{long}=nas:/d")
    assert result.exit_code == 1
    assert "values/studio.yaml:" in result.stderr and "[name-length]" in result.stderr
    assert not (workdir / "values" / "studio.yaml").exists()
