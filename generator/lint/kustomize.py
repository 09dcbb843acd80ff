"""What kustomize makes of a rendered tree: its kustomization, its resource files, its build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Entry
from generator.lint.records import finding

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
BUILD = "kustomize build"


def read_kustomization(tree: Path) -> tuple[Path | None, dict[str, Any], list[Entry]]:
    """The tree's kustomization file and its content, or why it cannot be had."""
    path = next((tree / name for name in KUSTOMIZATION_NAMES if (tree / name).is_file()), None)
    if path is None:
        return None, {}, [finding(str(tree), "-", "no kustomization.yaml; not a rendered tree")]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return path, {}, [finding(str(path), "Kustomization", f"cannot read: {exc}")]
    if not isinstance(data, dict):
        return path, {}, [finding(str(path), "Kustomization", "is not a mapping")]
    return path, data, []


def resource_files(tree: Path) -> tuple[list[Path], list[Entry]]:
    """The Kubernetes resource files of a tree: those its kustomization lists under `resources`
    (nested folders followed), then any other top-level YAML file every document of which has an
    apiVersion and a kind (objects rendered beside the kustomization, such as an Argo CD
    Application). Values files and kustomize configuration have no kind and are left out."""
    kustomization, data, findings = read_kustomization(tree)
    if kustomization is None or findings:
        return [], findings
    entries = data.get("resources", [])
    if not isinstance(entries, list):
        return [], [finding(str(kustomization), "Kustomization", "resources is not a list")]
    files: list[Path] = []
    for entry in entries:
        path = tree / str(entry)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            nested, problems = resource_files(path)
            files += nested
            findings += problems
        else:
            message = f"resource {entry!r} is not a file or folder of the tree"
            findings.append(finding(str(kustomization), "Kustomization", message))
    listed = {path.resolve() for path in files}
    for path in sorted(tree.iterdir()):
        if (
            path.suffix in (".yaml", ".yml")
            and path.name not in KUSTOMIZATION_NAMES
            and path.resolve() not in listed
            and _has_kinds(path)
        ):
            files.append(path)
    return files, findings


def _has_kinds(path: Path) -> bool:
    """True when the file holds Kubernetes objects: every document has apiVersion and kind.
    A file that does not parse counts too, so that kubeconform reports it."""
    try:
        docs = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    except (OSError, yaml.YAMLError):
        return True
    return bool(docs) and all(
        isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc for doc in docs
    )


def kustomize_build(kustomize: str, tree: Path, scratch: Path) -> tuple[Path | None, Entry | None]:
    """`kustomize build TREE` into a file under scratch; a finding when the build fails.

    helmCharts need helm and the chart from the network, so a tree that inflates a chart is built
    from a copy without its helmCharts: everything but the upstream chart's own objects."""
    kustomization, data, findings = read_kustomization(tree)
    if kustomization is None or findings:
        return None, None  # already reported by resource_files
    source, _ = without_helm_charts(tree, kustomization, data, scratch / "tree")
    result = subprocess.run(
        [kustomize, "build", str(source)], capture_output=True, check=False, timeout=300
    )
    if result.returncode != 0:
        message = " ".join(result.stderr.decode(errors="replace").split()) or "failed"
        return None, finding(str(kustomization), "Kustomization", f"{BUILD}: {message}")
    built = scratch / "kustomize-build.yaml"
    built.write_bytes(result.stdout)
    return built, None


def without_helm_charts(
    tree: Path, kustomization: Path, data: dict[str, Any], copy: Path
) -> tuple[Path, list[str]]:
    """The tree to build offline, and the charts left out: a kustomization that inflates charts
    (helmCharts, helmGlobals) needs helm and the chart from the network, so such a tree is
    copied to copy without them; any other tree is built as it is."""
    charts = data.get("helmCharts")
    if not charts and "helmGlobals" not in data:
        return tree, []
    shutil.copytree(tree, copy)
    stripped = {k: v for k, v in data.items() if k not in ("helmCharts", "helmGlobals")}
    (copy / kustomization.name).write_text(yaml.safe_dump(stripped), encoding="utf-8")
    names = [str(chart.get("name")) for chart in charts or [] if isinstance(chart, dict)]
    return copy, names
