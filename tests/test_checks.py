from __future__ import annotations

import pytest

from generator.checks import is_qualified_name, nfs_server_error, path_pattern_error, run_checks
from generator.load import load_bytes


@pytest.mark.parametrize(
    "server",
    ["192.168.169.3", "10.0.0.1", "nas", "nas.home.arpa", "nas.example.com.", "fd00::3", "::1"],
)
def test_good_servers(server: str) -> None:
    assert nfs_server_error(server) is None


@pytest.mark.parametrize(
    ("server", "fragment"),
    [
        ("192.168.169.300", "not a valid IPv4 address"),
        ("256.1.1.1", "not a valid IPv4 address"),
        ("nfs://nas", "without a scheme"),
        ("nas:/data", "export path goes in nfs.path"),
        ("fd00::zz", "not a valid IPv6 address"),
        ("nas_1.local", "not an IPv4 address, an IPv6 address or a DNS name"),
        ("-nas", "not an IPv4 address"),
        ("nas..local", "not an IPv4 address"),
        ("1.2.3", "looks like an IPv4 address"),
        ("", "not an IPv4 address"),
    ],
)
def test_bad_servers(server: str, fragment: str) -> None:
    message = nfs_server_error(server)
    assert message is not None and fragment in message


@pytest.mark.parametrize(
    "pattern",
    [
        "${.PVC.namespace}/${.PVC.name}",
        "${.PVC.labels.app.kubernetes.io/name}",
        "${.PVC.annotations.nfs.io/dir}",
        "static-dir",
    ],
)
def test_good_path_patterns(pattern: str) -> None:
    assert path_pattern_error(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("${.PVC.uid}", "unknown field ${.PVC.uid}"),
        ("${.PV.name}", "unknown field"),
        ("../${.PVC.name}", "'..'"),
        ("${.PVC.namespace}/../../etc", "'..'"),
        ("/abs/${.PVC.name}", "no leading /"),
        ("a//b", "empty path segments"),
        ("$HOME/x", "outside a ${.PVC...} field"),
        ("${.PVC.labels.}", "unknown field"),
        ("${.PVC.labels.bad key}", "not a valid label or annotation key"),
        ("", "must not be empty"),
    ],
)
def test_bad_path_patterns(pattern: str, fragment: str) -> None:
    message = path_pattern_error(pattern)
    assert message is not None and fragment in message


def test_qualified_names() -> None:
    assert is_qualified_name("cluster.local/nfs-subdir-external-provisioner")
    assert is_qualified_name("nfs")
    assert not is_qualified_name("Bad_Prefix/x")
    assert not is_qualified_name("a/" + "x" * 64)


def check(text: str) -> list[str]:
    found = sorted(run_checks(load_bytes(text.encode(), "v")))
    return [f"{p.line}:{p.column} {p.field} {p.code}" for p in found]


def test_mount_options() -> None:
    text = (
        "nfs:\n  mountOptions:\n"
        "    - nfsvers=4.1\n"  # 3
        "    - hard\n"  # 4
        "    - nolock\n"  # 5
        "    - soft\n"  # 6 contradicts hard
        "    - vers=3\n"  # 7 contradicts nfsvers=4.1
        "    - rsize=12\n"  # 8 out of range
        "    - bogus\n"  # 9 unknown
        "    - hard=1\n"  # 10 flag with value
        "    - timeo\n"  # 11 option without value
        "    - nconnect=8\n"
    )
    assert check(text) == [
        "6:7 nfs.mountOptions[3] mount-conflict",
        "7:7 nfs.mountOptions[4] mount-conflict",
        "8:7 nfs.mountOptions[5] mount-option",
        "9:7 nfs.mountOptions[6] mount-option",
        "10:7 nfs.mountOptions[7] mount-option",
        "11:7 nfs.mountOptions[8] mount-option",
    ]


@pytest.mark.parametrize("version", ["3", "4", "4.0", "4.1", "4.2"])
def test_every_documented_nfs_version_is_accepted(version: str) -> None:
    assert check(f"nfs:\n  mountOptions: [nfsvers={version}]\n") == []


def test_control_characters_anywhere_are_refused() -> None:
    text = 'cluster: "a\\n"\nnfs: {path: "/x\\ty", "k\\u0085": v}\n'
    assert check(text) == [
        "1:10 cluster name-dns1123-label",
        "1:10 cluster control-characters",
        "2:13 nfs.path control-characters",
        '2:22 nfs["k\\u0085"] control-characters',
    ]


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
    assert check(text) == [
        "1:10 cluster name-dns1123-label",
        "3:22 storageClass.name name-dns1123-subdomain",
        "4:22 chart.releaseName name-release",
        '6:36 nodeInstaller.nodeSelector["kubernetes.io/os"] label-value',
        '6:45 nodeInstaller.nodeSelector["bad key"] label-key',
        "7:43 nodeInstaller.tolerations[0].value toleration",
        "7:47 nodeInstaller.tolerations[1] toleration",
        "8:25 provisioner.replicas leader-election",
    ]
