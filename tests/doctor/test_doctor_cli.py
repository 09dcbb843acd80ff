"""doctor without a server: the missing extra, the versions nfsvers asks for, the summary.

The checks against a real NFS server are in tests/nfs (make e2e-nfs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.doctor.checks import Check, Export, export_of
from generator.doctor.report import github, summary


def export(*options: str) -> Export:
    return export_of(
        {"cluster": "lab", "nfs": {"server": "nas", "path": "/k8s", "mountOptions": list(options)}}
    )


def test_missing_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nfs_rs", None)  # import nfs_rs raises ImportError
    values = tmp_path / "lab.yaml"
    values.write_text("cluster: lab\nnfs: {server: nas, path: /k8s}\n")
    result = CliRunner().invoke(cli, ["doctor", str(values)])
    assert result.exit_code == 1
    assert "install it with: pip install 'nfs-gitops[doctor]' [doctor-extra-missing]" in (
        result.stderr
    )
    assert result.stdout == ""


def test_invalid_values_are_refused_before_any_network(tmp_path: Path) -> None:
    values = tmp_path / "lab.yaml"
    values.write_text("cluster: lab\nnfs: {server: nas, path: relative}\n")
    result = CliRunner().invoke(cli, ["doctor", str(values), "--format", "json"])
    assert result.exit_code == 1
    assert '"field": "nfs.path"' in result.stdout


@pytest.mark.parametrize(
    ("options", "asked"),
    [
        ((), None),
        (("nfsvers=3",), "3"),
        (("vers=4.1",), "4.1"),
        (("nfsvers=4",), "4"),
        (("nfsvers=4", "minorversion=1"), "4.1"),
        (("hard", "nfsvers=4.2"), "4.2"),
    ],
)
def test_asked_version(options: tuple[str, ...], asked: str | None) -> None:
    assert export(*options).asked_version == asked


def test_ipv6_server_is_bracketed() -> None:
    found = export_of({"cluster": "lab", "nfs": {"server": "fd00::3", "path": "/k8s"}})
    assert found.name == "[fd00::3]:/k8s"


def test_require_chown_comes_from_preflight() -> None:
    assert not export().require_chown
    values = {"cluster": "a", "nfs": {"server": "n", "path": "/p"}, "preflight": {}}
    assert not export_of(values).require_chown
    values["preflight"] = {"requireChown": True}
    assert export_of(values).require_chown


def test_summary_counts_every_status() -> None:
    checks = [
        Check("a", "n:/p", "reachable", "pass", "reachable", "ok"),
        Check("a", "n:/p", "chown", "warn", "chown-refused", "no", "fix"),
        Check("b", "m:/q", "reachable", "fail", "unreachable", "no", "fix"),
        Check("b", "m:/q", "mount", "not checked", "not-reached", "no"),
    ]
    assert summary(checks) == (
        "nfs-gitops doctor: 2 export(s): 1 pass, 1 warn, 1 fail, 1 not checked"
    )
    assert github(checks[0]) is None
    assert github(checks[2]) == "::error title=b reachable unreachable::m:/q: no. Fix: fix."


def test_doctor_notes_the_default_class(tmp_path: Path) -> None:
    """The export probe cannot see the cluster; doctor still says what a default class means."""
    values = tmp_path / "lab.yaml"
    values.write_text("cluster: lab\nnfs: {server: 192.0.2.1, path: /k8s}\n")  # TEST-NET-1
    result = CliRunner().invoke(cli, ["doctor", str(values), "--timeout", "0.2"])
    assert result.exit_code == 1  # unreachable
    assert result.stderr.splitlines()[-1] == (
        "note: lab: nfs-client becomes the default StorageClass; remove the default annotation "
        "from any other class (k3s local-path, a cloud's default): README, \"Another default "
        'class"'
    )


def test_every_export_of_a_cluster_is_checked() -> None:
    from generator.doctor.checks import exports_of

    values = {
        "cluster": "studio",
        "exports": [
            {"name": "fast", "server": "192.168.169.3", "path": "/ssd"},
            {"name": "bulk", "server": "fd00::4", "path": "/hdd", "mountOptions": ["nfsvers=3"]},
        ],
    }
    found = exports_of(values)
    assert [(e.cluster, e.server, e.path) for e in found] == [
        ("studio", "192.168.169.3", "/ssd"),
        ("studio", "fd00::4", "/hdd"),
    ]
    assert found[1].asked_version == "3"
    assert exports_of({"cluster": "c", "nfs": {"server": "nas", "path": "/k8s"}}) == [
        export_of({"cluster": "c", "nfs": {"server": "nas", "path": "/k8s"}})
    ]
