"""Keys that belong to one driver, and the distribution facts: which kubelet directory a node
plugin mounts and whether the node installer can run. The driver modules (generator/drivers/)
read these facts from here, so the checks and the rendered tree can never disagree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document, JsonPath, format_path
from generator.values.exports import export_driver, indexes, where

SUBDIR = "nfs-subdir-external-provisioner"
CSI = "csi-driver-nfs"

# Keys that configure one driver only: set with the other driver they would be ignored.
ONLY_FOR: dict[JsonPath, str] = {
    ("provisioner",): SUBDIR,
    ("storageClass", "provisionerName"): SUBDIR,
    ("storageClass", "mountPermissions"): CSI,
    ("csi",): CSI,
}
# Values one driver cannot honour: (path, value) -> the driver that can.
VALUE_ONLY_FOR: dict[tuple[JsonPath, Any], str] = {
    (("storageClass", "allowVolumeExpansion"), True): CSI,
    (("storageClass", "onDelete"), "archive"): CSI,
}
_INSTEAD: dict[JsonPath, str] = {
    ("provisioner",): "csi-driver-nfs is configured under csi",
    ("storageClass", "provisionerName"): "csi-driver-nfs's provisioner is always nfs.csi.k8s.io",
    ("storageClass", "mountPermissions"): "nfs-subdir-external-provisioner makes 0777 directories",
    ("csi",): "nfs-subdir-external-provisioner is configured under provisioner",
    ("storageClass", "allowVolumeExpansion"): "nfs-subdir-external-provisioner cannot resize",
    ("storageClass", "onDelete"): "use archiveOnDelete: true (onDelete null) to archive",
}


# The kubelet's root directory per distribution (the node plugin mounts its pods/ and plugins/).
KUBELET_DIR = "/var/lib/kubelet"
KUBELET_DIRS: dict[str, str] = {
    "generic": KUBELET_DIR,
    "k3s": KUBELET_DIR,
    "rke2": KUBELET_DIR,
    "microk8s": "/var/snap/microk8s/common/var/lib/kubelet",
    "k0s": "/var/lib/k0s/kubelet",
    "talos": KUBELET_DIR,
}
# Distributions whose nodes the installer cannot serve (no package manager on an immutable OS;
# Talos ships the NFS client in its kubelet image).
NO_INSTALLER = frozenset({"talos"})


def distribution_of(data: Any) -> str:
    value = lookup(data, ("distribution",))
    return value if isinstance(value, str) and value in KUBELET_DIRS else "generic"


@check("driver-key")
def driver_keys(doc: Document) -> Iterator[Problem]:
    """A key of the other driver would be silently ignored: refuse it, naming the driver.

    PASS:
        driver: csi-driver-nfs
        csi: {controllerReplicas: 2}
    FAIL driver-key:
        driver: csi-driver-nfs
        provisioner: {leaderElection: true}
    """
    drivers = {index: export_driver(doc.data, index) for index in indexes(doc.data)}
    if not set(drivers.values()) <= {SUBDIR, CSI}:
        return
    several = None not in drivers
    for path, owner in ONLY_FOR.items():
        if path[0] != "storageClass":  # a cluster-wide key: some export must use its driver
            value = lookup(doc.data, path)
            if value is not None and owner not in drivers.values() and _own(doc, path):
                what = (
                    "no export uses it" if several else f"this cluster's driver is {drivers[None]}"
                )
                yield doc.problem(path, _refusal(path, owner, what), "driver-key", key=True)
            continue
        for index, driver in drivers.items():
            at = where(index, path)
            if owner != driver and lookup(doc.data, at) is not None and _own(doc, at):
                message = _refusal(path, owner, _whose(index, driver), shown=at)
                yield doc.problem(at, message, "driver-key", key=True)
    for (path, value), owner in VALUE_ONLY_FOR.items():
        for index, driver in drivers.items():
            at = where(index, path)
            found = lookup(doc.data, at)
            if owner != driver and type(found) is type(value) and found == value and _own(doc, at):
                message = _refusal(path, owner, _whose(index, driver), found, shown=at)
                yield doc.problem(at, message, "driver-key")


def _own(doc: Document, path: JsonPath) -> bool:
    """True when the cluster's own file sets the key: a fleet's _defaults.yaml serves clusters
    of both drivers, so a key it gives a cluster whose driver does not read it stays unused."""
    return doc.origin(path) == doc.file


def _whose(index: int | None, driver: str) -> str:
    return f"this {'export' if index is not None else 'cluster'}'s driver is {driver}"


def _refusal(
    path: JsonPath, owner: str, why: str, value: Any = None, shown: JsonPath | None = None
) -> str:
    what = format_path(shown or path) + ("" if value is None else f": {str(value).lower()}")
    return f"{what} is for driver {owner} only; {why} ({_INSTEAD[path]})"


@check("distribution-key")
def distribution_keys(doc: Document) -> Iterator[Problem]:
    """The node installer cannot run where the distribution has no package manager.

    PASS:
        distribution: talos
        nodeInstaller: {enabled: false}
    FAIL distribution-key:
        distribution: talos
        nodeInstaller: {enabled: true}
    """
    distribution = distribution_of(doc.data)
    if distribution in NO_INSTALLER and lookup(doc.data, ("nodeInstaller", "enabled")) is True:
        yield doc.problem(
            ("nodeInstaller", "enabled"),
            f"the node installer cannot run on distribution {distribution}: its nodes have no "
            "package manager (an immutable OS) and ship the NFS client in the kubelet; leave "
            "nodeInstaller.enabled unset or false",
            "distribution-key",
        )


_TOKEN = re.compile(r"\$\{([^}]*)\}")
# pathPattern fields -> the variables of csi-driver-nfs's subDir parameter.
CSI_SUBDIR_VARIABLES = {
    ".PVC.namespace": "pvc.metadata.namespace",
    ".PVC.name": "pvc.metadata.name",
}


# With pathPattern null: nfs-subdir-external-provisioner's own layout, <namespace>-<pvc>-<pv>, so
# both drivers name directories alike (csi-driver-nfs alone would use the PV name, pvc-<uid>).
CSI_DEFAULT_SUBDIR = "${pvc.metadata.namespace}-${pvc.metadata.name}-${pv.metadata.name}"


def csi_sub_dir(pattern: str | None) -> str:
    """storageClass.pathPattern as csi-driver-nfs's subDir (fields it has only)."""
    if pattern is None:
        return CSI_DEFAULT_SUBDIR
    return _TOKEN.sub(lambda m: "${" + CSI_SUBDIR_VARIABLES[m.group(1)] + "}", pattern)


@check("path-pattern-driver")
def path_pattern_for_driver(doc: Document) -> Iterator[Problem]:
    """csi-driver-nfs fills in the claim's namespace and name, not its labels or annotations.

    PASS:
        driver: csi-driver-nfs
        storageClass: {pathPattern: "${.PVC.namespace}/${.PVC.name}"}
    FAIL path-pattern-driver:
        driver: csi-driver-nfs
        storageClass: {pathPattern: "${.PVC.labels.team}/${.PVC.name}"}
    """
    csi = [i for i in indexes(doc.data) if export_driver(doc.data, i) == CSI]
    for path, value in strings_at(doc, *(where(i, ("storageClass", "pathPattern")) for i in csi)):
        for token in _TOKEN.findall(value):
            if token.startswith((".PVC.labels.", ".PVC.annotations.")):
                yield doc.problem(
                    path,
                    f"${{{token}}} is not available with driver {CSI}: its subDir parameter "
                    "knows only the claim's namespace and name (${.PVC.namespace}, "
                    "${.PVC.name}); use those",
                    "path-pattern-driver",
                )
                break
