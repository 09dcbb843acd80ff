"""Check rendered trees with kubeconform -strict, offline, for every supported Kubernetes version.

Per tree and version, one kubeconform run checks the files the tree's kustomization lists under
`resources` (helm-values.yaml, kustomizeconfig.yaml and kustomization.yaml are not Kubernetes
resources) and the output of `kustomize build` (where the generated ConfigMap appears). Invalid
resources, errors (a kind with no schema is one) and skipped resources are all problems;
missing schemas are never ignored.
"""

from __future__ import annotations

from generator.lint.kubeconform import lint_tree, lint_trees, messages
from generator.lint.kustomize import read_kustomization, resource_files, without_helm_charts
from generator.lint.locations import CRD_SCHEMA_LOCATION, K8S_SCHEMA_LOCATION
from generator.lint.records import Report, Summary, finding

__all__ = [
    "CRD_SCHEMA_LOCATION",
    "K8S_SCHEMA_LOCATION",
    "Report",
    "Summary",
    "finding",
    "lint_tree",
    "lint_trees",
    "messages",
    "read_kustomization",
    "resource_files",
    "without_helm_charts",
]
