"""Render a model into the files of one cluster's tree, in memory.

The files come from the model's engine and each export's driver, plus the common ones; each is
rendered by Jinja2 (generator/render/env.py) and parsed back (generator/render/parse.py). The
generated header is output's (generator/output/header.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import yaml

from generator.model import HELM_VALUES, Model
from generator.render.env import render_template
from generator.render.parse import parse_back
from generator.treefile import TreeFile

COMMON = (
    TreeFile("namespace.yaml", "common/namespace.yaml.j2", rank=10),
    TreeFile(
        "node-installer.yaml", "common/node-installer.yaml.j2", ("nodeInstaller", "enabled"), 30
    ),
    TreeFile("preflight.yaml", "common/preflight.yaml.j2", ("preflight", "enabled"), 50),
)
CLASS_FILE = "storageclass.yaml"
PREFLIGHT = "preflight.yaml"
# A class storageClass.name no longer names, kept for its volumes until the user deletes the file.
RETAINED_PREFIX = "storageclass-retained-"
RETAINED_TEMPLATE = "common/storageclass-retained.yaml.j2"


def plan(model: Model) -> tuple[list[TreeFile], list[TreeFile], list[TreeFile]]:
    """The files this model renders: kustomization resources (in their order), support files
    (each release's chart values, kustomization.yaml) and engine entry points.

    A driver's resources are rendered once for all its exports (`xs`); its support files once
    per release (`x`), named after the release's values file when there are several."""
    drivers = list({export.driver.name: export.driver for export in model.exports}.values())
    listed = [*COMMON, *(f for d in drivers for f in d.resources), *model.engine.resources]
    resources = sorted((f for f in listed if f.wanted(model.values)), key=lambda f: f.rank)
    per_release = [
        TreeFile(release.values_file if f.name == HELM_VALUES else f.name, f.template)
        for release in model.releases
        for f in release.driver.support
    ]
    support = [*per_release, *model.engine.support]
    entrypoints = [f for f in model.engine.entrypoints if f.wanted(model.values)]
    return resources, support, entrypoints


def _contexts(model: Model) -> dict[str, dict[str, Any]]:
    """The file-specific context: a driver's exports (xs) for its resources, a release's
    export (x) for its values file."""
    found: dict[str, dict[str, Any]] = {}
    for export in model.exports:
        for each in export.driver.resources:
            found[each.name] = {"xs": model.served_by(export.driver.name)}
    for release in model.releases:
        found[release.values_file] = {
            "x": release,
            "xs": model.release_exports(release.names.release),
        }
    return found


def retained_file(name: str) -> str:
    """The tree file of a StorageClass kept after storageClass.name moved away from it."""
    return f"{RETAINED_PREFIX}{name}.yaml"


def render(
    model: Model,
    *,
    recreate: Mapping[str, Mapping[str, str]] | None = None,
    retained: Sequence[Mapping[str, Any]] = (),
) -> dict[str, str]:
    """File name -> content (without the header) for one cluster's tree.

    recreate: class name -> the annotations that make the GitOps engine delete and re-create
    that StorageClass (render --allow-recreate), for the classes whose immutable fields changed.
    retained: StorageClasses a rename (or a removed export) left, as read from the tree, each
    kept in its own file (see generator/output/guard.py).
    """
    resources, support, entrypoints = plan(model)
    names = [f.name for f in resources]
    at = names.index(CLASS_FILE) + 1 if CLASS_FILE in names else len(names)
    kept = [TreeFile(retained_file(c["name"]), RETAINED_TEMPLATE) for c in retained]
    # The class that replaced a retained one: the single form's (a rename); none when a class
    # left with its export.
    successor = (
        model.exports[0].names.storage_class if model.exports[0].spec["name"] is None else None
    )
    resources = resources[:at] + kept + resources[at:]
    resource_files = [f.name for f in resources]
    objects = resource_files + [f.name for f in entrypoints]
    context = {
        "v": model.values,
        "n": model.names,
        "x": model.exports[0],
        "xs": model.exports,
        "m": model,
        "resources": resource_files,
        "recreate": dict(recreate or {}),
    }
    files: dict[str, str] = {}
    by_file = {retained_file(c["name"]): {**c, "successor": successor} for c in retained}
    specific = _contexts(model)
    for each in resources + support + entrypoints:
        one = {**context, **specific.get(each.name, {})}
        if each.name in by_file:
            one["c"] = by_file[each.name]
        if each.name == PREFLIGHT:
            body = _per_export(model, each, one)
        else:
            body = render_template(each.template, one)
        parse_back(each.name, body, is_resource=each.name in objects)
        files[each.name] = body
    return files


def _per_export(model: Model, each: TreeFile, context: dict[str, Any]) -> str:
    """A common file rendered for every export (the preflight: one probe Job per export), its
    template unchanged: each export's `nfs` and Job name stand in for the cluster's; an object
    the renders share (the probe's ServiceAccount) is kept once."""
    seen: set[tuple[Any, ...]] = set()
    parts: list[str] = []
    for export in model.exports:
        names = replace(model.names, preflight_job=export.preflight_job)
        values = {**model.values, "nfs": export.nfs}
        body = render_template(each.template, {**context, "v": values, "n": names, "x": export})
        for part in body.split("\n---\n"):
            found = yaml.safe_load(part)
            meta = found.get("metadata", {}) if isinstance(found, dict) else {}
            key = (found.get("kind"), meta.get("namespace"), meta.get("name")) if meta else None
            if key is None or key not in seen:
                parts.append(part)
            if key is not None:
                seen.add(key)
    return "\n---\n".join(parts)
