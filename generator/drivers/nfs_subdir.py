"""nfs-subdir-external-provisioner: one Deployment that makes a subdirectory of the export per
volume, installed from its upstream chart."""

from __future__ import annotations

from typing import Any

from generator.drivers import Driver, ExportNames
from generator.treefile import TreeFile
from generator.values.checks.drivers import NO_INSTALLER

NAME = "nfs-subdir-external-provisioner"
_DIR = f"drivers/{NAME}"


class NfsSubdir(Driver):
    def names(self, spec: dict[str, Any], values: dict[str, Any]) -> ExportNames:
        # One release per export: the export's name (or its pin) makes every name its own.
        release = spec["release"] or f"{self.chart}-{spec['name']}"
        # Same rule as the chart: the release is the fullname when it contains the chart name.
        fullname = release if self.chart in release else f"{release}-{self.chart}"[:63].rstrip("-")
        return ExportNames(
            release=release,
            provisioner=spec["provisionerName"] or f"cluster.local/{fullname}",
            service_account=release,
            cluster_role=f"{release}-runner",
            cluster_role_binding=f"run-{release}",
            leader_role=f"leader-locking-{release}",
            helm_repository=self.chart,
            values_configmap=f"{release}-values",
            storage_class=self.storage_class(spec),
            namespace=values["namespace"],
        )


DRIVER = NfsSubdir(
    name=NAME,
    chart=NAME,
    resources=(
        TreeFile("provisioner-rbac.yaml", f"{_DIR}/provisioner-rbac.yaml.j2", rank=20),
        TreeFile("storageclass.yaml", f"{_DIR}/storageclass.yaml.j2", rank=40),
    ),
    support=(TreeFile("helm-values.yaml", f"{_DIR}/helm-values.yaml.j2"),),
    keys=(("nfs",), ("storageClass",), ("chart",), ("provisioner",)),
    defaults={
        (
            "chart",
            "repository",
        ): "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
        ("chart", "version"): "4.0.18",
        ("chart", "releaseName"): NAME,
        # Volumes are kernel NFS mounts by kubelet: nodes need an NFS client, unless the
        # distribution ships one and has no package manager (Talos).
        ("nodeInstaller", "enabled"): lambda v: v["distribution"] not in NO_INSTALLER,
    },
    class_parameters={
        "archiveOnDelete": ("storageClass", "archiveOnDelete"),
        "onDelete": ("storageClass", "onDelete"),
        "pathPattern": ("storageClass", "pathPattern"),
    },
)
