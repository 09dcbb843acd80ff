"""csi-driver-nfs: the CSI driver of kubernetes-csi (nfs.csi.k8s.io), a controller Deployment and
a node DaemonSet installed from its upstream chart; each volume is a subdirectory of the export.

The chart's facts at the pinned version (4.13.4: templates/rbac-csi-nfs.yaml, values.yaml) are
here, so the tests can hold the rendered tree to them: the names the chart gives its objects
(fixed, not derived from the release), and the rules of its two ClusterRoles.
"""

from __future__ import annotations

from typing import Any

from generator.drivers import Driver, ExportNames
from generator.treefile import TreeFile
from generator.values.checks.drivers import CSI, KUBELET_DIRS, csi_sub_dir
from generator.values.checks.names import CSI_DRIVER_NAME

NAME = CSI
_DIR = f"drivers/{NAME}"
CHART_VERSION = "4.13.4"
CHART_REPOSITORY = "https://kubernetes-csi.github.io/csi-driver-nfs"
# The chart's driver.name: the CSIDriver and the class's provisioner.
PROVISIONER = CSI_DRIVER_NAME

# Names the chart gives its objects (values serviceAccount.*, rbac.name, controller/node.name);
# helm-values.yaml pins each one, so the tree's RBAC and the chart's pods agree.
CONTROLLER_SA = "csi-nfs-controller-sa"
NODE_SA = "csi-nfs-node-sa"
RBAC_NAME = "nfs"
PROVISIONER_ROLE = f"{RBAC_NAME}-external-provisioner-role"
PROVISIONER_BINDING = f"{RBAC_NAME}-csi-provisioner-binding"
RESIZER_ROLE = f"{RBAC_NAME}-external-resizer-role"
RESIZER_BINDING = f"{RBAC_NAME}-csi-resizer-role"
CONTROLLER = "csi-nfs-controller"
NODE = "csi-nfs-node"

Rule = tuple[str, tuple[str, ...], tuple[str, ...]]  # apiGroup, resources, verbs
_GLW = ("get", "list", "watch")
_WRITE = ("create", "update", "patch")
# The chart's ClusterRole rules at 4.13.4, in its order (rbac.create: true).
CHART_RULES: dict[str, tuple[Rule, ...]] = {
    PROVISIONER_ROLE: (
        ("", ("persistentvolumes",), (*_GLW, "create", "patch", "delete")),
        ("", ("persistentvolumeclaims",), (*_GLW, "update")),
        ("storage.k8s.io", ("storageclasses",), _GLW),
        ("snapshot.storage.k8s.io", ("volumesnapshotclasses", "volumesnapshots"), _GLW),
        ("snapshot.storage.k8s.io", ("volumesnapshotcontents",), (*_GLW, "update", "patch")),
        ("snapshot.storage.k8s.io", ("volumesnapshotcontents/status",), ("get", "update", "patch")),
        ("", ("events",), (*_GLW, *_WRITE)),
        ("storage.k8s.io", ("csinodes",), _GLW),
        ("", ("nodes",), _GLW),
        ("coordination.k8s.io", ("leases",), (*_GLW, *_WRITE)),
        ("", ("secrets",), ("get",)),
    ),
    RESIZER_ROLE: (
        ("", ("persistentvolumes",), (*_GLW, "update", "patch")),
        ("", ("persistentvolumeclaims",), _GLW),
        ("", ("persistentvolumeclaims/status",), ("update", "patch")),
        ("", ("events",), ("list", "watch", *_WRITE)),
        ("coordination.k8s.io", ("leases",), (*_GLW, *_WRITE)),
    ),
}
# Rules of the chart the tree leaves out, each with the reason (README, "Two drivers").
REMOVED: dict[str, dict[Rule, str]] = {
    PROVISIONER_ROLE: {
        ("", ("secrets",), ("get",)): "cluster-wide read of every Secret, used only for the "
        "csi.storage.k8s.io/provisioner-secret-* class parameters, which the tree never renders",
    },
}


def rendered_rules(role: str) -> list[Rule]:
    """The rules the tree grants: the chart's, minus the removals."""
    return [rule for rule in CHART_RULES[role] if rule not in REMOVED.get(role, {})]


class CsiDriverNfs(Driver):
    def names(self, spec: dict[str, Any], values: dict[str, Any]) -> ExportNames:
        # One driver release serves every csi-driver-nfs export of the cluster (the chart's
        # cluster-scoped names are fixed); each export has its own class.
        cluster = values["chart"]["releaseName"] if values["driver"] == NAME else NAME
        release = spec["release"] or cluster
        return ExportNames(
            release=release,
            provisioner=PROVISIONER,
            service_account=CONTROLLER_SA,
            cluster_role=PROVISIONER_ROLE,
            cluster_role_binding=PROVISIONER_BINDING,
            leader_role="",  # the sidecars' Leases are in the chart's ClusterRoles
            helm_repository=self.chart,
            values_configmap=f"{release}-values",
            storage_class=self.storage_class(spec),
            # Its own privileged namespace: its pods are privileged and use the host network.
            namespace=values["csi"]["namespace"],
        )

    # What the templates read (templates/drivers/csi-driver-nfs/).
    node_service_account = NODE_SA
    resizer_role = RESIZER_ROLE
    resizer_binding = RESIZER_BINDING
    controller = CONTROLLER

    @staticmethod
    def kubelet_dir(values: dict[str, Any]) -> str:
        return KUBELET_DIRS[values["distribution"]]

    @staticmethod
    def sub_dir(values: dict[str, Any]) -> str:
        return csi_sub_dir(values["storageClass"]["pathPattern"])

    @staticmethod
    def on_delete(values: dict[str, Any]) -> str:
        """onDelete, else archiveOnDelete as archive or delete (the chart's default: delete)."""
        chosen: str | None = values["storageClass"]["onDelete"]
        if chosen is not None:
            return chosen
        return "archive" if values["storageClass"]["archiveOnDelete"] else "delete"


DRIVER = CsiDriverNfs(
    name=NAME,
    chart=NAME,
    resources=(
        TreeFile("driver-rbac.yaml", f"{_DIR}/driver-rbac.yaml.j2", rank=20),
        TreeFile("storageclass.yaml", f"{_DIR}/storageclass.yaml.j2", rank=40),
        TreeFile(
            "volumesnapshotclass.yaml",
            f"{_DIR}/volumesnapshotclass.yaml.j2",
            ("csi", "snapshots", "enabled"),
            41,
        ),
    ),
    support=(TreeFile("helm-values.yaml", f"{_DIR}/helm-values.yaml.j2"),),
    keys=(("nfs",), ("storageClass",), ("chart",), ("csi",), ("distribution",)),
    class_parameters={
        "server": ("nfs", "server"),
        "share": ("nfs", "path"),
        "subDir": ("storageClass", "pathPattern"),
        "mountPermissions": ("storageClass", "mountPermissions"),
        "onDelete": ("storageClass", "onDelete"),
    },
    defaults={
        ("chart", "repository"): CHART_REPOSITORY,
        ("chart", "version"): CHART_VERSION,
        ("chart", "releaseName"): NAME,
        # The node plugin's image carries its own NFS client (nfs-common): nodes need none.
        ("nodeInstaller", "enabled"): False,
    },
    pod_security="privileged",
    release_per_export=False,
    namespaced_chart=True,
)
