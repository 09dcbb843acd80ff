from __future__ import annotations

from generator.values.checks.names import is_qualified_name
from tests.values.checks.helpers import found


def test_qualified_names() -> None:
    assert is_qualified_name("cluster.local/nfs-subdir-external-provisioner")
    assert is_qualified_name("nfs")
    assert not is_qualified_name("Bad_Prefix/x")
    assert not is_qualified_name("a/" + "x" * 64)


def test_names_and_selectors() -> None:
    text = (
        "cluster: Bad_Name\n"
        "namespace: ok\n"
        "storageClass: {name: UPPER}\n"
        "chart: {releaseName: " + "r" * 54 + "}\n"
        "nodeInstaller:\n"
        "  nodeSelector: {kubernetes.io/os: windows, 'bad key': x}\n"
        "  tolerations: [{operator: Exists, value: x}, {operator: Equal}]\n"
        "provisioner: {replicas: 2, leaderElection: false}\n"
    )
    assert found(text) == [
        "1:10 cluster name-dns1123-label",
        "3:22 storageClass.name name-dns1123-subdomain",
        "4:22 chart.releaseName name-release",
        '6:36 nodeInstaller.nodeSelector["kubernetes.io/os"] label-value',
        '6:45 nodeInstaller.nodeSelector["bad key"] label-key',
        "7:43 nodeInstaller.tolerations[0].value toleration",
        "7:47 nodeInstaller.tolerations[1] toleration",
        "8:25 provisioner.replicas leader-election",
    ]
