"""The gitops block: what the chosen engine needs, and a tree path inside the repository."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document


@check("gitops-repo-url")
def gitops_repo_url(doc: Document) -> Iterator[Problem]:
    """Argo CD reads the tree from a Git repository, so it needs its URL.

    PASS:
        gitops: {engine: argocd, repoURL: "https://git.example.com/infra.git"}
    FAIL gitops-repo-url:
        gitops: {engine: argocd}
    """
    if lookup(doc.data, ("gitops", "engine")) == "argocd" and not isinstance(
        lookup(doc.data, ("gitops", "repoURL")), str
    ):
        yield doc.problem(
            ("gitops", "repoURL"),
            "is required with gitops.engine argocd: the Git repository Argo CD reads this "
            "tree and helm-values.yaml from",
            "gitops-repo-url",
            key=True,
        )


@check("gitops-path")
def gitops_path(doc: Document) -> Iterator[Problem]:
    """gitops.path stays a plain path: no '.' or '..' segments.

    PASS:
        gitops: {path: clusters/homelab/nfs}
    FAIL gitops-path:
        gitops: {path: clusters/../nfs}
    """
    for path, value in strings_at(doc, ("gitops", "path")):
        if any(part in (".", "..") for part in value.split("/")):
            yield doc.problem(path, "must not contain '.' or '..' segments", "gitops-path")
