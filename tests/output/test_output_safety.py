"""The output folder: links out of the tree, unwritable folders, a full disk, a missing folder,
and two renders at once. Each failure is one clear message with a code and exit 1."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import generator.output.changes
from generator.cli import cli
from generator.output.lock import LOCK_NAME, output_lock
from tests.conftest import MINIMAL, ROOT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def render(values: Path, out: Path, *more: str) -> tuple[int, str, str]:
    return run("render", str(values), "--output-dir", str(out), *more)


def one_error(err: str, code: str) -> str:
    """The single line of stderr, which must end with [code]."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nfs-gitops: ") and lines[0].endswith(f" [{code}]"), err
    return lines[0]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the output folder that must never be written."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "precious.yaml").write_text("mine\n")
    return folder


def untouched(folder: Path) -> bool:
    return sorted(p.name for p in folder.iterdir()) == ["precious.yaml"]


# --- links ------------------------------------------------------------------------------


def test_cluster_folder_linked_outside_is_refused(values_file: Path, outside: Path) -> None:
    out = values_file.parent / "output"
    out.mkdir()
    (out / "homelab").symlink_to(outside)
    code, _, err = render(values_file, out)
    assert code == 1
    line = one_error(err, "output-symlink")
    assert f"{out / 'homelab'} is a symbolic link" in line
    assert untouched(outside)


@pytest.mark.parametrize("check", [False, True])
def test_rendered_file_linked_outside_is_refused(
    values_file: Path, outside: Path, check: bool
) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    target = out / "homelab" / "storageclass.yaml"
    target.unlink()
    target.symlink_to(outside / "precious.yaml")
    code, _, err = render(values_file, out, *(["--check"] if check else []))
    assert code == 1
    assert f"{target} is not a regular file" in one_error(err, "output-symlink")
    assert (outside / "precious.yaml").read_text() == "mine\n"
    assert target.is_symlink()


def test_other_links_in_the_tree_are_left_alone(values_file: Path, outside: Path) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    link = out / "homelab" / "notes.yaml"
    link.symlink_to(outside / "precious.yaml")
    assert render(values_file, out)[0] == 0
    assert render(values_file, out, "--check")[0] == 0
    assert link.is_symlink() and untouched(outside)


def test_output_dir_itself_may_be_a_link(values_file: Path, tmp_path: Path) -> None:
    """The user chose OUTPUT_DIR; only what nfs-gitops creates inside it must be real."""
    real = tmp_path / "real-output"
    real.mkdir()
    link = tmp_path / "output-link"
    link.symlink_to(real)
    assert render(values_file, link)[0] == 0
    assert (real / "homelab" / "storageclass.yaml").is_file()
    assert render(values_file, link, "--check")[0] == 0


def test_lock_file_linked_elsewhere_is_refused(values_file: Path, outside: Path) -> None:
    out = values_file.parent / "output"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(outside / "precious.yaml")
    code, _, err = render(values_file, out)
    assert code == 1
    one_error(err, "output-symlink")
    assert (outside / "precious.yaml").read_text() == "mine\n"
    assert not (out / "homelab").exists()


# --- missing, unwritable, full ------------------------------------------------------------


def test_missing_output_folder_is_created(values_file: Path) -> None:
    out = values_file.parent / "new" / "nested" / "output"
    code, _, err = render(values_file, out)
    assert (code, err) == (0, "")
    assert (out / "homelab" / "kustomization.yaml").is_file()


def test_check_of_a_missing_output_folder_is_drift_and_creates_nothing(values_file: Path) -> None:
    out = values_file.parent / "absent"
    code, _, err = render(values_file, out, "--check")
    assert code == 1
    assert err.splitlines()[-1].endswith("[drift]")
    assert not out.exists(), "--check writes nothing, not even the lock file"


def test_output_path_under_a_file_is_one_message(values_file: Path) -> None:
    blocker = values_file.parent / "blocker"
    blocker.write_text("a file, not a folder\n")
    code, _, err = render(values_file, blocker / "output")
    assert code == 1
    assert "Not a directory" in one_error(err, "output-unwritable")


def _refuse(exc: OSError) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return refuse


def test_unwritable_output_folder_is_one_message(
    values_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    (out / "homelab" / "storageclass.yaml").write_text("edited\n")
    # Tests run as root, where chmod does not stop writes: refuse the way the kernel would.
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", _refuse(denied))
    code, _, err = render(values_file, out)
    assert code == 1
    line = one_error(err, "output-unwritable")
    assert line == f"nfs-gitops: cannot write in {out / 'homelab'}: Permission denied " + (
        "[output-unwritable]"
    )
    assert (out / "homelab" / "storageclass.yaml").read_text() == "edited\n"


def test_unwritable_output_parent_is_one_message(
    values_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = values_file.parent / "output"
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if self == out:
            raise PermissionError(errno.EACCES, "Permission denied")
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    code, _, err = render(values_file, out)
    assert code == 1
    assert f"cannot create {out}: Permission denied" in one_error(err, "output-unwritable")


def test_full_disk_is_one_message_and_keeps_old_content(
    values_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    tree = out / "homelab"
    old = (tree / "storageclass.yaml").read_text()
    values_file.write_text(MINIMAL + "storageClass: {default: false}\n")
    real_mkstemp = tempfile.mkstemp

    def on_full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        """A real temp file name, but every byte written goes to /dev/full (ENOSPC)."""
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name

    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", on_full_disk)
        code, _, err = render(values_file, out)
    assert code == 1
    line = one_error(err, "output-write")
    assert line.endswith(": No space left on device [output-write]")
    assert (tree / "storageclass.yaml").read_text() == old
    assert not [p.name for p in tree.iterdir() if p.name.endswith(".tmp")], "temp file left"
    assert render(values_file, out, "--check")[0] == 1
    assert render(values_file, out)[0] == 0
    assert 'is-default-class: "false"' in (tree / "storageclass.yaml").read_text()


def test_output_errors_in_json_and_github_formats(values_file: Path, outside: Path) -> None:
    out = values_file.parent / "output"
    out.mkdir()
    (out / "homelab").symlink_to(outside)
    code, stdout, _ = render(values_file, out, "--format", "json")
    assert code == 1
    assert json.loads(stdout) == [
        {
            "file": str(out / "homelab"),
            "line": None,
            "column": None,
            "field": None,
            "message": f"{out / 'homelab'} is a symbolic link; refusing to write through it",
            "code": "output-symlink",
        }
    ]
    code, stdout, _ = render(values_file, out, "--format", "github")
    assert code == 1
    assert stdout.startswith(f"::error file={out / 'homelab'},title=output-symlink::")


# --- two renders at once ----------------------------------------------------------------


def test_second_render_gives_up_after_the_timeout(values_file: Path) -> None:
    out = values_file.parent / "output"
    with output_lock(out, timeout=1):
        started = time.monotonic()
        code, _, err = render(values_file, out, "--lock-timeout", "0.3")
        waited = time.monotonic() - started
    assert code == 1
    line = one_error(err, "output-locked")
    assert "another nfs-gitops render holds" in line and "gave up after 0.3s" in line
    assert waited >= 0.3
    assert not (out / "homelab").exists()


def test_check_waits_for_a_render_in_progress(values_file: Path) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    with output_lock(out, timeout=1):
        code, _, err = render(values_file, out, "--check", "--lock-timeout", "0.2")
    assert code == 1
    one_error(err, "output-locked")


def test_second_render_waits_for_the_first(values_file: Path) -> None:
    out = values_file.parent / "output"
    entered = threading.Event()

    def hold() -> None:
        with output_lock(out, timeout=1):
            entered.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(5)
    started = time.monotonic()
    code, _, err = render(values_file, out, "--lock-timeout", "30")
    waited = time.monotonic() - started
    holder.join()
    assert (code, err) == (0, "")
    assert waited >= 0.3, "the render must have waited for the lock"


HOLD_LOCK = """
import sys, time
from pathlib import Path
from generator.output.lock import output_lock
with output_lock(Path(sys.argv[1]), timeout=5):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_killed_render_does_not_block_the_next(values_file: Path) -> None:
    out = values_file.parent / "output"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert render(values_file, out, "--lock-timeout", "0.2")[0] == 1
    finally:
        holder.kill()
        holder.wait()
    assert (out / LOCK_NAME).exists(), "the lock file stays; the lock does not"
    code, _, err = render(values_file, out, "--lock-timeout", "5")
    assert (code, err) == (0, "")


def test_concurrent_renders_leave_one_whole_tree(values_file: Path) -> None:
    """Two processes render different values into one tree: the result is one of the two."""
    out = values_file.parent / "output"
    other = values_file.with_name("other.yaml")
    # Differs in what the day-2 guard lets change in place (namespace, default flag).
    other.write_text(MINIMAL + "namespace: other\nstorageClass: {default: false}\n")
    expected = {}
    for name, source in (("a", values_file), ("b", other)):
        assert render(source, values_file.parent / name)[0] == 0
        tree = values_file.parent / name / "homelab"
        expected[name] = {p.name: p.read_text() for p in tree.iterdir()}
    command = [sys.executable, "-m", "generator", "render", "--output-dir", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(3):
        procs = [
            subprocess.Popen([*command, str(source)], cwd=values_file.parent, env=env)
            for source in (values_file, other)
        ]
        assert [proc.wait() for proc in procs] == [0, 0]
        got = {p.name: p.read_text() for p in (out / "homelab").iterdir()}
        assert got in (expected["a"], expected["b"])


def test_lock_file_is_not_committed() -> None:
    lock = Path("output") / LOCK_NAME
    ignored = subprocess.run(["git", "check-ignore", "-q", str(lock)], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{lock} must be in .gitignore"


def test_lock_file_is_ignored_by_render_and_check(values_file: Path) -> None:
    out = values_file.parent / "output"
    assert render(values_file, out)[0] == 0
    assert (out / LOCK_NAME).is_file()
    assert LOCK_NAME not in {p.name for p in (out / "homelab").iterdir()}
    code, stdout, err = render(values_file, out, "--check", "--prune")
    assert (code, stdout, err) == (0, "", "")
    assert render(values_file, out, "--prune")[0] == 0
    assert (out / LOCK_NAME).is_file() and (out / "homelab").is_dir()


def test_write_module_keeps_temp_files_recognisable() -> None:
    """Interrupted renders are cleaned up by name: mkstemp's names must match TEMP_FILE."""
    with tempfile.TemporaryDirectory() as scratch:
        prefix = f".storageclass.yaml.{generator.output.changes.TEMP_MARK}"
        fd, name = tempfile.mkstemp(dir=scratch, prefix=prefix, suffix=".tmp")
        os.close(fd)
        assert generator.output.changes.TEMP_FILE.match(Path(name).name)


# -- the lock file stays out of Git in any repository -----------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_lock_file_stays_out_of_git_in_a_repository_that_does_not_ignore_it(
    values_file: Path,
) -> None:
    repo = values_file.parent
    git(repo, "init", "-q")
    assert not (repo / ".gitignore").exists()
    assert render(values_file, repo / "output")[0] == 0
    added = git(repo, "add", "-n", "output").splitlines()
    assert "add 'output/.gitignore'" in added
    assert "add 'output/homelab/storageclass.yaml'" in added
    assert not [line for line in added if LOCK_NAME in line], added
    assert (repo / "output" / ".gitignore").read_text().splitlines()[-1] == f"/{LOCK_NAME}"
    # Beside the trees, never in one: kustomize builds output/<cluster> and never sees it.
    assert ".gitignore" not in {p.name for p in (repo / "output" / "homelab").iterdir()}
    # A second render, and --check, leave everything as it is.
    before = (repo / "output" / ".gitignore").read_bytes()
    assert render(values_file, repo / "output")[0] == 0
    assert render(values_file, repo / "output", "--check") == (0, "", "")
    assert (repo / "output" / ".gitignore").read_bytes() == before


def test_an_existing_output_gitignore_keeps_its_lines(values_file: Path) -> None:
    out = values_file.parent / "output"
    out.mkdir()
    (out / ".gitignore").write_text("*.bak")
    assert render(values_file, out)[0] == 0
    assert (out / ".gitignore").read_text() == f"*.bak\n/{LOCK_NAME}\n"
    (out / ".gitignore").write_text(f"# mine\n{LOCK_NAME}\n")
    assert render(values_file, out)[0] == 0
    assert (out / ".gitignore").read_text() == f"# mine\n{LOCK_NAME}\n", "already ignored"


def test_the_trees_are_the_same_bytes_with_or_without_the_gitignore(values_file: Path) -> None:
    first, second = values_file.parent / "a", values_file.parent / "b"
    assert render(values_file, first)[0] == 0
    (second).mkdir()
    (second / ".gitignore").write_text("anything\n")
    assert render(values_file, second)[0] == 0
    trees = [
        {p.name: p.read_bytes() for p in (out / "homelab").iterdir()} for out in (first, second)
    ]
    assert trees[0] == trees[1]
