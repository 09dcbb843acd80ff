"""Check rendered trees with kubeconform -strict, offline, for every supported Kubernetes version.

Per tree and version, one kubeconform run checks the files the tree's kustomization lists under
`resources` (helm-values.yaml, kustomizeconfig.yaml and kustomization.yaml are not Kubernetes
resources) and the output of `kustomize build` (where the generated ConfigMap appears). Invalid
resources, errors (a kind with no schema is one) and skipped resources are all problems;
missing schemas are never ignored.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import LintError, ToolMissing
from generator.schema import kubernetes_versions, unsupported

# Where `make schemas` writes, from the repository root; lint looks for it in the working
# folder and its parents, so it is found from anywhere inside a clone.
SCHEMA_CACHE = Path(".cache") / "schemas"
# Built-in kinds: kubeconform's own layout (made from the pinned kubernetes-validate wheel).
K8S_LAYOUT = (
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
# Custom resources (Flux, Argo CD): the CRDs-catalog layout, made with controller-gen from the
# pinned upstream API modules (`make schemas`).
CRD_LAYOUT = "crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
K8S_SCHEMA_LOCATION = f"{SCHEMA_CACHE}/{K8S_LAYOUT}"
CRD_SCHEMA_LOCATION = f"{SCHEMA_CACHE}/{CRD_LAYOUT}"
# The online equivalents, for use outside a clone.
ONLINE_CRD_SCHEMA_LOCATION = (
    "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/"
    "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
)
ONLINE_HINT = (
    "outside an nfs-gitops clone pass the online schemas instead: "
    f"--schema-location default --schema-location '{ONLINE_CRD_SCHEMA_LOCATION}'"
)
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
BUILD = "kustomize build"


def find_tool(name: str) -> str:
    """./bin/NAME (what `make tools` installs, pinned) first, then NAME on PATH."""
    local = Path("bin") / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} not found in ./bin or on PATH; run `make tools` (installs the pinned "
            f"kubeconform and kustomize into ./bin with Go) or put {name} on PATH"
        )
    return found


def schema_cache(start: Path | None = None) -> Path | None:
    """The `make schemas` cache in start (default: the working folder) or its nearest parent."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / SCHEMA_CACHE).is_dir():
            return folder / SCHEMA_CACHE
    return None


def default_schema_locations(start: Path | None = None) -> list[str]:
    """The offline schema locations of the clone start is in (relative when it is the working
    folder, so messages stay short); ToolMissing, saying what to do, when there is none."""
    cache = schema_cache(start)
    if cache is None:
        raise ToolMissing(
            f"no offline schemas: {SCHEMA_CACHE} is not in {Path.cwd()} or a parent folder; "
            f"in an nfs-gitops clone run `make schemas` at its root; {ONLINE_HINT}"
        )
    if cache.parent == Path.cwd().absolute():
        cache = SCHEMA_CACHE
    return [f"{cache}/{K8S_LAYOUT}", f"{cache}/{CRD_LAYOUT}"]


def check_schema_locations(locations: Sequence[str]) -> None:
    """Fail early, and clearly, when a local schema folder does not exist."""
    for location in locations:
        if location == "default" or re.match(r"^https?://", location):
            continue
        static = location.split("{{", 1)[0]
        if location.endswith("json"):
            folder = Path(static) if static.endswith("/") else Path(static).parent
        else:
            folder = Path(location)  # a base folder in kubeconform's own layout
        if not folder.is_dir():
            raise ToolMissing(
                f"schema location {location!r}: folder {folder} does not exist; "
                f"run `make schemas` at the root of the nfs-gitops clone; {ONLINE_HINT}"
            )


@dataclass(frozen=True, order=True)
class Finding:
    """One problem kubeconform (or kustomize) found, for some of the versions checked."""

    file: str
    resource: str
    message: str
    versions: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.file}: {self.resource}: {self.message}"


_COUNTERS = {
    "statusValid": "valid",
    "statusInvalid": "invalid",
    "statusError": "errors",
    "statusSkipped": "skipped",
}


@dataclass
class Summary:
    """kubeconform's counts for one source (the files, or the build) of one tree and version."""

    tree: str
    version: str
    source: str
    files: int
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0

    def count(self, status: str) -> None:
        """Count one kubeconform result; an unknown status counts as an error."""
        counter = _COUNTERS.get(status, "errors")
        setattr(self, counter, getattr(self, counter) + 1)

    @property
    def total(self) -> int:
        return self.valid + self.invalid + self.errors + self.skipped

    def __str__(self) -> str:
        return (
            f"{self.tree} [Kubernetes {self.version}, {self.source}]: Summary: {self.total} "
            f"resources found in {self.files} files - Valid: {self.valid}, "
            f"Invalid: {self.invalid}, Errors: {self.errors}, Skipped: {self.skipped}"
        )


@dataclass
class Report:
    summaries: list[Summary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_kustomization(tree: Path) -> tuple[Path | None, dict[str, Any], list[Finding]]:
    """The tree's kustomization file and its content, or why it cannot be had."""
    path = next((tree / name for name in KUSTOMIZATION_NAMES if (tree / name).is_file()), None)
    if path is None:
        return None, {}, [Finding(str(tree), "-", "no kustomization.yaml; not a rendered tree")]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return path, {}, [Finding(str(path), "Kustomization", f"cannot read: {exc}")]
    if not isinstance(data, dict):
        return path, {}, [Finding(str(path), "Kustomization", "is not a mapping")]
    return path, data, []


def resource_files(tree: Path) -> tuple[list[Path], list[Finding]]:
    """The Kubernetes resource files of a tree: those its kustomization lists under `resources`
    (nested folders followed), then any other top-level YAML file every document of which has an
    apiVersion and a kind (objects rendered beside the kustomization, such as an Argo CD
    Application). Values files and kustomize configuration have no kind and are left out."""
    kustomization, data, findings = read_kustomization(tree)
    if kustomization is None or findings:
        return [], findings
    entries = data.get("resources", [])
    if not isinstance(entries, list):
        return [], [Finding(str(kustomization), "Kustomization", "resources is not a list")]
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
            findings.append(Finding(str(kustomization), "Kustomization", message))
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


def kustomize_build(
    kustomize: str, tree: Path, scratch: Path
) -> tuple[Path | None, Finding | None]:
    """`kustomize build TREE` into a file under scratch; a Finding when the build fails.

    helmCharts need helm and the chart from the network, so a tree that inflates a chart is built
    from a copy without its helmCharts: everything but the upstream chart's own objects."""
    kustomization, data, findings = read_kustomization(tree)
    if kustomization is None or findings:
        return None, None  # already reported by resource_files
    source = tree
    if "helmCharts" in data:
        source = scratch / "tree"
        shutil.copytree(tree, source)
        stripped = {k: v for k, v in data.items() if k not in ("helmCharts", "helmGlobals")}
        (source / kustomization.name).write_text(yaml.safe_dump(stripped), encoding="utf-8")
    result = subprocess.run(
        [kustomize, "build", str(source)], capture_output=True, check=False, timeout=300
    )
    if result.returncode != 0:
        message = " ".join(result.stderr.decode(errors="replace").split()) or "failed"
        return None, Finding(str(kustomization), "Kustomization", f"{BUILD}: {message}")
    built = scratch / "kustomize-build.yaml"
    built.write_bytes(result.stdout)
    return built, None


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
    files, report.findings = resource_files(tree)
    seen: dict[tuple[str, str, str], set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="nfs-gitops-lint-") as scratch:
        built, failed = kustomize_build(kustomize, tree, Path(scratch))
        if failed:
            report.findings.append(failed)
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
    report.findings += _merge(seen, versions, tree)
    return report


def _merge(
    seen: dict[tuple[str, str, str], set[str]], versions: Sequence[str], tree: Path
) -> list[Finding]:
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
        findings.append(Finding(file, name, message, ordered))
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
        report.findings += one.findings
    return report
