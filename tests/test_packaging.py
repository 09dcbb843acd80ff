"""The built wheel carries templates and schema, and works outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import MINIMAL, ROOT


def test_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    pip_wheel = ["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    subprocess.run(
        [sys.executable, "-m", *pip_wheel, str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("nfs_gitops-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.j2"))
    assert templates, "the repository has templates"
    for template in templates:
        assert f"generator/{template}" in names, f"{template} is not in the wheel"
    assert "generator/values.schema.json" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "homelab.yaml").write_text(MINIMAL)
    result = subprocess.run(
        [sys.executable, "-c", "import generator, sys; print(generator.__file__)"],
        env={"PYTHONPATH": str(site)},
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith(str(site)), "the test must run the wheel's copy"
    rendered = subprocess.run(
        [sys.executable, "-m", "generator", "render", "homelab.yaml", "--output-dir", "out"],
        env={"PYTHONPATH": str(site)},
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert rendered.returncode == 0, rendered.stderr
    golden = ROOT / "tests" / "golden" / "flux-minimal" / "expected" / "homelab"
    out = work / "out" / "homelab"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in golden.iterdir())
    for path in golden.iterdir():
        # Same bytes but for the values file named in the header.
        assert (out / path.name).read_text().split("\n", 1)[1] == path.read_text().split("\n", 1)[1]
