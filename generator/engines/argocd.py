"""Argo CD: application.yaml installs the chart (a multi-source Application) and syncs the tree;
an ApplicationSet may generate the Applications of a whole fleet (gitops.argocd.applicationSet)."""

from __future__ import annotations

from generator.engines import Engine, optional, template
from generator.treefile import TreeFile

ENGINE = Engine(
    name="argocd",
    support=(TreeFile("kustomization.yaml", template("argocd", "kustomization.yaml.j2")),),
    entrypoints=(
        TreeFile("application.yaml", template("argocd", "application.yaml.j2")),
        optional("argocd", "applicationset.yaml", "applicationSet"),
    ),
    # Replace alone is still an update; with Force Argo CD deletes and creates.
    recreate={"argocd.argoproj.io/sync-options": "Force=true,Replace=true"},
    recreate_how="Argo CD deletes and re-creates the class (sync-options "
    "Force=true,Replace=true, this render only)",
)
