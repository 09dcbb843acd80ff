"""The preflight Job's script, taken from a rendered Job, for each outcome it reports.

Root squash is simulated by running the script as uid 65534 (what root_squash makes of root)
against a local directory: the kernel then refuses exactly what the NFS server would. Needs root
(setpriv, mount): run by `make e2e-nfs`, part of `make e2e`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .probe import SQUASHED_UID, Outcome, busybox_path, rendered_job, run_probe

PROBE_NAME = ".nfs-gitops-preflight-nfs-preflight-test"


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder uid 65534 can reach (pytest's tmp_path is private to root)."""
    if os.geteuid() != 0:
        pytest.fail("the probe script tests need root (setpriv, mount): run make e2e-nfs")
    top = Path(tempfile.mkdtemp(prefix="nfs-gitops-probe-"))
    top.chmod(0o755)
    messages = top / "messages"
    messages.mkdir(mode=0o777)
    messages.chmod(0o777)
    yield top
    shutil.rmtree(top)


def export(top: Path, mode: int) -> Path:
    path = top / f"export-{mode:o}"
    path.mkdir()
    path.chmod(mode)
    return path


def assert_reported(outcome: Outcome, *parts: str) -> None:
    """The termination message is the script's last log line, and says every part."""
    assert outcome.message, outcome
    assert outcome.stdout.endswith(outcome.message), outcome
    for part in parts:
        assert part in outcome.message, (part, outcome.message)


def test_no_root_squash_passes_and_leaves_nothing(workdir: Path) -> None:
    target = export(workdir, 0o755)
    outcome = run_probe(target, workdir / "messages", squashed=False)
    assert outcome.returncode == 0, outcome
    assert outcome.message == (
        "nfs-gitops preflight passed for 192.168.169.3:/data/K8s: mkdir, chmod 0777, write, "
        "lock and remove work as root; root is not squashed.\n"
    )
    assert list(target.iterdir()) == []


def test_root_squash_on_a_root_owned_export_fails_with_cause_and_fix(workdir: Path) -> None:
    target = export(workdir, 0o755)
    outcome = run_probe(target, workdir / "messages", squashed=True)
    assert outcome.returncode == 1, outcome
    assert outcome.message.startswith(
        "nfs-gitops preflight FAILED for 192.168.169.3:/data/K8s: root squash: mkdir as root "
        "was refused ("
    ), outcome.message
    assert_reported(
        outcome,
        "Permission denied; export directory: owner uid 0, mode 755)",
        "Fix: export it with no_root_squash for the node addresses",
        "chown 65534:65534 DIR, or chmod 0777 DIR",
    )
    assert list(target.iterdir()) == []


def test_root_squash_on_a_writable_export_passes_and_reports_the_refused_chown(
    workdir: Path,
) -> None:
    target = export(workdir, 0o777)
    outcome = run_probe(target, workdir / "messages", squashed=True)
    assert outcome.returncode == 0, outcome
    assert_reported(
        outcome,
        f"root is squashed to uid {SQUASHED_UID}, which can write the export directory",
        "Note: chown refused under root squash (",
        "Operation not permitted",
    )
    assert list(target.iterdir()) == []


def test_require_chown_turns_the_refused_chown_into_a_failure(workdir: Path) -> None:
    target = export(workdir, 0o777)
    job = rendered_job({"preflight": {"requireChown": True}})
    outcome = run_probe(target, workdir / "messages", squashed=True, job=job)
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: chown refused under root squash (",
        "Fix: export it with no_root_squash for the node addresses. "
        "(preflight.requireChown is true)",
    )
    assert list(target.iterdir()) == []  # the probe directory is cleaned up on failure too


def test_require_chown_passes_without_root_squash(workdir: Path) -> None:
    target = export(workdir, 0o755)
    job = rendered_job({"preflight": {"requireChown": True}})
    outcome = run_probe(target, workdir / "messages", squashed=False, job=job)
    assert outcome.returncode == 0, outcome
    assert "Note:" not in outcome.message


def _mount_tmpfs(target: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "preflight", str(target)], check=True)


def test_read_only_export(workdir: Path) -> None:
    target = export(workdir, 0o755)
    _mount_tmpfs(target, "ro,size=64k")
    try:
        outcome = run_probe(target, workdir / "messages", squashed=False)
    finally:
        subprocess.run(["umount", str(target)], check=True)
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: the export is read-only (",
        "Read-only file system",
        "Fix: export it read-write (rw) for the node addresses.",
    )


def test_full_export(workdir: Path) -> None:
    target = export(workdir, 0o755)
    # Room for the probe directory but for no file in it.
    _mount_tmpfs(target, "size=64k,nr_inodes=2,mode=0755")
    try:
        outcome = run_probe(target, workdir / "messages", squashed=False)
        left = list(target.iterdir())
    finally:
        subprocess.run(["umount", str(target)], check=True)
    assert outcome.returncode == 1, outcome
    assert_reported(outcome, "the export is full (", "No space left on device", "Fix: free space")
    assert left == []


def test_locks_unavailable_names_nolock_and_statd(workdir: Path) -> None:
    """ENOLCK, what an NFSv3 lock gets without rpc.statd/NLM, stands in for a flock that says so
    (no local file system refuses locks)."""
    target = export(workdir, 0o755)
    shims = workdir / "shims"
    shims.mkdir()
    flock = shims / "flock"
    flock.write_text('#!/bin/sh\necho "flock: $3: No locks available" >&2\nexit 1\n')
    flock.chmod(0o755)
    outcome = run_probe(
        target,
        workdir / "messages",
        squashed=False,
        env={"PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "file locking failed (flock: ",
        "No locks available): NFSv3 locks need rpc.statd on the node",
        "Fix: add nolock to nfs.mountOptions",
    )
    assert list(target.iterdir()) == []


def test_a_probe_image_without_a_needed_tool_is_named(workdir: Path) -> None:
    """Without flock (a custom preflight.image) the probe says so instead of blaming locking."""
    target = export(workdir, 0o755)
    bare = workdir / "bare"
    bare.mkdir()
    for tool in ("mkdir", "stat", "chmod", "chown", "rm", "printf"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bare / tool).symlink_to(found)
    outcome = run_probe(target, workdir / "messages", squashed=False, env={"PATH": str(bare)})
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: the probe image has no flock. Fix: set "
        "preflight.image to an image with a POSIX shell, mkdir, chmod, chown, stat, flock and rm",
    )
    assert list(target.iterdir()) == []


@pytest.mark.parametrize(
    ("mode", "squashed", "returncode", "says"),
    [
        (0o755, False, 0, "root is not squashed."),
        (0o755, True, 1, "root squash: mkdir as root was refused ("),
        (0o777, True, 0, "Note: chown refused under root squash ("),
    ],
)
def test_busybox_shell_and_applets_give_the_same_outcomes(
    workdir: Path, mode: int, squashed: bool, returncode: int, says: str
) -> None:
    """The Job's image is busybox: ash and its applets, whose error texts differ from
    coreutils' ("can't create directory"), must lead to the same causes."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.fail("busybox not found: make e2e-nfs installs it")
    tools = busybox_path(busybox, workdir / "busybox")
    target = export(workdir, mode)
    outcome = run_probe(
        target,
        workdir / "messages",
        squashed=squashed,
        shell=str(tools / "sh"),
        env={"PATH": f"{tools}:{os.environ['PATH']}"},
    )
    assert outcome.returncode == returncode, outcome
    assert_reported(outcome, says)
    assert list(target.iterdir()) == []


def _shims(workdir: Path, **scripts: str) -> dict[str, str]:
    """PATH with commands that fail as the kernel or server would (errors no local directory
    gives root); the rest of the script runs the real tools."""
    shims = workdir / "shims"
    shims.mkdir(exist_ok=True)
    shims.chmod(0o755)
    for name, body in scripts.items():
        path = shims / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return {"PATH": f"{shims}:{os.environ['PATH']}"}


def test_chmod_refused(workdir: Path) -> None:
    target = export(workdir, 0o755)
    env = _shims(
        workdir,
        chmod="echo \"chmod: changing permissions of '$2': Operation not permitted\" >&2; exit 1",
    )
    outcome = run_probe(target, workdir / "messages", squashed=False, env=env)
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: chmod 0777 of the probe directory was refused (",
        "Operation not permitted; root is not squashed). The provisioner makes every volume "
        "directory 0777. Fix: export it with no_root_squash",
    )
    assert list(target.iterdir()) == []


def test_write_refused(workdir: Path) -> None:
    """A probe directory the squashed uid cannot write into (made 0555, chmod ignored)."""
    target = export(workdir, 0o777)
    env = _shims(workdir, mkdir='/bin/mkdir -m 0555 "$@"', chmod="exit 0")
    outcome = run_probe(target, workdir / "messages", squashed=True, env=env)
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: writing a file into the probe directory failed (",
        "Permission denied; root is squashed to uid 65534",
        "Fix: check the export's permissions on the server.",
    )
    assert list(target.iterdir()) == []


def test_remove_refused(workdir: Path) -> None:
    target = export(workdir, 0o755)
    env = _shims(workdir, rm="echo \"rm: cannot remove '$2': Permission denied\" >&2; exit 1")
    try:
        outcome = run_probe(target, workdir / "messages", squashed=False, env=env)
        assert outcome.returncode == 1, outcome
        assert_reported(
            outcome,
            "FAILED for 192.168.169.3:/data/K8s: removing the probe directory failed (rm: cannot "
            f"remove '{target}/{PROBE_NAME}': Permission denied): the provisioner could not "
            f"delete volumes. Fix: check the export's permissions; remove {PROBE_NAME} from the "
            "export directory on the server.",
        )
        assert [p.name for p in target.iterdir()] == [PROBE_NAME]  # left, as the message says
    finally:
        shutil.rmtree(target / PROBE_NAME, ignore_errors=True)


def test_other_mkdir_errors_are_passed_on(workdir: Path) -> None:
    target = export(workdir, 0o755)
    env = _shims(
        workdir, mkdir="echo \"mkdir: cannot create directory '$1': Stale file handle\" >&2; exit 1"
    )
    outcome = run_probe(target, workdir / "messages", squashed=False, env=env)
    assert outcome.returncode == 1, outcome
    assert_reported(
        outcome,
        "FAILED for 192.168.169.3:/data/K8s: mkdir of a probe directory failed: mkdir: cannot "
        "create directory",
        "Stale file handle. Fix: check the export's options and permissions on the server.",
    )
