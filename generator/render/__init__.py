"""Render a model into the files of one cluster's tree, in memory.

The files come from the model's engine and each export's driver, plus the common ones; each is
rendered by Jinja2 (generator/render/env.py) and parsed back (generator/render/parse.py). The
generated header is output's (generator/output/header.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.model import Model
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
# A class storageClass.name no longer names, kept for its volumes until the user deletes the file.
RETAINED_PREFIX = "storageclass-retained-"
RETAINED_TEMPLATE = "common/storageclass-retained.yaml.j2"


def plan(model: Model) -> tuple[list[TreeFile], list[TreeFile], list[TreeFile]]:
    """The files this model renders: kustomization resources (in their order), support files
    (the chart's values, kustomization.yaml) and engine entry points."""
    drivers = [export.driver for export in model.exports]
    listed = [*COMMON, *(f for d in drivers for f in d.resources), *model.engine.resources]
    resources = sorted((f for f in listed if f.wanted(model.values)), key=lambda f: f.rank)
    support = [*(f for d in drivers for f in d.support), *model.engine.support]
    entrypoints = [f for f in model.engine.entrypoints if f.wanted(model.values)]
    return resources, support, entrypoints


def retained_file(name: str) -> str:
    """The tree file of a StorageClass kept after storageClass.name moved away from it."""
    return f"{RETAINED_PREFIX}{name}.yaml"


def render(
    model: Model,
    *,
    recreate: Mapping[str, str] | None = None,
    retained: Sequence[Mapping[str, Any]] = (),
) -> dict[str, str]:
    """File name -> content (without the header) for one cluster's tree.

    recreate: annotations that make the GitOps engine delete and re-create the StorageClass
    (render --allow-recreate). retained: StorageClasses a rename replaced, as read from the
    tree, each kept in its own file (see generator/output/guard.py).
    """
    resources, support, entrypoints = plan(model)
    names = [f.name for f in resources]
    at = names.index(CLASS_FILE) + 1 if CLASS_FILE in names else len(names)
    kept = [TreeFile(retained_file(c["name"]), RETAINED_TEMPLATE) for c in retained]
    resources = resources[:at] + kept + resources[at:]
    resource_files = [f.name for f in resources]
    objects = resource_files + [f.name for f in entrypoints]
    context = {
        "v": model.values,
        "n": model.names,
        "x": model.export,
        "m": model,
        "resources": resource_files,
        "recreate": dict(recreate or {}),
    }
    files: dict[str, str] = {}
    by_file = {retained_file(c["name"]): c for c in retained}
    for each in resources + support + entrypoints:
        one = {**context, "c": by_file[each.name]} if each.name in by_file else context
        body = render_template(each.template, one)
        parse_back(each.name, body, is_resource=each.name in objects)
        files[each.name] = body
    return files
