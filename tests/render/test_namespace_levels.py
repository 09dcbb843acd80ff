"""Pod Security levels of every golden and committed tree: no namespace labelled privileged
holds a workload that needs less (issue 15: "keep the privileged namespace apart from anything
that does not need it"), and every workload's namespace admits it.

Workloads are the tree's own (Jobs, DaemonSets, Deployments: their pod specs say what they
need) and each chart's, placed where the engine installs it (Flux targetNamespace, Argo CD
helm.namespace or the destination, kustomize helmCharts[].namespace) with what its driver's
pods need (the driver's facts; tests/e2e proves them on the real charts' pods).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.drivers import registry
from tests.golden_refresh import cases

REPO = Path(__file__).resolve().parents[2]
TREES = [case / "expected" for case in cases()] + [REPO / "output"]
ENFORCE = "pod-security.kubernetes.io/enforce"
WORKLOADS = ("Job", "DaemonSet", "Deployment")
# What baseline refuses that these trees could hold (Pod Security Standards, baseline).
HOST_NAMESPACES = ("hostPID", "hostNetwork", "hostIPC")


def trees_of(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("kustomization.yaml"))


ALL_TREES = [tree for root in TREES for tree in trees_of(root)]


def documents(tree: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(tree.glob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return found


def needs_privileged(pod: dict[str, Any]) -> bool:
    """A pod spec that Pod Security baseline refuses."""
    if any(pod.get(key) for key in HOST_NAMESPACES):
        return True
    if any("hostPath" in volume for volume in pod.get("volumes") or []):
        return True
    for container in [*(pod.get("initContainers") or []), *pod["containers"]]:
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            return True
        if any(port.get("hostPort") for port in container.get("ports") or []):
            return True
    return False


def chart_placements(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(namespace, chart) of each chart release of the tree, where its engine installs it."""
    placed = []
    for doc in docs:
        if doc.get("kind") == "HelmRelease":
            spec = doc["spec"]
            placed.append((spec["targetNamespace"], spec["chart"]["spec"]["chart"]))
        elif doc.get("kind") == "Application":
            spec = doc["spec"]
            for source in spec["sources"]:
                if source.get("chart"):
                    where = source["helm"].get("namespace") or spec["destination"]["namespace"]
                    placed.append((where, source["chart"]))
        elif doc.get("kind") == "Kustomization" and "helmCharts" in doc:
            placed += [(entry["namespace"], entry["name"]) for entry in doc["helmCharts"]]
    return placed


def levels_and_workloads(tree: Path) -> tuple[dict[str, str], list[tuple[str, str, bool]]]:
    """Namespace -> level; (namespace, what, needs privileged) of every workload."""
    docs = documents(tree)
    levels = {
        d["metadata"]["name"]: d["metadata"]["labels"][ENFORCE]
        for d in docs
        if d.get("kind") == "Namespace"
    }
    pod_security = {driver.chart: driver.pod_security for driver in registry().values()}
    placed = [
        (
            d["metadata"]["namespace"],
            f"{d['kind']} {d['metadata']['name']}",
            needs_privileged(d["spec"]["template"]["spec"]),
        )
        for d in docs
        if d.get("kind") in WORKLOADS
    ]
    placed += [
        (where, f"chart {chart}", pod_security[chart] == "privileged")
        for where, chart in chart_placements(docs)
    ]
    return levels, placed


def values_of(tree: Path) -> dict[str, Any]:
    """The tree's values file (named in its generated header), read plainly."""
    header = (tree / "namespace.yaml").read_text().splitlines()[0]
    name = header.split(" from ", 1)[1].split(";", 1)[0]
    for base in (tree.parent, tree.parent.parent, REPO):
        if (base / name).is_file():
            data: dict[str, Any] = yaml.safe_load((base / name).read_text())
            return data
    raise FileNotFoundError(f"{tree}: values file {name} not found")


def test_the_trees_cover_a_driver_namespace_and_a_shared_one() -> None:
    names = {tree.relative_to(REPO).as_posix() for tree in ALL_TREES}
    assert "output/edge" in names and "tests/golden/flux-mixed/expected/mixed" in names
    privileged_charts = [
        tree
        for tree in ALL_TREES
        if any(
            what.startswith("chart") and needs for _, what, needs in levels_and_workloads(tree)[1]
        )
    ]
    assert len(privileged_charts) >= 5, privileged_charts


@pytest.mark.parametrize("tree", ALL_TREES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_privileged_namespace_holds_a_workload_that_needs_less(tree: Path) -> None:
    levels, placed = levels_and_workloads(tree)
    assert placed, "no workload found"
    for where, what, needs in placed:
        assert where in levels, f"{what} in {where}, which the tree does not declare"
        assert levels[where] == "privileged" or not needs, f"{what} needs privileged in {where}"
    values = values_of(tree)
    namespace = values.get("namespace", "nfs-provisioner")
    asked = (values.get("nodeInstaller") or {}).get("namespace") == namespace
    for name, level in levels.items():
        here = [(what, needs) for where, what, needs in placed if where == name]
        if level != "privileged":
            assert level == "baseline", (name, level)
            continue
        assert any(needs for _, needs in here), f"{name} is privileged for nothing: {here}"
        if asked and name == namespace:
            continue  # one privileged namespace for the provisioner and the installer, asked for
        assert all(needs for _, needs in here), f"{name} is privileged but holds {here}"


def test_needs_privileged_reads_the_pod_spec() -> None:
    plain = {"containers": [{"name": "c", "securityContext": {"runAsUser": 0}}]}
    assert not needs_privileged(plain)
    assert needs_privileged({**plain, "hostNetwork": True})
    assert needs_privileged({**plain, "volumes": [{"name": "v", "hostPath": {"path": "/"}}]})
    assert needs_privileged(
        {"containers": [{"name": "c", "securityContext": {"privileged": True}}]}
    )
    assert needs_privileged({"containers": [{"name": "c", "ports": [{"hostPort": 80}]}]})
