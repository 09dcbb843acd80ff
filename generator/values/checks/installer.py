"""The node installer beside the provisioner: names that must not collide."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.checks.drivers import CSI
from generator.values.document import Document
from generator.values.exports import export_driver, indexes, where

INSTALLER_NAME = "nfs-client-installer"  # the installer's DaemonSet and ServiceAccount


@check("name-collision")
def release_beside_installer(doc: Document) -> Iterator[Problem]:
    """The provisioner's ServiceAccount is named after the release; in a namespace shared with
    the installer it must not take the installer's name (two objects, one id).

    PASS:
        namespace: storage
        nodeInstaller: {namespace: storage}
        chart: {releaseName: nfs-provisioner}
    FAIL name-collision:
        namespace: storage
        nodeInstaller: {namespace: storage}
        chart: {releaseName: nfs-client-installer}
    """
    namespace = lookup(doc.data, ("namespace",)) or "nfs-provisioner"
    installer = lookup(doc.data, ("nodeInstaller", "namespace")) or "nfs-node-installer"
    enabled = lookup(doc.data, ("nodeInstaller", "enabled")) is not False
    # csi-driver-nfs's ServiceAccounts have fixed names (csi-nfs-*-sa): its exports never clash.
    subdir = [i for i in indexes(doc.data) if export_driver(doc.data, i) != CSI]
    for path, value in strings_at(doc, *(where(i, ("chart", "releaseName")) for i in subdir)):
        if enabled and namespace == installer and value == INSTALLER_NAME:
            yield doc.problem(
                path,
                f"names the provisioner's ServiceAccount {value!r}, the node installer's in the "
                f"same namespace {namespace!r}; choose another release name",
                "name-collision",
            )
