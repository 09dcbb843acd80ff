"""adopt's values file: written with the YAML-safe writer, and its problems located in the helm
file the values came from (the file itself does not exist yet)."""

from __future__ import annotations

from typing import Any

from generator.errors import Problem
from generator.render.yamlsafe import block, scalar
from generator.scaffold.adopt_chart import Adoption, HelmPath, Request
from generator.values.document import Document, JsonPath, format_path


def values_text(adoption: Adoption, request: Request, schema_ref: str) -> str:
    """The values file: the keys adopt fills in, each written by the YAML-safe writer."""
    values: dict[str, Any] = {
        "cluster": request.cluster,
        "namespace": request.target_namespace,
        "nfs": _ordered(adoption.values.get("nfs", {}), ("server", "path", "mountOptions")),
        "storageClass": adoption.values["storageClass"],
        "chart": {"releaseName": request.release},
    }
    for key in ("provisioner", "images"):
        if key in adoption.values:
            values[key] = adoption.values[key]
    gitops: dict[str, Any] = {"engine": request.engine}
    if request.repo_url:
        gitops["repoURL"] = request.repo_url
    values["gitops"] = gitops
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# nfs-gitops values of cluster {request.cluster}, written by `nfs-gitops adopt` from",
        f"# the values of Helm release {request.release} (namespace {request.namespace}).",
        "# The tree keeps the release's name, class name and provisioner name, so existing",
        "# volumes keep their provisioner. Follow the takeover runbook adopt printed before the",
        "# first commit.",
    ]
    for key, value in values.items():
        lines.append(f"{scalar(key)}:{block(value, 2)}")
    return "\n".join(lines) + "\n"


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    return {key: mapping[key] for key in (*order, *mapping) if key in mapping}


def relocate(problems: list[Problem], adoption: Adoption, doc: Document) -> list[Problem]:
    """Name a problem found in the values about to be written at its place in the helm file,
    when the value came from there (the generated file does not exist yet)."""
    out = []
    for problem in problems:
        source = _source(problem.field, adoption)
        if source is None:  # a value adopt chose (an option, a derived name): name the key
            message = f"in the values adopt would write: {problem.message}"
            out.append(Problem(doc.file, 1, 1, problem.field, message, problem.code))
            continue
        line, column = doc.locate(source)
        out.append(
            Problem(doc.file, line, column, format_path(source), problem.message, problem.code)
        )
    return out


def _source(field_name: str, adoption: Adoption) -> JsonPath | None:
    best = None
    for values_field, helm_path in adoption.origin.items():
        inside = field_name.startswith((values_field + ".", values_field + "["))
        longer = best is None or len(values_field) > len(best[0])
        if (field_name == values_field or inside) and longer:
            best = (values_field, helm_path)
    if best is None:
        return None
    values_field, helm_path = best
    rest = field_name[len(values_field) :]
    return _extend(helm_path, rest)


def _extend(path: HelmPath, rest: str) -> JsonPath:
    """helm path + the trailing `.key` / `[n]` parts of a values field."""
    out: list[str | int] = list(path)
    token = ""
    i = 0
    while i < len(rest):
        char = rest[i]
        if char == ".":
            if token:
                out.append(token)
            token = ""
        elif char == "[":
            if token:
                out.append(token)
            token = ""
            end = rest.index("]", i)
            inner = rest[i + 1 : end]
            out.append(int(inner) if inner.isdigit() else inner.strip('"'))
            i = end
        else:
            token += char
        i += 1
    if token:
        out.append(token)
    return tuple(out)
