"""make bench: the fleet it renders is valid, its report keeps the shape of BENCHMARKS.md, and it
reaches nfs-gitops and the schema locations only through their owners. No timings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.fleet import write_fleet
from bench.measure import Result, Sample
from bench.profile import IMPORT_ROWS, CProfile, Profile, profile_area
from bench.report import END, START, report, write_markdown
from bench.scenarios import engines, k8s_version
from tests.conftest import ROOT

NFS_GITOPS = str(Path(sys.executable).parent / "nfs-gitops")


def test_fleet_values_are_valid(tmp_path: Path) -> None:
    """make bench renders this fleet; it must stay valid as the schema grows, and use every
    engine the schema lists."""
    listed = engines(NFS_GITOPS)
    paths = write_fleet(tmp_path, 24, listed)
    done = subprocess.run(
        [NFS_GITOPS, "validate", *map(str, paths)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    texts = {path.read_text() for path in paths}
    assert len(texts) == 24
    used = {m for text in texts for m in re.findall(r"engine: (\w+)", text)} | {"flux"}
    assert used == set(listed)


def test_k8s_version_is_the_newest_supported() -> None:
    printed = subprocess.run(
        [NFS_GITOPS, "kubernetes-versions"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert k8s_version(NFS_GITOPS) == printed[-1]


def timed(name: str, *walls: float, target_ms: float | None = None) -> Result:
    samples = [Sample(wall, wall, wall / 10, 30_000) for wall in walls]
    return Result(name, f"nfs-gitops {name}", samples, target_ms=target_ms)


def test_report_has_the_sections_of_benchmarks_md() -> None:
    one = timed("render homelab", 0.1, 0.3, 0.2, target_ms=200)
    slow = timed("render fleet of 1,000", 6.0, target_ms=5000)
    missing = Result("kubeconform", "bin/kubeconform", missing="not in bin/")
    no_helm = Result("reference: helm template", "bin/helm", missing="no chart")
    scaling = [(10, timed("r10", 0.2), timed("c10", 0.1)), (1000, slow, timed("c", 3.0))]
    fleet = CProfile(1000, 2.0, [("yaml", 1.0)], [("f", 3, 1.0, 1.5)])
    profile = Profile({"click": 17.0}, {"click": 16.0, "yaml": 10.5}, fleet)
    text = report([one, slow, missing, no_helm], scaling, 7, 1, profile)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## Results",
        "### Scaling",
        "### Commands",
        "## Profile (measured by make bench)",
    ]
    assert "| render homelab | 200 ms | 100 to 300 ms |" in text
    assert "| <= 5,000 ms, < 100 MB | **no** |" in text
    assert "| kubeconform | - | - | - | - | - | < 100 MB | not measured: not in bin/ |" in text
    assert "| reference: helm template | - | - | - | - | - | - | not measured: no chart |" in text
    assert "- render fleet of 10: `nfs-gitops r10`; check: `nfs-gitops c10`" in text
    assert "| yaml | - | 10.5 |" in text
    assert len([line for line in text.splitlines() if line.startswith("| ")]) == (
        1 + 4 + 1 + 2 + 1 + len(IMPORT_ROWS) + 1 + 1 + 1 + 1
    )


def test_write_markdown_replaces_only_the_marked_section(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    head, tail = "# Benchmarks\n\nby hand\n\n", "\nafter\n"
    path.write_text(f"{head}{START}\nold\n{END}\n{tail}")
    write_markdown(path, "## Results\nnew\n")
    assert path.read_text() == f"{head}{START}\n## Results\nnew\n{END}\n{tail}"


def test_profile_areas_name_subpackages() -> None:
    assert profile_area(str(ROOT / "generator" / "cli.py"), "main") == "generator.cli"
    nested = ROOT / "generator" / "render" / "env.py"
    assert profile_area(str(nested), "environment") == "generator.render.env"
    assert profile_area("~", "<built-in method posix.open>") == "builtin built-in method posix.open"


def test_bench_states_no_schema_location() -> None:
    """The schema locations have one owner (generator.lint); bench imports them."""
    for path in sorted((ROOT / "bench").glob("*.py")):
        assert "{{ .ResourceKind" not in path.read_text(), path
