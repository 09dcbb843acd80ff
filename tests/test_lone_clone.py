"""A lone clone is the whole product: no tracked file reaches outside the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, ROOT

# Only CI's entry point may name the folder CI lays beside the clone (chart archives for e2e).
ALLOWED = {".ci/run"}
OUTSIDE = re.compile(r"\.\./shared|/wor[k]/|/shared/schema[s]")  # [k], [s]: not a match of itself


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("this test reads the clone's tracked files: run it in a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_refers_outside_the_clone() -> None:
    offenders = []
    for name in tracked_files():
        if name in ALLOWED:
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_make_render_and_the_cli_take_the_same_cluster_files(tmp_path: Path) -> None:
    """make render passes the values folder, so a .yml cluster is rendered and kept."""
    values = tmp_path / "values"
    values.mkdir()
    (values / "alpha.yaml").write_text(MINIMAL.replace("homelab", "alpha"))
    (values / "beta.yml").write_text(MINIMAL.replace("homelab", "beta"))
    (values / "_defaults.yaml").write_text("namespace: storage\n")
    out = tmp_path / "output"
    for _ in range(2):  # the second run must not prune the .yml cluster
        result = subprocess.run(
            ["make", "-s", "render", f"VALUES={values}", f"OUTPUT={out}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["alpha", "beta"]
        assert (out / "beta" / "kustomization.yaml").is_file()
