"""Plain kustomize: kustomization.yaml inflates the chart (helmCharts, `kustomize build
--enable-helm`); no engine objects and no delete-and-re-create mechanism."""

from __future__ import annotations

from generator.engines import Engine, template
from generator.treefile import TreeFile

ENGINE = Engine(
    name="kustomize",
    support=(TreeFile("kustomization.yaml", template("kustomize", "kustomization.yaml.j2")),),
)
