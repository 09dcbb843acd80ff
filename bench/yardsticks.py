"""Other programs timed in the same run as nfs-gitops, to read its figures by: kubeconform over the
largest fleet (what CI runs after a render) and `helm template` of the chart with one cluster's
values (the issue's start-up yardstick: one render against the chart it delivers, side by side).

A tool or input that is not there gives a "not measured" row with the reason, not a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bench.measure import ROOT, Result, measure
from bench.scenarios import Bench, k8s_version, untimed

# The schema locations have one owner; bench times kubeconform through the same ones.
from generator.lint import CRD_SCHEMA_LOCATION, K8S_SCHEMA_LOCATION

HELM_NAME = "reference: `helm template` of the chart with homelab's values"
# The rows of one cluster that the helm row is compared with (wall medians of the same run).
ONE_CLUSTER_ROWS = ("render homelab into an empty folder", "render --check homelab")


def resource_files(tree: Path) -> list[Path]:
    """The files of a tree that hold Kubernetes objects (every document has apiVersion and kind)."""
    found = []
    for path in sorted(tree.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs = [d for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if d]
        if docs and all(isinstance(d, dict) and {"apiVersion", "kind"} <= d.keys() for d in docs):
            found.append(path)
    return found


def kubeconform(bench: Bench, out: Path, size: int) -> None:
    binary = ROOT / "bin" / "kubeconform"
    name = f"kubeconform -strict over fleet of {size:,}"
    if not binary.is_file():
        missing = "kubeconform not found in bin/; run make tools"
        bench.add(Result(name, "bin/kubeconform", missing=missing))
        return
    k8s, crd = K8S_SCHEMA_LOCATION, CRD_SCHEMA_LOCATION
    schemas = ROOT / k8s.split("{{", 1)[0]
    if not schemas.is_dir():
        missing = f"no offline schemas in {schemas}; run make schemas"
        bench.add(Result(name, "bin/kubeconform", missing=missing))
        return
    trees = sorted(tree for tree in out.iterdir() if tree.is_dir())
    files = [str(f) for tree in trees for f in resource_files(tree)]
    version = k8s_version(bench.nfs_gitops)
    argv = [
        str(binary), "-strict", "-summary", "-output", "json",
        "-kubernetes-version", f"{version}.0",
        "-schema-location", k8s, "-schema-location", crd, *files,
    ]  # fmt: skip
    command = bench.shown(argv[:11]) + f" $TMP/fleet-{size}/out/*/<resource files>"
    # One untimed run first: its summary, and a clear row instead of a crash when it fails.
    trial = untimed(argv)
    try:
        summary = json.loads(trial.stdout)["summary"]
    except (ValueError, KeyError):
        summary = None
    if trial.returncode != 0 or summary is None:
        why = " ".join(trial.stderr.decode(errors="replace").split())[:200]
        problems = f"{summary}" if summary else why or "no output"
        missing = f"kubeconform exited {trial.returncode}: {problems}"
        bench.add(Result(name, command, missing=missing))
        return
    result = measure(Result(name, command), lambda i: argv, bench.runs_for(size), bench.warmup)
    result.note = (
        f"{len(files):,} files, {sum(summary.values()):,} resources: "
        f"{summary['valid']:,} valid, {summary['invalid']} invalid, "
        f"{summary['errors']} errors, {summary['skipped']} skipped (Kubernetes {version})"
    )
    bench.add(result)


def helm_template(bench: Bench, tree: Path, charts: str | None) -> None:
    """Time helm template of the chart the tree delivers, with the values the tree hands it.

    tree is a rendered Flux tree (its helmrelease.yaml names the chart, version, release and
    namespace); charts is a folder of chart archives (make bench E2E_CHARTS=DIR, as make e2e)."""
    binary = ROOT / "bin" / "helm"
    if not binary.is_file():
        bench.add(Result(HELM_NAME, "bin/helm", missing="helm not found in bin/; run make helm"))
        return
    release = _flux_release(tree)
    if release is None:
        missing = f"no Flux HelmRelease in {tree.name}'s tree to take the chart from"
        bench.add(Result(HELM_NAME, "bin/helm template", missing=missing))
        return
    chart = release["chart"]["spec"]
    archive_name = f"{chart['chart']}-{chart['version']}.tgz"
    archive = Path(charts).resolve() / archive_name if charts else None
    if archive is None or not archive.is_file():
        where = f"{charts} holds no {archive_name}" if charts else "no folder of chart archives"
        missing = f"{where}; run make bench E2E_CHARTS=DIR (as make e2e)"
        bench.add(Result(HELM_NAME, "bin/helm template", missing=missing))
        return
    argv = [
        str(binary), "template", str(release["releaseName"]), str(archive),
        "--namespace", str(release["targetNamespace"]), "-f", str(tree / "helm-values.yaml"),
    ]  # fmt: skip
    trial = untimed(argv)
    if trial.returncode != 0:
        why = " ".join(trial.stderr.decode(errors="replace").split())[:200]
        missing = f"helm template exited {trial.returncode}: {why}"
        bench.add(Result(HELM_NAME, bench.shown(argv), missing=missing))
        return
    result = measure(Result(HELM_NAME, bench.shown(argv)), lambda i: argv, bench.runs, bench.warmup)
    result.command = result.command.replace(str(archive.parent), "$CHARTS")
    ratios = [
        f"{row.name} took {row.wall_ms / result.wall_ms:.1f} times as long "
        f"(CPU: {row.cpu_ms / result.cpu_ms:.1f} times)"
        for row in bench.results
        if row.name.startswith(ONE_CLUSTER_ROWS) and row.samples
    ]
    result.note = f"chart {archive_name}; medians of this run: " + "; ".join(ratios)
    print(f"    {result.note}", flush=True)
    bench.add(result)


def _flux_release(tree: Path) -> dict[str, Any] | None:
    """The spec of the tree's HelmRelease, or None when the tree has none (another engine)."""
    path = tree / "helmrelease.yaml"
    if not path.is_file():
        return None
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "HelmRelease":
            spec: dict[str, Any] = doc["spec"]
            return spec
    return None
