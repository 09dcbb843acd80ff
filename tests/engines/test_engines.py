"""The three GitOps engines: what each tree holds, and that the entry points are valid objects."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from generator.cli import cli
from generator.errors import InvalidValues
from generator.lint import CRD_SCHEMA_LOCATION, K8S_SCHEMA_LOCATION
from generator.model import build_model
from generator.render import render
from generator.schema import engines as schema_engines
from generator.schema import kubernetes_versions, schema
from generator.values.load import load_bytes
from generator.values.validate import validate
from tests.conftest import MINIMAL, ROOT

# Strict CRD schemas generated from the pinned upstream API modules (make schemas; mk/crds.mk).
CRDS = ROOT / ".cache" / "schemas" / "crds"
ARGOCD = MINIMAL + "gitops:\n  engine: argocd\n  repoURL: https://github.com/example/fleet.git\n"


def rendered(text: str, name: str = "values/office.yaml") -> dict[str, str]:
    doc = load_bytes(text.encode(), name)
    validate(doc)
    return render(build_model(doc.data, doc.file))


def parsed(files: dict[str, str], name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(files[name]) if doc]


def resources(files: dict[str, str]) -> list[str]:
    found: list[str] = parsed(files, "kustomization.yaml")[0]["resources"]
    return found


@cache
def crd_validator(group: str, kind: str, version: str) -> Draft7Validator:
    path = CRDS / group / f"{kind.lower()}_{version}.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make schemas` (make test does)", pytrace=False)
    return Draft7Validator(json.loads(path.read_text()))


def crd_errors(obj: dict[str, Any]) -> list[str]:
    group, version = obj["apiVersion"].split("/")
    return [error.message for error in crd_validator(group, obj["kind"], version).iter_errors(obj)]


def test_engines_are_the_schema_enum() -> None:
    assert (
        list(schema_engines()) == schema()["properties"]["gitops"]["properties"]["engine"]["enum"]
    )


def test_each_engine_renders_its_own_files() -> None:
    common = {
        "namespace.yaml",
        "provisioner-rbac.yaml",
        "node-installer.yaml",
        "storageclass.yaml",
        "preflight.yaml",
        "helm-values.yaml",
        "kustomization.yaml",
    }
    flux = rendered(MINIMAL)
    argocd = rendered(ARGOCD)
    kustomize = rendered(MINIMAL + "gitops:\n  engine: kustomize\n")
    assert set(flux) == common | {"helmrepository.yaml", "helmrelease.yaml", "kustomizeconfig.yaml"}
    assert set(argocd) == common | {"application.yaml"}
    assert set(kustomize) == common


def test_entry_points_are_optional_and_never_kustomization_resources() -> None:
    flux = rendered(MINIMAL + "gitops:\n  flux:\n    kustomization: true\n")
    argocd = rendered(ARGOCD + "  argocd:\n    applicationSet: true\n")
    assert "flux-kustomization.yaml" in flux
    assert {"application.yaml", "applicationset.yaml"} <= set(argocd)
    assert "flux-kustomization.yaml" not in resources(flux)
    assert not {"application.yaml", "applicationset.yaml"} & set(resources(argocd))
    # Every listed resource is a file of the tree.
    assert set(resources(flux)) <= set(flux) and set(resources(argocd)) <= set(argocd)


def test_argocd_application_installs_the_chart_with_the_trees_values_file() -> None:
    files = rendered(ARGOCD)
    [app] = parsed(files, "application.yaml")
    chart, git = app["spec"]["sources"]
    values = yaml.safe_load(files["helm-values.yaml"])
    assert app["metadata"] == {
        "name": "homelab-nfs-storage",
        "namespace": "argocd",
        "labels": {"app.kubernetes.io/part-of": "nfs-gitops"},
    }
    assert app["spec"]["project"] == "default"
    assert app["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "nfs-provisioner",
    }
    assert chart["chart"] == "nfs-subdir-external-provisioner"
    assert chart["targetRevision"] == "4.0.18"
    assert chart["helm"]["releaseName"] == "nfs-subdir-external-provisioner"
    # $values points at this tree's helm-values.yaml in the Git source named "values".
    assert chart["helm"]["valueFiles"] == ["$values/output/homelab/helm-values.yaml"]
    assert git == {
        "repoURL": "https://github.com/example/fleet.git",
        "targetRevision": "HEAD",
        "path": "output/homelab",
        "ref": "values",
    }
    # The chart does not create what the tree already holds.
    assert values["storageClass"]["create"] is False and values["rbac"]["create"] is False
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["spec"]["syncPolicy"]["syncOptions"] == ["ServerSideApply=true", "PruneLast=true"]
    # Retries never end (negative limit) and take the newest revision: README, Argo CD settings.
    retry = app["spec"]["syncPolicy"]["retry"]
    assert (retry["limit"], retry["refresh"], retry["backoff"]["maxDuration"]) == (-1, True, "5m")


def test_argocd_sync_waves_put_namespaces_then_rbac_first() -> None:
    [kustomization] = parsed(rendered(ARGOCD), "kustomization.yaml")
    waves = {}
    for patch in kustomization["patches"]:
        body = yaml.safe_load(patch["patch"])
        for kind in patch["target"]["kind"].split("|"):
            waves[kind] = body["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
    assert waves == {
        "Namespace": "-2",
        "ServiceAccount": "-1",
        "ClusterRole": "-1",
        "ClusterRoleBinding": "-1",
        "Role": "-1",
        "RoleBinding": "-1",
        "Job": "1",  # after the installer (0), which puts an NFS client on the nodes
    }
    # The Flux engine has no Argo CD annotations.
    assert "argocd.argoproj.io" not in rendered(MINIMAL)["kustomization.yaml"]


def test_argocd_application_set_covers_the_trees_beside_this_one() -> None:
    files = rendered(ARGOCD + "  path: fleet/office\n  argocd:\n    applicationSet: true\n")
    [appset] = parsed(files, "applicationset.yaml")
    [generator] = appset["spec"]["generators"]
    assert generator["git"]["files"] == [{"path": "fleet/*/application.yaml"}]
    template = appset["spec"]["template"]
    assert template["spec"]["source"]["path"] == "{{.path.path}}"
    assert template["spec"]["source"]["directory"] == {"include": "application.yaml"}
    assert template["spec"]["destination"]["namespace"] == "argocd"
    [app] = parsed(files, "application.yaml")
    assert app["spec"]["sources"][0]["helm"]["valueFiles"] == [
        "$values/fleet/office/helm-values.yaml"
    ]


def test_argocd_needs_a_repository_url_and_says_where() -> None:
    text = MINIMAL + "gitops:\n  engine: argocd\n"
    with pytest.raises(InvalidValues) as caught:
        rendered(text)
    [problem] = caught.value.problems
    assert str(problem) == (
        "values/office.yaml:5:1: gitops.repoURL: is required with gitops.engine argocd: the Git "
        "repository Argo CD reads this tree and helm-values.yaml from [gitops-repo-url]"
    )


def test_kustomize_inflates_the_pinned_chart_with_the_trees_values_file() -> None:
    files = rendered(MINIMAL + "chart:\n  version: 4.0.17\n  releaseName: nfs\ngitops:\n"
                     "  engine: kustomize\n")  # fmt: skip
    [kustomization] = parsed(files, "kustomization.yaml")
    assert kustomization["helmCharts"] == [
        {
            "name": "nfs-subdir-external-provisioner",
            "repo": "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
            "version": "4.0.17",
            "releaseName": "nfs",
            "namespace": "nfs-provisioner",
            "valuesFile": "helm-values.yaml",
        }
    ]
    assert "helm-values.yaml" in files
    assert not {"helmrelease.yaml", "application.yaml"} & set(files)


def test_flux_entry_point_applies_this_tree_from_the_named_git_repository() -> None:
    files = rendered(
        MINIMAL + "gitops:\n  interval: 5m\n  flux:\n    kustomization: true\n"
        "    gitRepository: fleet\n    namespace: gitops\n"
    )
    [entry] = parsed(files, "flux-kustomization.yaml")
    assert entry["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert entry["metadata"] == {"name": "nfs-storage", "namespace": "gitops"}
    assert entry["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "fleet"}
    assert entry["spec"]["path"] == "./output/homelab"
    assert entry["spec"]["interval"] == "5m"
    assert entry["spec"]["prune"] is True


def test_flux_entry_point_health_checks_the_preflight_job() -> None:
    """wait: true health-checks every applied object, the preflight Job included, so a failed
    probe leaves the Kustomization not Ready; a new Job name (changed export) is a new object."""
    files = rendered(MINIMAL + "gitops:\n  flux:\n    kustomization: true\n")
    [entry] = parsed(files, "flux-kustomization.yaml")
    assert entry["spec"]["wait"] is True
    assert "healthChecks" not in entry["spec"]  # wait ignores them; it covers every object
    [kustomization] = parsed(files, "kustomization.yaml")
    assert "preflight.yaml" in kustomization["resources"]


WITH_ENTRY_POINTS = {
    "application.yaml": ARGOCD + "  argocd:\n    applicationSet: true\n",
    "applicationset.yaml": ARGOCD + "  argocd:\n    applicationSet: true\n",
    "flux-kustomization.yaml": MINIMAL + "gitops:\n  flux:\n    kustomization: true\n",
}


@pytest.mark.tools
@pytest.mark.parametrize("name", WITH_ENTRY_POINTS)
def test_entry_points_match_their_crd_schemas(name: str) -> None:
    [obj] = parsed(rendered(WITH_ENTRY_POINTS[name]), name)
    assert crd_errors(obj) == []
    # The schema is strict enough to notice a mistake.
    obj["spec"]["surprise"] = True
    assert crd_errors(obj)


# Hostile text in the new string fields is refused or comes out exactly as itself.
GITOPS_FIELDS = {
    "repoURL": "https://",
    "revision": "",
    "path": "",
}
hostile = st.text(st.characters(exclude_categories=["Cs"]), max_size=30) | st.sampled_from(
    ["a: b", "a\nb: c", "#x", "'", '"', "{}", "[]", "*a", "&a", "!!str", "---", "null", "$x"]
)


@pytest.mark.parametrize(("field", "prefix"), GITOPS_FIELDS.items())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile)
def test_hostile_gitops_strings_are_refused_or_kept_verbatim(
    field: str, prefix: str, text: str
) -> None:
    value = prefix + text
    source = yaml.safe_dump(
        {
            "cluster": "office",
            "nfs": {"server": "nas", "path": "/data"},
            "gitops": {
                "engine": "argocd",
                "repoURL": "https://example.com/r.git",
                field: value,
                "argocd": {"applicationSet": True},
            },
        }
    )
    try:
        files = rendered(source)
    except InvalidValues:
        return
    [app] = parsed(files, "application.yaml")
    [appset] = parsed(files, "applicationset.yaml")
    git = app["spec"]["sources"][1]
    assert git[{"repoURL": "repoURL", "revision": "targetRevision", "path": "path"}[field]] == value
    assert sorted(app["spec"]) == ["destination", "project", "sources", "syncPolicy"]
    assert len(appset["spec"]["generators"]) == 1


def test_committed_trees_cover_every_engine() -> None:
    engines = set()
    for kustomization in sorted((ROOT / "output").glob("*/kustomization.yaml")):
        tree = kustomization.parent
        if (tree / "application.yaml").exists():
            engines.add("argocd")
        elif "helmCharts" in yaml.safe_load(kustomization.read_text()):
            engines.add("kustomize")
        elif (tree / "helmrelease.yaml").exists():
            engines.add("flux")
    assert engines == set(schema_engines())


# kubeconform (`nfs-gitops kubeconform`) over the golden tree of every engine and entry point.
GOLDEN_TREES = sorted(
    tree
    for case in ("argocd-minimal", "argocd-full", "kustomize-minimal", "flux-entrypoint")
    for tree in (ROOT / "tests" / "golden" / case / "expected").iterdir()
    if tree.is_dir()
)


@pytest.mark.tools
@pytest.mark.parametrize("tree", GOLDEN_TREES, ids=[t.parent.parent.name for t in GOLDEN_TREES])
def test_golden_engine_trees_pass_kubeconform(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # ./bin and the schema locations are relative to the root
    locations = (K8S_SCHEMA_LOCATION, CRD_SCHEMA_LOCATION)
    args = [
        "kubeconform",
        str(tree.relative_to(ROOT)),
        f"--kubernetes-version={kubernetes_versions()[-1]}",
    ]
    result = CliRunner().invoke(cli, args + [f"--schema-location={loc}" for loc in locations])
    assert result.exit_code == 0, result.output
    entry_points = {"application.yaml", "applicationset.yaml", "flux-kustomization.yaml"}
    objects_beside = len(entry_points & {path.name for path in tree.iterdir()})
    files, build = result.stdout.splitlines()
    assert files.endswith("Invalid: 0, Errors: 0, Skipped: 0") and build.endswith(
        "Invalid: 0, Errors: 0, Skipped: 0"
    )
    # The entry points are checked too, though they are not kustomization resources.
    assert int(files.split("found in ")[1].split()[0]) == len(resources_of(tree)) + objects_beside


def resources_of(tree: Path) -> list[str]:
    found: list[str] = yaml.safe_load((tree / "kustomization.yaml").read_text())["resources"]
    return found
