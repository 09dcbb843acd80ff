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

from generator.drivers import Driver
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
    listed = [*COMMON, *(f for d in _drivers(model) for f in d.resources), *model.engine.resources]
    wanted = {f.name: f for f in reversed(listed) if f.wanted(model.values)}  # the first of a name
    resources = sorted(wanted.values(), key=lambda f: (f.rank, listed.index(f)))
    per_release = [
        TreeFile(release.values_file if f.name == HELM_VALUES else f.name, f.template)
        for release in model.releases
        for f in release.driver.support
    ]
    support = [*per_release, *model.engine.support]
    entrypoints = [f for f in model.engine.entrypoints if f.wanted(model.values)]
    return resources, support, entrypoints


def _drivers(model: Model) -> list[Driver]:
    """Each driver of the cluster's exports once, in the exports' order."""
    return list({export.driver.name: export.driver for export in model.exports}.values())


def _parts(model: Model) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """A driver resource file -> (template, context) of each driver that renders it: drivers
    with a file of the same name (storageclass.yaml) share it, one part each, so the classes of
    every export are in one file. The context: the driver's exports (xs) and the first (x)."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for served_by in _drivers(model):
        exports = model.served_by(served_by.name)
        for each in served_by.resources:
            if each.wanted(model.values):
                context = {"xs": exports, "x": exports[0]}
                found.setdefault(each.name, []).append((each.template, context))
    return found


def _contexts(model: Model) -> dict[str, dict[str, Any]]:
    """The file-specific context of a release's values file: the release's export (x)."""
    found: dict[str, dict[str, Any]] = {}
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
    parts = _parts(model)
    for each in resources + support + entrypoints:
        one = {**context, **specific.get(each.name, {})}
        if each.name in by_file:
            one["c"] = by_file[each.name]
        if each.name == PREFLIGHT:
            body = _per_export(model, each, one)
        elif each.name in parts:
            body = "---\n".join(render_template(t, {**one, **c}) for t, c in parts[each.name])
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
        one = {**context, "v": export.view, "n": names, "x": export}
        body = render_template(each.template, one)
        for part in body.split("\n---\n"):
            found = yaml.safe_load(part)
            meta = found.get("metadata", {}) if isinstance(found, dict) else {}
            key = (found.get("kind"), meta.get("namespace"), meta.get("name")) if meta else None
            if key is None or key not in seen:
                parts.append(part)
            if key is not None:
                seen.add(key)
    return "\n---\n".join(parts)
