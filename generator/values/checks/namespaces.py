"""Namespaces a tree must not own: the cluster's own and the GitOps engine's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document, JsonPath

# Namespaces a tree never declares: it would own them (relabel their Pod Security level, and
# delete them when a GitOps engine prunes the tree). The cluster's own, and the engine's.
CLUSTER_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAMESPACE_KEYS: tuple[JsonPath, ...] = (("namespace",), ("nodeInstaller", "namespace"))


def engine_namespaces(data: Any) -> dict[str, str]:
    """Namespace -> the engine key that names it, for the engine this file targets."""
    engine = lookup(data, ("gitops", "engine")) or "flux"
    found = {"flux-system": "Flux's standard namespace"}
    if engine in ("flux", "argocd"):
        default = "flux-system" if engine == "flux" else "argocd"
        name = lookup(data, ("gitops", engine, "namespace"))
        found[name if isinstance(name, str) else default] = f"gitops.{engine}.namespace"
    return found


@check("namespace-reserved")
def reserved_namespaces(doc: Document) -> Iterator[Problem]:
    """The tree's namespaces are its own, never the cluster's or the engine's.

    PASS:
        namespace: nfs-provisioner
    FAIL namespace-reserved:
        namespace: kube-system
    """
    engine = engine_namespaces(doc.data)
    for path, value in strings_at(doc, *NAMESPACE_KEYS):
        if value in CLUSTER_NAMESPACES:
            why = f"{value!r} belongs to the cluster"
        elif value in engine:
            why = (
                f"{value!r} is the GitOps engine's namespace ({engine[value]}), and its pods "
                "would run beside the engine's"
            )
        else:
            continue
        yield doc.problem(
            path,
            f"{why}: the tree would own it (declare it, relabel its Pod Security level, delete "
            "it on prune); use a namespace of its own, such as nfs-provisioner",
            "namespace-reserved",
        )
