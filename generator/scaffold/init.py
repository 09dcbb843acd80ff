"""`nfs-gitops init`: a new cluster's values file, commented, validated, never overwriting."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.errors import OutputError, os_error
from generator.render.yamlsafe import scalar
from generator.schema import SCHEMA_PATH, schema

# Optional keys shown commented out, with their defaults read from the schema:
# (path, comment shown after the value).
OPTIONAL = [
    (("storageClass", "name"), ""),
    (("storageClass", "default"), "annotate as the cluster's default StorageClass"),
    (("storageClass", "reclaimPolicy"), "or Retain"),
    (("storageClass", "archiveOnDelete"), "keep a deleted claim's data as archived-<dir>"),
    (("nodeInstaller", "enabled"), "null: on with subdir, off with csi or on Talos"),
]


def schema_default(path: tuple[str, ...]) -> Any:
    node = schema()
    for part in path:
        node = node["properties"][part]
    return node["default"]


def schema_reference(target: Path) -> str:
    """How the modeline names the schema: a relative path to the package's schema file when both
    are under the current folder (a checkout of this repository), else the schema's $id."""
    packaged = SCHEMA_PATH.resolve()
    here = Path.cwd().resolve()
    folder = target.parent.resolve()
    if packaged.is_relative_to(here) and folder.is_relative_to(here):
        return Path(os.path.relpath(packaged, folder)).as_posix()
    return str(schema()["$id"])


def export_lines(exports: Sequence[tuple[str, str, str]]) -> list[str]:
    """The several-exports form: (name, server, path) each; the first one's class is the
    default (as the single form's is)."""
    lines = [
        "# Each export gets its own StorageClass (nfs-<name>) and provisioner release; the names",
        "# come from `name`, never from the order, so adding or removing one renames nothing.",
        "exports:",
    ]
    for index, (name, server, path) in enumerate(exports):
        lines += [
            f"  - name: {scalar(name)}",
            f"    server: {scalar(server)}",
            f"    path: {scalar(path)}",
            "    # mountOptions: []",
        ]
        if index == 0:
            lines += ["    storageClass:", "      default: true  # at most one export's class"]
        else:
            lines += ["    # storageClass: {reclaimPolicy: Delete, archiveOnDelete: true}"]
    return lines


def values_text(
    *,
    cluster: str,
    server: str | None,
    path: str | None,
    engine: str,
    repo_url: str | None,
    schema_ref: str,
    exports: Sequence[tuple[str, str, str]] = (),
) -> str:
    """The commented values file (the single form, or the several-exports form when exports
    are given); every value passes the YAML-safe scalar writer."""
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# nfs-gitops values of cluster {cluster}: `nfs-gitops render` (make render in a clone)",
        "# turns this file into its tree (output/<cluster>/). Only cluster and nfs (or exports)",
        "# are required; the keys commented out below show their defaults, and `nfs-gitops",
        "# schema` lists every key. Values shared by all clusters can go in _defaults.yaml.",
        f"cluster: {scalar(cluster)}",
    ]
    if exports:
        lines += export_lines(exports)
    else:
        lines += [
            "nfs:",
            "  # The NFS server (IPv4, IPv6 or DNS name) and the absolute path it exports.",
            f"  server: {scalar(server)}",
            f"  path: {scalar(path)}",
            "  # Mount options, e.g. [nfsvers=4.1, hard]; NFSv3 without rpc.statd needs nolock.",
            "  # mountOptions: []",
        ]
    lines.append(
        f"# driver: {schema_default(('driver',))}  # or csi-driver-nfs (README, Two drivers)"
    )
    section = None
    for key_path, comment in OPTIONAL:
        if exports and key_path[0] == "storageClass":
            continue  # each export has its own
        if key_path[0] != section:
            section = key_path[0]
            lines.append(f"# {section}:")
        value = f"{key_path[1]}: {scalar(schema_default(key_path))}"
        lines.append(f"#   {value:<24} # {comment}" if comment else f"#   {value}")
    lines += ["gitops:", f"  engine: {scalar(engine)}"]
    if engine == "argocd":
        lines += [
            "  # The Git repository (and revision) Argo CD reads this cluster's tree from.",
            f"  repoURL: {scalar(repo_url)}",
            f"  # revision: {scalar(schema_default(('gitops', 'revision')))}",
        ]
    elif engine == "flux":
        lines += [
            "  # flux:",
            "  #   kustomization: true    # also render flux-kustomization.yaml (entry point)",
        ]
    return "\n".join(lines) + "\n"


def write_new(target: Path, text: str) -> None:
    """Create target with text; refuse (exit 1) when it exists, never replacing a file."""
    if target.exists() or target.is_symlink():
        raise OutputError(
            f"{target} already exists; not overwriting it (edit it, or pass --output)",
            code="init-exists",
            path=str(target),
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # "x": never replace a file
            handle.write(text)
    except OSError as exc:
        raise os_error(exc, "cannot write", target, code="output-write") from None
