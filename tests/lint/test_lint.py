"""`nfs-gitops kubeconform`: kubeconform -strict over rendered trees, offline, every version.

These tests run the real kubeconform and kustomize from ./bin (make tools) against the schema
cache (make schemas: built-in kinds and the CRDs generated from the pinned upstream API modules),
through the same command make kubeconform runs. `make test` builds all of that first; without
it they fail, they never skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.lint import (
    CRD_SCHEMA_LOCATION,
    K8S_SCHEMA_LOCATION,
    Summary,
    finding,
    messages,
    resource_files,
)
from generator.schema import kubernetes_versions

ROOT = Path(__file__).resolve().parents[2]
HOMELAB = ROOT / "output" / "homelab"
TREES = sorted(path.parent for path in (ROOT / "output").glob("*/kustomization.yaml"))
LOCATIONS = (K8S_SCHEMA_LOCATION, CRD_SCHEMA_LOCATION)
NEWEST = kubernetes_versions()[-1]


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the repository root, as make does: ./bin and the schema paths are relative.
    Tests that run the tools carry the `tools` marker (tests/conftest.py checks they exist)."""
    monkeypatch.chdir(ROOT)
    yield


def lint(*args: str | Path, versions: tuple[str, ...] = (NEWEST,)) -> Result:
    options = [f"--kubernetes-version={v}" for v in versions]
    options += [f"--schema-location={location}" for location in LOCATIONS]
    return CliRunner().invoke(cli, ["kubeconform", *map(str, args), *options])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the committed homelab tree to break."""
    copy = tmp_path / "homelab"
    shutil.copytree(HOMELAB, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def add_resource(tree: Path, name: str, text: str) -> None:
    (tree / name).write_text(text)
    edit(tree / "kustomization.yaml", "resources:\n", f"resources:\n  - {name}\n")


def problems(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("nfs-gitops:")]


def counts(result: Result) -> dict[str, tuple[int, int]]:
    """(resources, files) per source from the summary lines of a one-version run."""
    found = {}
    for line in result.stdout.splitlines():
        match = re.search(
            r", (files|kustomize build)\]: Summary: (\d+) resources found in (\d+)", line
        )
        assert match, line
        found[match[1]] = (int(match[2]), int(match[3]))
    return found


# -- the committed trees are valid --------------------------------------------------------------


def test_there_are_trees_to_lint() -> None:
    assert HOMELAB in TREES


@pytest.mark.tools
@pytest.mark.parametrize("path", TREES, ids=[tree.name for tree in TREES])
def test_every_rendered_tree_is_valid_for_every_supported_version(path: Path) -> None:
    result = lint(path.relative_to(ROOT), versions=())
    assert result.exit_code == 0, result.output
    summaries = result.stdout.splitlines()
    assert len(summaries) == 2 * len(kubernetes_versions())
    for version in kubernetes_versions():
        for source in ("files", "kustomize build"):
            line = next(s for s in summaries if f"[Kubernetes {version}, {source}]" in s)
            assert line.endswith("Invalid: 0, Errors: 0, Skipped: 0"), line
            assert re.search(r"Valid: [1-9]", line), line


@pytest.mark.tools
def test_homelab_files_are_its_resources_not_its_values_or_kustomize_config() -> None:
    files, findings = resource_files(HOMELAB)
    assert findings == []
    names = {path.name for path in files}
    assert {"namespace.yaml", "node-installer.yaml", "storageclass.yaml"} <= names
    assert not names & {"kustomization.yaml", "kustomizeconfig.yaml", "helm-values.yaml"}
    assert names == {p.name for p in HOMELAB.glob("*.yaml")} - {
        "kustomization.yaml",
        "kustomizeconfig.yaml",
        "helm-values.yaml",
    }
    result = lint("output/homelab")
    assert result.exit_code == 0, result.output
    assert counts(result)["files"][1] == len(names)


# -- the check can fail -------------------------------------------------------------------------


@pytest.mark.tools
def test_unknown_field_in_the_daemonset_is_rejected(tree: Path) -> None:
    edit(tree / "node-installer.yaml", "kind: DaemonSet\n", "kind: DaemonSet\nfrobnicate: true\n")
    result = lint(tree)
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/node-installer.yaml: DaemonSet/nfs-client-installer: "
        "/: additional properties 'frobnicate' not allowed"
    ]
    assert "nfs-gitops: 1 problem(s)" in result.stderr


@pytest.mark.tools
@pytest.mark.parametrize("fmt", ["json", "github"])
def test_findings_are_reported_in_every_format(tree: Path, fmt: str) -> None:
    edit(tree / "node-installer.yaml", "kind: DaemonSet\n", "kind: DaemonSet\nfrobnicate: true\n")
    result = lint(tree, "--format", fmt)
    assert result.exit_code == 1
    message = "/: additional properties 'frobnicate' not allowed"
    if fmt == "json":  # stdout holds the array only; the summaries go to stderr
        assert json.loads(result.stdout) == [
            {
                "file": f"{tree}/node-installer.yaml",
                "line": None,
                "column": None,
                "field": "DaemonSet/nfs-client-installer",
                "message": message,
                "code": "lint",
            }
        ]
    else:
        assert result.stdout.startswith(f"::error file={tree}/node-installer.yaml,title=lint::")
    assert "Summary:" in result.stderr


@pytest.mark.tools
def test_unknown_field_deep_in_the_pod_template_is_rejected(tree: Path) -> None:
    edit(
        tree / "node-installer.yaml",
        "      tolerations:\n",
        "      tolerashuns: []\n      tolerations:\n",
    )
    result = lint(tree)
    assert result.exit_code == 1
    [problem] = problems(result)
    assert problem.startswith(f"{tree}/node-installer.yaml: DaemonSet/nfs-client-installer: ")
    assert "/spec/template/spec: additional properties 'tolerashuns' not allowed" in problem


@pytest.mark.tools
def test_wrong_type_in_the_storageclass_is_rejected(tree: Path) -> None:
    edit(tree / "storageclass.yaml", 'archiveOnDelete: "true"', "archiveOnDelete: true")
    result = lint(tree)
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/storageclass.yaml: StorageClass/nfs-client: "
        "/parameters/archiveOnDelete: got boolean, want null or string"
    ]
    assert "Invalid: 1" in result.stdout


@pytest.mark.tools
def test_helmrelease_without_interval_is_rejected(tree: Path) -> None:
    text = (tree / "helmrelease.yaml").read_text()
    (tree / "helmrelease.yaml").write_text(re.sub(r"(?m)^  interval: .*\n", "", text))
    result = lint(tree)
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/helmrelease.yaml: HelmRelease/nfs-subdir-external-provisioner: "
        "/spec: missing property 'interval'"
    ]


@pytest.mark.tools
def test_a_kind_without_schema_fails_instead_of_being_skipped(tree: Path) -> None:
    add_resource(
        tree, "widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    )
    result = lint(tree)
    assert result.exit_code == 1
    assert problems(result) == [f"{tree}/widget.yaml: Widget/w: could not find schema for Widget"]
    assert "Errors: 1, Skipped: 0" in result.stdout


@pytest.mark.tools
def test_a_problem_of_some_versions_only_says_which(tree: Path) -> None:
    # DeviceClass resource.k8s.io/v1 is GA since Kubernetes 1.34.
    add_resource(
        tree,
        "deviceclass.yaml",
        "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: gpu\nspec: {}\n",
    )
    result = lint(tree, versions=("1.33", "1.34"))
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/deviceclass.yaml: DeviceClass/gpu: could not find schema for DeviceClass "
        "(Kubernetes 1.33 only)"
    ]


@pytest.mark.tools
def test_every_problem_is_reported_once_with_files_and_build_merged(tree: Path) -> None:
    edit(tree / "storageclass.yaml", "reclaimPolicy: Delete", "reclaimPolicy: 3\nsurprise: x")
    result = lint(tree, versions=())
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/storageclass.yaml: StorageClass/nfs-client: /: additional properties "
        "'surprise' not allowed",
        f"{tree}/storageclass.yaml: StorageClass/nfs-client: /reclaimPolicy: got number, "
        "want null or string",
    ]


@pytest.mark.tools
def test_generated_objects_are_checked_in_the_build(tree: Path) -> None:
    before = counts(lint(tree))
    edit(
        tree / "kustomization.yaml",
        "configMapGenerator:\n",
        "configMapGenerator:\n  - name: extra\n    literals: [a=b]\n",
    )
    result = lint(tree)
    assert result.exit_code == 0, result.output
    after = counts(result)
    assert after["files"] == before["files"]
    assert after["kustomize build"][0] == before["kustomize build"][0] + 1


@pytest.mark.tools
def test_a_kustomize_build_failure_is_a_problem(tree: Path) -> None:
    edit(tree / "kustomization.yaml", "configurations:\n", "configurations:\n  - missing.yaml\n")
    result = lint(tree)
    assert result.exit_code == 1
    [problem] = problems(result)
    assert problem.startswith(f"{tree}/kustomization.yaml: Kustomization: kustomize build: ")
    assert "missing.yaml" in problem


@pytest.mark.tools
def test_a_listed_resource_that_does_not_exist_is_a_problem(tree: Path) -> None:
    (tree / "storageclass.yaml").unlink()
    result = lint(tree)
    assert result.exit_code == 1
    assert (
        f"{tree}/kustomization.yaml: Kustomization: resource 'storageclass.yaml' is not a file "
        "or folder of the tree"
    ) in problems(result)


@pytest.mark.tools
def test_objects_beside_the_kustomization_are_checked_too(tree: Path) -> None:
    # Not a resource of the kustomization (like an Argo CD Application), but a Kubernetes object.
    before = counts(lint(tree))
    (tree / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n"
    )
    result = lint(tree)
    assert result.exit_code == 1
    assert problems(result) == [
        f"{tree}/extra.yaml: ConfigMap/x: /data/a: got number, want null or string"
    ]
    assert counts(result)["files"] == (before["files"][0] + 1, before["files"][1] + 1)


@pytest.mark.tools
def test_a_tree_that_inflates_a_chart_is_built_without_helm(tree: Path) -> None:
    before = counts(lint(tree))
    edit(
        tree / "kustomization.yaml",
        "configMapGenerator:\n",
        "helmCharts:\n  - name: nfs-subdir-external-provisioner\n"
        "    repo: https://example.invalid/charts\n    version: 4.0.18\n"
        "    valuesFile: helm-values.yaml\nconfigMapGenerator:\n",
    )
    result = lint(tree)
    assert result.exit_code == 0, result.output
    assert counts(result) == before


@pytest.mark.tools
def test_a_folder_without_kustomization_is_not_a_tree(tmp_path: Path) -> None:
    result = lint(tmp_path)
    assert result.exit_code == 1
    assert problems(result) == [f"{tmp_path}: -: no kustomization.yaml; not a rendered tree"]


@pytest.mark.tools
def test_skipped_resources_fail(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kubeconform never skips here (no -skip, no -ignore-missing-schemas); if it did, lint fails.
    A stand-in kubeconform that skips everything proves it."""
    work = tmp_path / "work"
    (work / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "bin" / "kustomize", work / "bin" / "kustomize")
    fake = work / "bin" / "kubeconform"
    report = {
        "resources": [
            {
                "filename": str(tree / "storageclass.yaml"),
                "kind": "StorageClass",
                "name": "nfs-client",
                "version": "storage.k8s.io/v1",
                "status": "statusSkipped",
                "msg": "",
            }
        ],
        "summary": {"valid": 0, "invalid": 0, "errors": 0, "skipped": 1},
    }
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(report)}\nEOF\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    for folder in (".cache/schemas", "crds"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(work)
    result = CliRunner().invoke(
        cli,
        [
            "kubeconform",
            str(tree),
            f"--kubernetes-version={NEWEST}",
            "--schema-location=.cache/schemas",
            "--schema-location=crds/{{ .Group }}.json",
        ],
    )
    assert result.exit_code == 1
    assert (
        f"{tree}/storageclass.yaml: StorageClass/nfs-client: skipped: no check ran "
        "(a skipped resource counts as a failure)"
    ) in problems(result)
    assert "Skipped: 1" in result.stdout


# -- usage and set-up errors --------------------------------------------------------------------


def test_missing_kubeconform_is_a_clear_error(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "nowhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.setenv("PATH", str(empty))
    result = CliRunner().invoke(cli, ["kubeconform", str(tree)])
    assert result.exit_code == 1
    assert "kubeconform not found in ./bin or on PATH; run `make tools`" in result.stderr


@pytest.fixture
def tools_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """./bin on PATH, as for a user who runs nfs-gitops outside the root of the clone."""
    monkeypatch.setenv("PATH", f"{ROOT / 'bin'}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.tools
@pytest.mark.usefixtures("tools_on_path")
def test_kubeconform_on_path_is_found(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    locations = [str(ROOT / location) for location in LOCATIONS]
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(
        cli,
        [
            "kubeconform",
            str(tree),
            f"--kubernetes-version={NEWEST}",
            *(f"--schema-location={location}" for location in locations),
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.tools
def test_missing_schema_folder_is_a_clear_error(tree: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-cache"
    result = CliRunner().invoke(
        cli, ["kubeconform", str(tree), f"--schema-location={missing}/{{{{ .ResourceKind }}}}.json"]
    )
    assert result.exit_code == 1
    assert f"folder {missing} does not exist" in result.stderr
    assert "make schemas" in result.stderr


def test_unsupported_kubernetes_version_is_a_usage_error(tree: Path) -> None:
    result = CliRunner().invoke(cli, ["kubeconform", str(tree), "--kubernetes-version=1.20"])
    assert result.exit_code == 2
    assert "1.20 not supported; choose from 1.33" in result.stderr


def test_lint_needs_a_tree() -> None:
    result = CliRunner().invoke(cli, ["kubeconform"])
    assert result.exit_code == 2


# -- one list of supported versions -------------------------------------------------------------


def test_kubernetes_versions_command_prints_the_schema_enum() -> None:
    result = CliRunner().invoke(cli, ["kubernetes-versions"])
    assert result.exit_code == 0
    enum = json.loads((ROOT / "generator" / "values.schema.json").read_text())["properties"][
        "kubernetesVersion"
    ]
    assert result.stdout.split() == enum["enum"]
    assert enum["default"] == enum["enum"][-1]  # the newest is the default
    assert len(enum["enum"]) >= 3


def test_readme_names_the_supported_versions() -> None:
    versions = ", ".join(kubernetes_versions())
    assert f"Supported Kubernetes versions: {versions}." in (ROOT / "README.md").read_text()


@pytest.mark.tools
def test_schema_cache_has_every_supported_version() -> None:
    for version in kubernetes_versions():
        folder = ROOT / ".cache" / "schemas" / f"v{version}.0-standalone-strict"
        assert (folder / "daemonset-apps-v1.json").is_file(), folder


# -- message formatting -------------------------------------------------------------------------


def test_messages_split_every_violation() -> None:
    result = {
        "status": "statusInvalid",
        "msg": "problem validating schema. Check JSON formatting: jsonschema validation failed "
        "with 'file:///x.json#' - at '/a': got number, want string - at '': additional "
        "properties 'b' not allowed",
    }
    assert messages(result) == [
        "/a: got number, want string",
        "/: additional properties 'b' not allowed",
    ]


def test_messages_keep_other_errors_on_one_line() -> None:
    result = {
        "status": "statusError",
        "msg": 'error unmarshalling resource: yaml: unmarshal errors:\n  line 5: key "name" '
        "already set in map",
    }
    [message] = messages(result)
    assert message == (
        'error unmarshalling resource: yaml: unmarshal errors: line 5: key "name" already set '
        "in map"
    )


def test_finding_and_summary_formats() -> None:
    one = finding("output/a/x.yaml", "DaemonSet/d", "/spec: bad")
    assert str(one) == "output/a/x.yaml: DaemonSet/d: /spec: bad"
    summary = Summary("output/a", "1.37", "files", 2)
    for status in ("statusValid", "statusValid", "statusInvalid", "statusWhatever"):
        summary.count(status)
    assert str(summary) == (
        "output/a [Kubernetes 1.37, files]: Summary: 4 resources found in 2 files - "
        "Valid: 2, Invalid: 1, Errors: 1, Skipped: 0"
    )


# -- the lone clone: schemas made by the project, found without options -------------------------


@pytest.mark.tools
def test_strict_crd_schemas_reject_an_unknown_helmrelease_field(tree: Path) -> None:
    """The generated HelmRelease schema is strict: the rendered one passes, a typo does not."""
    assert lint(tree).exit_code == 0
    edit(tree / "helmrelease.yaml", "spec:\n", "spec:\n  valuesFile: typo.yaml\n")
    result = lint(tree)
    assert result.exit_code == 1
    assert (
        f"{tree}/helmrelease.yaml: HelmRelease/nfs-subdir-external-provisioner: "
        "/spec: additional properties 'valuesFile' not allowed"
    ) in problems(result)


SNAPSHOT_CLASS = """\
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: csi-nfs-snapclass
driver: nfs.csi.k8s.io
deletionPolicy: Delete
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: nfs.csi.k8s.io
spec:
  attachRequired: false
  volumeLifecycleModes:
    - Persistent
"""


@pytest.mark.tools
def test_volume_snapshot_class_is_validated_for_every_supported_version(tree: Path) -> None:
    """The snapshot CRD schemas (crdgen/snapshot) make kubeconform check a VolumeSnapshotClass
    for every supported version, not skip it; a CSIDriver is a built-in kind everywhere."""
    add_resource(tree, "snapshotclass.yaml", SNAPSHOT_CLASS)
    result = lint(tree, versions=())
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        assert line.endswith("Invalid: 0, Errors: 0, Skipped: 0"), line
    assert len(result.stdout.splitlines()) == 2 * len(kubernetes_versions())
    edit(tree / "snapshotclass.yaml", "deletionPolicy: Delete", "deletionPolicy: Archive")
    edit(tree / "snapshotclass.yaml", "driver: nfs", "snapshotter: x\ndriver: nfs")
    result = lint(tree, versions=())
    assert result.exit_code == 1
    where = f"{tree}/snapshotclass.yaml: VolumeSnapshotClass/csi-nfs-snapclass: "
    found = set(problems(result))
    assert where + "/: additional properties 'snapshotter' not allowed" in found, found
    assert any(p.startswith(where + "/deletionPolicy: value must be one of") for p in found), found


@pytest.mark.tools
@pytest.mark.usefixtures("tools_on_path")
def test_default_schemas_are_found_from_inside_the_clone(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --schema-location: the clone's .cache/schemas is found from a subfolder too."""
    monkeypatch.chdir(ROOT / "docs")
    result = CliRunner().invoke(cli, ["kubeconform", str(tree), f"--kubernetes-version={NEWEST}"])
    assert result.exit_code == 0, result.output
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout


@pytest.mark.tools
@pytest.mark.usefixtures("tools_on_path")
def test_outside_a_clone_the_message_says_what_to_run_or_pass(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(cli, ["kubeconform", str(tree)])
    assert result.exit_code == 1
    message = result.stderr
    assert f"no offline schemas: .cache/schemas is not in {elsewhere} or a parent folder" in message
    assert "run `make schemas` at its root" in message
    assert "--schema-location default --schema-location 'https://" in message
    assert "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'" in message
    assert "[tool-missing]" in message


@pytest.mark.tools
def test_lint_is_kept_as_a_hidden_alias(tree: Path) -> None:
    options = [f"--kubernetes-version={NEWEST}"]
    options += [f"--schema-location={location}" for location in LOCATIONS]
    result = CliRunner().invoke(cli, ["lint", str(tree), *options])
    assert result.exit_code == 0, result.output
    listing = CliRunner().invoke(cli, ["--help"]).stdout
    assert "kubeconform" in listing
    assert "  lint " not in listing
