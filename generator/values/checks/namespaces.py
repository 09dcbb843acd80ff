"""Namespaces a tree must not own: the cluster's own and the GitOps engine's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.checks.drivers import CSI
from generator.values.document import Document, JsonPath
from generator.values.exports import export_driver, indexes

# Namespaces a tree never declares: it would own them (relabel their Pod Security level, and
# delete them when a GitOps engine prunes the tree). The cluster's own, and the engine's.
CLUSTER_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAMESPACE_KEYS: tuple[JsonPath, ...] = (
    ("namespace",),
    ("nodeInstaller", "namespace"),
    ("csi", "namespace"),
)
# The schema's defaults of the namespace keys (a key left out still names its namespace).
DEFAULT_NAMESPACES: dict[JsonPath, str] = {
    ("namespace",): "nfs-provisioner",
    ("nodeInstaller", "namespace"): "nfs-node-installer",
    ("csi", "namespace"): "nfs-csi-driver",
}


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


@check("namespace-csi-shared")
def csi_namespace_apart(doc: Document) -> Iterator[Problem]:
    """csi-driver-nfs's privileged namespace holds its pods alone: not `namespace` (baseline,
    for the preflight Jobs and nfs-subdir-external-provisioner) nor the node installer's.

    PASS:
        driver: csi-driver-nfs
        csi: {namespace: nfs-csi}
    FAIL namespace-csi-shared:
        driver: csi-driver-nfs
        namespace: storage
        csi: {namespace: storage}
    """
    if not any(export_driver(doc.data, i) == CSI for i in indexes(doc.data)):
        return  # csi is refused with the other driver (driver-key-unused)
    chosen = {key: lookup(doc.data, key) for key in NAMESPACE_KEYS}
    named = {
        key: value if isinstance(value, str) else DEFAULT_NAMESPACES[key]
        for key, value in chosen.items()
    }
    csi = named[("csi", "namespace")]
    for key, what in (
        (("namespace",), "namespace, which stays baseline for the pods that need no more"),
        (("nodeInstaller", "namespace"), "the node installer's namespace"),
    ):
        if named[key] != csi:
            continue
        # Located where the user wrote the clash: csi.namespace if set, else the other key.
        path = ("csi", "namespace") if isinstance(chosen[("csi", "namespace")], str) else key
        yield doc.problem(
            path,
            f"csi-driver-nfs's namespace {csi!r} is also {what}: its controller and node pods "
            "are privileged and use the host network, so their namespace is privileged and "
            "holds nothing else; choose another csi.namespace",
            "namespace-csi-shared",
        )
