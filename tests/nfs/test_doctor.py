"""`nfs-gitops doctor` against a real NFS server (nfs-ganesha on 127.0.0.1) over NFSv3 and v4.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli

from .ganesha import ANONYMOUS_UID, Server

LATER = ("chmod", "chown", "cleanup")


def run(
    tmp_path: Path,
    path: str,
    *,
    options: list[str] | None = None,
    server: str = "127.0.0.1",
    extra: dict[str, Any] | None = None,
    fmt: str = "json",
) -> tuple[int, Any, str]:
    values = {
        "cluster": "lab",
        "nfs": {"server": server, "path": path, "mountOptions": options or []},
        **(extra or {}),
    }
    file = tmp_path / "lab.yaml"
    file.write_text(yaml.safe_dump(values))
    result = CliRunner().invoke(cli, ["doctor", str(file), "--format", fmt, "--timeout", "5"])
    out = json.loads(result.stdout) if fmt == "json" else result.stdout
    return result.exit_code, out, result.stderr


def by_check(checks: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    assert all(c["cluster"] == "lab" for c in checks)
    return {c["check"]: (c["status"], c["code"]) for c in checks}


def detail(checks: list[dict[str, Any]], name: str) -> str:
    return str(next(c for c in checks if c["check"] == name)["detail"])


@pytest.mark.parametrize("version", ["3", "4.1"])
def test_root_squash_on_a_root_owned_export_fails_with_the_fix(
    ganesha: Server, tmp_path: Path, version: str
) -> None:
    code, checks, err = run(tmp_path, "/squash755", options=[f"nfsvers={version}"])
    assert code == 1, (checks, err)
    assert by_check(checks) == {
        "reachable": ("pass", "reachable"),
        "mount": ("pass", "mountable"),
        "versions": ("pass", "version-offered"),
        "root-squash": ("fail", "root-squash-denied"),
        "chmod": ("not checked", "not-reached"),
        "chown": ("not checked", "not-reached"),
        "cleanup": ("not checked", "not-reached"),
    }
    squash = next(c for c in checks if c["check"] == "root-squash")
    assert f"refused over NFSv{version} (" in squash["detail"]
    assert "export directory owner uid 0, mode 755" in squash["detail"]
    assert squash["fix"].startswith("export it with no_root_squash for the node addresses")
    assert "1 fail" in err
    assert list(ganesha.export_dir("squash755").iterdir()) == []


@pytest.mark.parametrize("version", ["3", "4.1"])
def test_root_squash_on_a_writable_export_passes_and_warns_about_chown(
    ganesha: Server, tmp_path: Path, version: str
) -> None:
    code, checks, err = run(tmp_path, "/squash777", options=[f"nfsvers={version}"])
    assert code == 0, (checks, err)
    assert by_check(checks) == {
        "reachable": ("pass", "reachable"),
        "mount": ("pass", "mountable"),
        "versions": ("pass", "version-offered"),
        "root-squash": ("pass", "root-squash-writable"),
        "chmod": ("pass", "chmod"),
        "chown": ("warn", "chown-refused"),
        "cleanup": ("pass", "cleanup"),
    }
    assert f"belongs to uid {ANONYMOUS_UID} over NFSv{version}" in detail(checks, "root-squash")
    assert list(ganesha.export_dir("squash777").iterdir()) == []


@pytest.mark.parametrize("version", ["3", "4.1"])
def test_no_root_squash_passes_every_check(ganesha: Server, tmp_path: Path, version: str) -> None:
    code, checks, err = run(tmp_path, "/nosquash", options=[f"nfsvers={version}"])
    assert code == 0, (checks, err)
    assert {c["status"] for c in checks} == {"pass"}
    assert [c["check"] for c in checks] == [
        "reachable", "mount", "versions", "root-squash", "chmod", "chown", "cleanup"
    ]  # fmt: skip
    assert f"belongs to uid 0 over NFSv{version}: root is not squashed" in detail(
        checks, "root-squash"
    )
    assert all(c["fix"] == "" for c in checks)
    assert list(ganesha.export_dir("nosquash").iterdir()) == []


def test_require_chown_makes_the_refused_chown_a_failure(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/squash777", extra={"preflight": {"requireChown": True}})
    assert code == 1
    assert by_check(checks)["chown"] == ("fail", "chown-refused")
    assert "(preflight.requireChown is true)" in detail(checks, "chown")


def test_secure_export_as_non_root_is_its_own_result(
    ganesha: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As non-root the client cannot bind a port below 1024 and uses an unprivileged one; the
    effective uid is what doctor decides that by, so a non-root uid stands in for a user."""
    monkeypatch.setattr("generator.doctor.probe.os.geteuid", lambda: 1000)
    code, checks, err = run(tmp_path, "/secure")
    assert code == 0, (checks, err)  # nothing failed: the nodes use privileged ports
    result = by_check(checks)
    assert result.pop("reachable") == ("pass", "reachable")
    assert result.pop("mount") == ("not checked", "secure-export")
    assert set(result.values()) == {("not checked", "not-reached")}
    assert "secure export: the server lists /secure but refuses" in detail(checks, "mount")
    mount = next(c for c in checks if c["check"] == "mount")
    assert mount["fix"].startswith("run doctor as root")
    # The same user reaches an export without `secure`.
    code, checks, _ = run(tmp_path, "/nosquash")
    assert code == 0 and {c["status"] for c in checks} == {"pass"}
    assert "from an unprivileged source port" in detail(checks, "mount")


def test_secure_export_as_root_is_probed(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/secure")
    assert code == 0
    assert {c["status"] for c in checks} == {"pass"}
    assert "from a privileged source port" in detail(checks, "mount")


def test_a_version_the_server_does_not_offer_fails(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/v4only", options=["nfsvers=3"])
    assert code == 1
    result = by_check(checks)
    assert result["versions"] == ("fail", "version-not-offered")
    assert "offered: NFSv4.0, v4.1" in detail(checks, "versions")
    # The export itself is still probed, over a version it offers.
    assert result["root-squash"] == ("pass", "no-root-squash")
    assert "over NFSv4.1" in detail(checks, "root-squash")


def test_a_version_the_client_cannot_speak_is_not_checked(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/nosquash", options=["nfsvers=4.2"])
    assert code == 0
    assert by_check(checks)["versions"] == ("not checked", "version-not-spoken")
    assert "speaks NFSv3, v4.0 and v4.1 only" in detail(checks, "versions")


def test_nfsvers_4_without_v40_or_v41_is_not_checked(ganesha: Server, tmp_path: Path) -> None:
    """A server offering only v3 to this client might still offer v4.2, which nfs-rs cannot
    speak: that is not a failure it can prove."""
    code, checks, _ = run(tmp_path, "/v3only", options=["nfsvers=4"])
    assert code == 0
    assert by_check(checks)["versions"] == ("not checked", "version-not-spoken")
    assert "offered: NFSv3)" in detail(checks, "versions")
    assert "over NFSv3" in detail(checks, "root-squash")


def test_nfsvers_4_with_minorversion_asks_that_minor_version(
    ganesha: Server, tmp_path: Path
) -> None:
    code, checks, _ = run(tmp_path, "/nosquash", options=["nfsvers=4", "minorversion=0"])
    assert code == 0
    assert detail(checks, "versions").startswith("nfsvers=4.0 asked")
    assert "over NFSv4.0" in detail(checks, "root-squash")


def test_unreachable_server(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/nosquash", server="127.0.0.2")  # ganesha binds .1 only
    assert code == 1
    result = by_check(checks)
    assert result.pop("reachable") == ("fail", "unreachable")
    assert set(result.values()) == {("not checked", "not-reached")}


def test_path_not_exported(ganesha: Server, tmp_path: Path) -> None:
    code, checks, _ = run(tmp_path, "/nope")
    assert code == 1
    assert by_check(checks)["mount"] == ("fail", "mount-failed")


def test_text_is_one_line_per_check_with_status_first(ganesha: Server, tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "/squash755", options=["nfsvers=4.1"], fmt="text")
    assert code == 1
    lines = out.splitlines()
    assert [line.split("  ")[0].strip() for line in lines] == [
        "pass", "pass", "pass", "fail", "not checked", "not checked", "not checked"
    ]  # fmt: skip
    assert lines[3].startswith(
        "fail         lab  127.0.0.1:/squash755  root-squash: mkdir as uid 0"
    )
    assert " Fix: export it with no_root_squash for the node addresses" in lines[3]
    assert err.strip().splitlines() == [
        "nfs-gitops doctor: 1 export(s): 3 pass, 0 warn, 1 fail, 3 not checked",
        # The probe cannot see the cluster: it says which class it makes the default.
        "note: lab: nfs-client becomes the default StorageClass; remove the default annotation "
        "from any other class (k3s local-path, a cloud's default): "
        'README, "Another default class"',
    ]


def test_github_annotates_failures_and_warnings(ganesha: Server, tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "/squash777", fmt="github")
    assert code == 0
    [line] = out.splitlines()  # only what needs attention: passes are not annotated
    assert line.startswith(
        "::warning title=lab chown chown-refused::127.0.0.1:/squash777: chown to 1000:1000 "
        "refused under root squash"
    ), line


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _nobody_python() -> str:
    """An interpreter uid 65534 may run: this one, or the system's of the same version (a
    pyenv interpreter under /root is out of its reach)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/python{version}"):
        probe = [*AS_NOBODY, candidate, "-c", "import sys"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return candidate
    pytest.fail(f"no Python {version} that uid 65534 can run (tried {sys.executable})")


def test_secure_export_from_a_real_non_root_process(ganesha: Server) -> None:
    """doctor as uid 65534 for real: the client cannot bind a port below 1024 and says so."""
    work = Path(tempfile.mkdtemp(prefix="nfs-gitops-doctor-"))
    try:
        work.chmod(0o755)
        values = work / "lab.yaml"
        values.write_text("cluster: lab\nnfs: {server: 127.0.0.1, path: /secure}\n")
        values.chmod(0o644)
        paths = [str(Path(__file__).resolve().parents[2]), *sysconfig.get_paths().values()]
        code = f"import sys; sys.path[:0] = {paths!r}; from generator.cli import main; main()"
        done = subprocess.run(
            [*AS_NOBODY, _nobody_python(), "-c", code, "doctor", str(values), "--format", "json"],
            capture_output=True,
            text=True,
            cwd=work,
            env={"PATH": os.environ["PATH"], "HOME": str(work)},
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(work)
    assert done.returncode == 0, done.stderr
    checks = json.loads(done.stdout)
    assert by_check(checks)["mount"] == ("not checked", "secure-export")
    assert "refuses this unprivileged source port" in detail(checks, "mount")
