"""Argo CD trees: what Argo CD renders for the multi-source Application, applied to a real API
server, plus the argocd-source-lint linter over a repository holding the trees.

Argo CD's controllers are too heavy to build here, so this renders what its documentation says a
multi-source Application renders (https://argo-cd.readthedocs.io/en/stable/user-guide/
multiple_sources/ and .../helm/): for the chart source, `helm template` of the chart at
targetRevision with helm.releaseName, the destination namespace (--namespace, and as the namespace
of every namespaced object that names none) and each `$values/<path>` value file resolved against
the root of the source whose `ref` is `values`; for the Git source, `kustomize build` of its path.
The harness's one change (`chart_source_url`): the chart's repoURL on the internet becomes the
loopback Helm repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from . import trees
from .cluster import Certs
from .engines import (
    RELEASE_MUST_NOT_CREATE,
    ControlPlane,
    Expect,
    check_env,
    check_service_account,
    control_plane,
    engine_of,
)
from .gitops import git
from .kubeapi import Kube, Obj
from .servers import helm_env
from .trees import values_of


def argocd_tree_ids() -> list[str]:
    ids = [t for t in trees.committed_ids() if engine_of(trees.committed(t).values) == "argocd"]
    return ids + [
        t
        for t, v in trees.variant_values().items()
        if (v.get("gitops") or {}).get("engine") == "argocd"
    ]


def tree_of(tree_id: str, folder: Path) -> trees.Tree:
    if tree_id.startswith("output/"):
        return trees.committed(tree_id)
    return trees.render(tree_id, folder / "variant")


def repo_root(tree: trees.Tree, path: str) -> Path:
    """The root of the Git repository the tree sits in at `path` (the Application's path)."""
    depth = len(Path(path).parts)
    assert tree.directory.as_posix().endswith(path), (tree.directory, path)
    return tree.directory.parents[depth - 1]


def application(tree: trees.Tree) -> Obj:
    found: Obj = yaml.safe_load((tree.directory / "application.yaml").read_text())
    return found


def chart_source_url(source: Obj, helm_repository_url: str) -> str:
    """The harness's one change: the chart's repository is on the internet; the loopback one
    serves the same published archives."""
    assert source["repoURL"].startswith("https://"), source["repoURL"]
    return helm_repository_url


def render_application(
    app: Obj, root: Path, helm_binary: Path, helm_repository_url: str, workdir: Path
) -> tuple[list[Obj], list[Obj]]:
    """(chart objects, tree objects) as Argo CD renders the Application's sources: one chart
    source per release (several exports, several), and the tree."""
    spec = app["spec"]
    namespace = spec["destination"]["namespace"]
    refs = {s["ref"]: s for s in spec["sources"] if s.get("ref")}
    chart_objects: list[Obj] = []
    tree_objects: list[Obj] = []
    for source in spec["sources"]:
        if source.get("chart"):
            helm_spec = source.get("helm") or {}
            argv = [
                str(helm_binary),
                "template",
                helm_spec["releaseName"],
                source["chart"],
                "--repo",
                chart_source_url(source, helm_repository_url),
                "--version",
                str(source["targetRevision"]),
                # Argo CD templates with helm.namespace, else the destination namespace.
                "--namespace",
                helm_spec.get("namespace") or namespace,
            ]
            for value_file in helm_spec.get("valueFiles", []):
                ref, _, rest = value_file.partition("/")
                assert ref.startswith("$") and ref[1:] in refs, value_file
                argv += ["--values", str(root / rest)]
            env = helm_env(workdir / "helm-home")
            result = subprocess.run(argv, capture_output=True, text=True, env=env)
            assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stderr}"
            chart_objects += [d for d in yaml.safe_load_all(result.stdout) if d]
        if source.get("path"):
            result = subprocess.run(
                [str(trees.REPO / "bin" / "kustomize"), "build", str(root / source["path"])],
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stderr
            tree_objects = [d for d in yaml.safe_load_all(result.stdout) if d]
    return chart_objects, tree_objects


def place(kube: Kube, obj: Obj, namespace: str) -> Obj:
    """Argo CD applies a namespaced object that names no namespace in the destination one."""
    if kube.resource(obj["apiVersion"], obj["kind"]).namespaced and not obj["metadata"].get(
        "namespace"
    ):
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
    return obj


@dataclass
class Synced:
    plane: ControlPlane
    chart: list[Obj]
    tree: list[Obj]
    expect: Expect


@pytest.fixture(scope="module", params=argocd_tree_ids())
def synced(
    request: pytest.FixtureRequest,
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    helm: Path,
    helm_repo: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Synced]:
    tree_id: str = request.param
    folder = tmp_path_factory.mktemp("argocd-engine")
    tree = tree_of(tree_id, folder)
    app = application(tree)
    git_source = next(s for s in app["spec"]["sources"] if s.get("path"))
    root = repo_root(tree, git_source["path"])
    chart, objects = render_application(app, root, helm, helm_repo, folder)
    namespace = app["spec"]["destination"]["namespace"]
    with control_plane(binaries, certs, etcd_url, f"argocd-{tree_id}", folder) as plane:
        kube = plane.kube
        # Sync waves put the namespaces first.
        for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
            kube.apply(obj)
        for obj in chart:
            kube.apply(place(kube, obj, namespace))
        yield Synced(plane, chart, objects, Expect.of(tree.values))


def test_destination_is_the_provisioner_namespace_of_the_tree(synced: Synced) -> None:
    created = {o["metadata"]["name"] for o in synced.tree if o["kind"] == "Namespace"}
    assert synced.expect.namespace in created


def test_release_creates_no_class_rbac_or_service_account(synced: Synced) -> None:
    kinds = {o["kind"] for o in synced.chart}
    assert "Deployment" in kinds
    assert not kinds & RELEASE_MUST_NOT_CREATE, sorted(kinds)


def test_chart_deployment_runs_as_the_trees_service_account(synced: Synced) -> None:
    check_service_account(synced.plane.kube, synced.expect)


def test_chart_deployment_env_matches_class_and_values(synced: Synced) -> None:
    check_env(synced.plane.kube, synced.expect)


# -- argocd-source-lint -----------------------------------------------------------------------
def lint_repository(tree: trees.Tree, folder: Path, drop: str = "") -> Path:
    """A Git repository as Argo CD would clone it: origin is the Application's repoURL, the
    branch its targetRevision, and it holds the values and the rendered trees (less `drop`, a
    path relative to the root, for the control)."""
    app = application(tree)
    git_source = next(s for s in app["spec"]["sources"] if s.get("path"))
    root = repo_root(tree, git_source["path"])
    repo = folder / "lint-repo"
    shutil.copytree(root / "output", repo / "output")
    values = root / "values"
    if values.is_dir():
        shutil.copytree(values, repo / "values")
    if drop:
        (repo / drop).unlink()
    revision = str(git_source.get("targetRevision", "HEAD"))
    git(repo, "init", "-q", "-b", "main" if revision == "HEAD" else revision)
    git(repo, "remote", "add", "origin", git_source["repoURL"])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fleet")
    return repo


def lint(repo: Path) -> tuple[int, list[Obj]]:
    linter = trees.REPO / ".venv" / "bin" / "argocd-source-lint"
    result = subprocess.run(
        [str(linter), str(repo), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[Obj] = json.loads(result.stdout)["findings"]
    return result.returncode, findings


@pytest.mark.parametrize("tree_id", argocd_tree_ids())
def test_argocd_source_lint_resolves_every_source(tree_id: str, tmp_path: Path) -> None:
    tree = tree_of(tree_id, tmp_path)
    code, findings = lint(lint_repository(tree, tmp_path))
    serious = [f for f in findings if f["severity"] in ("error", "warning")]
    assert code == 0 and not serious, json.dumps(serious, indent=2)
    # The Application's sources are in this repository, so the linter checked them (an
    # "external repo" note would mean it skipped the $values reference).
    name = application(tree)["metadata"]["name"]
    skipped = [f for f in findings if f["application"] == name and "external repo" in f["message"]]
    assert not skipped, json.dumps(skipped, indent=2)


def test_argocd_source_lint_catches_a_missing_values_file(tmp_path: Path) -> None:
    """The control: the same repository without the tree's helm-values.yaml fails the lint."""
    tree = tree_of(argocd_tree_ids()[0], tmp_path)
    cluster = values_of(tree.values)["cluster"]
    code, findings = lint(lint_repository(tree, tmp_path, f"output/{cluster}/helm-values.yaml"))
    assert code == 1
    assert any(f["rule_id"] == "broken-values-ref" for f in findings), findings
