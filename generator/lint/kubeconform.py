"""kubeconform -strict over a tree's resource files and its kustomize build, per version."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from generator.errors import Entry, LintError
from generator.lint.kustomize import BUILD, kustomize_build, resource_files
from generator.lint.locations import check_schema_locations, default_schema_locations, find_tool
from generator.lint.records import Report, Summary, finding
from generator.schema import kubernetes_versions, unsupported


def kubeconform_run(
    kubeconform: str, version: str, locations: Sequence[str], files: Sequence[str]
) -> list[dict[str, Any]]:
    """kubeconform -strict over files for one version; every result, valid ones included."""
    command = [
        kubeconform,
        "-strict",
        "-summary",
        "-verbose",
        "-output",
        "json",
        "-kubernetes-version",
        f"{version}.0",
    ]
    for location in locations:
        command += ["-schema-location", location]
    result = subprocess.run([*command, *files], capture_output=True, check=False, timeout=300)
    try:
        resources: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
    except (ValueError, KeyError, TypeError):
        stderr = result.stderr.decode(errors="replace").strip()
        raise LintError(f"kubeconform failed (exit {result.returncode}): {stderr}") from None
    return resources


_PREFIX = re.compile(r"^problem validating schema\. Check JSON formatting: ")
_AT = re.compile(r" - at '([^']*)': (.*?)(?= - at '|$)", re.DOTALL)


def messages(result: dict[str, Any]) -> list[str]:
    """kubeconform's message for one result, one line per schema violation."""
    status = result.get("status")
    if status == "statusSkipped":
        return ["skipped: no check ran (a skipped resource counts as a failure)"]
    text = _PREFIX.sub("", str(result.get("msg") or status))
    found = [f"{path or '/'}: {message}" for path, message in _AT.findall(text)]
    return [" ".join(line.split()) for line in (found or [text])]


def lint_tree(
    tree: Path,
    versions: Sequence[str],
    locations: Sequence[str],
    kubeconform: str,
    kustomize: str,
) -> Report:
    report = Report()
    files, report.problems = resource_files(tree)
    seen: dict[tuple[str, str, str], set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="nfs-gitops-lint-") as scratch:
        built, failed = kustomize_build(kustomize, tree, Path(scratch))
        if failed:
            report.problems.append(failed)
        sources = {str(path): str(path) for path in files}
        if built:
            sources[str(built)] = f"{tree} ({BUILD})"
        if not sources:
            return report
        # One kubeconform per version, run side by side (each is mostly waiting on one core).
        workers = max(1, min(len(versions), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = list(
                pool.map(
                    lambda version: kubeconform_run(kubeconform, version, locations, [*sources]),
                    versions,
                )
            )
        for version, results in zip(versions, runs, strict=True):
            counts = {
                "files": Summary(str(tree), version, "files", len(files)),
                BUILD: Summary(str(tree), version, BUILD, 1 if built else 0),
            }
            for result in results:
                filename = str(result.get("filename", ""))
                counts[BUILD if filename == str(built) else "files"].count(str(result["status"]))
                if result.get("status") == "statusValid":
                    continue
                name = f"{result.get('kind') or '-'}/{result.get('name') or '-'}"
                file = sources.get(filename, filename)
                for message in messages(result):
                    seen.setdefault((file, name, message), set()).add(version)
            for summary in counts.values():
                if summary.files:
                    report.summaries.append(summary)
                if summary.files and summary.total == 0:
                    message = f"no Kubernetes resources found ({summary.source})"
                    seen.setdefault((str(tree), "-", message), set()).add(version)
    report.problems += _merge(seen, versions, tree)
    return report


def _merge(
    seen: dict[tuple[str, str, str], set[str]], versions: Sequence[str], tree: Path
) -> list[Entry]:
    """One finding per problem; the build's copy of a problem already found in a file is dropped,
    and a problem only some versions have says which."""
    build_file = f"{tree} ({BUILD})"
    in_files = {(name, message) for (file, name, message) in seen if file != build_file}
    findings = []
    for (file, name, message), where in sorted(seen.items()):
        if file == build_file and (name, message) in in_files:
            continue
        ordered = tuple(v for v in versions if v in where)
        if len(ordered) < len(versions):
            message = f"{message} (Kubernetes {', '.join(ordered)} only)"
        findings.append(finding(file, name, message))
    return findings


def lint_trees(
    trees: Iterable[Path],
    versions: Sequence[str] = (),
    locations: Sequence[str] = (),
) -> Report:
    """Lint every tree for every version (default: all supported); one combined report."""
    why = unsupported(versions)
    if why:
        raise LintError(f"Kubernetes version {why}")
    versions = list(versions) or kubernetes_versions()
    kubeconform, kustomize = find_tool("kubeconform"), find_tool("kustomize")
    locations = list(locations) or default_schema_locations()
    check_schema_locations(locations)
    report = Report()
    for tree in trees:
        one = lint_tree(tree, versions, locations, kubeconform, kustomize)
        report.summaries += one.summaries
        report.problems += one.problems
    return report
