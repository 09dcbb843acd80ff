"""Flux: a HelmRepository and a HelmRelease install the chart; a Flux Kustomization may apply
the tree (gitops.flux.kustomization)."""

from __future__ import annotations

from generator.engines import Engine, optional, template
from generator.treefile import TreeFile

ENGINE = Engine(
    name="flux",
    resources=(
        TreeFile("helmrepository.yaml", template("flux", "helmrepository.yaml.j2"), rank=60),
        TreeFile("helmrelease.yaml", template("flux", "helmrelease.yaml.j2"), rank=61),
    ),
    support=(
        TreeFile("kustomizeconfig.yaml", template("flux", "kustomizeconfig.yaml.j2")),
        TreeFile("kustomization.yaml", template("flux", "kustomization.yaml.j2")),
    ),
    entrypoints=(optional("flux", "flux-kustomization.yaml", "kustomization"),),
    # kustomize-controller re-creates an object when the apply hits an immutable field.
    recreate={"kustomize.toolkit.fluxcd.io/force": "enabled"},
    recreate_how="Flux deletes and re-creates the class (annotation "
    "kustomize.toolkit.fluxcd.io/force: enabled, this render only)",
)
