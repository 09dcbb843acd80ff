"""Where the time of one nfs-gitops process goes: import costs (`python -X importtime`) and a
cProfile of one fleet render, read with pstats. Figures only; bench/report.py shows them.
"""

from __future__ import annotations

import pstats
import re
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import CHILD_ENV, ROOT

# Modules whose import cost the profile section shows (each at whatever depth it is imported).
IMPORTS_SHOWN = [
    "click", "pathlib", "yaml", "jinja2", "jsonschema", "typing", "json", "tempfile",
    "ipaddress", "difflib", "importlib.resources",
]  # fmt: skip
ALL_IMPORTS = "all imports"
OWN_MODULES = "generator.* (own code, self time)"
IMPORT_ROWS = [*IMPORTS_SHOWN, OWN_MODULES, ALL_IMPORTS]
IMPORT_RUNS = 3

# One line of `python -X importtime`: self and cumulative microseconds, indented module name.
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")

# One profiled function: where (file:line(function) or a builtin), calls, own and cumulative s.
FunctionRow = tuple[str, int, float, float]


@dataclass
class CProfile:
    """cProfile of one process: CPU seconds per area, functions by own time, and the total."""

    size: int  # clusters rendered
    total: float
    areas: list[tuple[str, float]]
    functions: list[FunctionRow]


@dataclass
class Profile:
    help_imports: dict[str, float] = field(default_factory=dict)  # ms per IMPORT_ROWS name
    render_imports: dict[str, float] = field(default_factory=dict)
    fleet: CProfile | None = None


def import_costs(python: str, argv: Sequence[str], runs: int = IMPORT_RUNS) -> dict[str, float]:
    """Median import time (ms) per module of IMPORTS_SHOWN (cumulative: with what it imports
    that was not loaded yet), of the package's own modules, and of all imports together, from
    `python -X importtime`."""
    per: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run(
            [python, "-X", "importtime", "-m", "generator", *argv],
            capture_output=True, text=True, cwd=ROOT, check=False, env=CHILD_ENV,
        )  # fmt: skip
        found: dict[str, float] = {ALL_IMPORTS: 0.0, OWN_MODULES: 0.0}
        for line in proc.stderr.splitlines():
            match = IMPORT_LINE.match(line)
            if not match:
                continue
            own, cumulative, indent, name = match.groups()
            if not indent:
                found[ALL_IMPORTS] += int(cumulative) / 1000
            if name == "generator" or name.startswith("generator."):
                found[OWN_MODULES] += int(own) / 1000
            if name in IMPORTS_SHOWN:
                found.setdefault(name, int(cumulative) / 1000)
        for name, value in found.items():
            per.setdefault(name, []).append(value)
    return {name: statistics.median(times) for name, times in per.items()}


def profile_area(filename: str, function: str) -> str:
    """Which part of the program a profiled function belongs to."""
    if filename == "~":
        return f"builtin {function.split(' of ')[0].strip('{}<>')}"
    if filename.endswith(".j2"):
        return "templates (compiled Jinja2)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if "generator" in parts:
        # generator.<module>, or generator.<subpackage>.<module> in a package of subpackages
        inside = parts[len(parts) - parts[::-1].index("generator") :]
        return ".".join(["generator", *inside[:-1], path.stem])
    if "<frozen" in filename or "python3" in filename:
        return "stdlib " + path.stem.strip("<>").replace("frozen ", "")
    return path.name


def cprofile(python: str, argv: Sequence[str], out: Path, size: int) -> CProfile:
    """cProfile one `python -m generator` process; its stats written to out."""
    subprocess.run(
        [python, "-m", "cProfile", "-o", str(out), "-m", "generator", *argv],
        stdout=subprocess.DEVNULL, check=True, cwd=ROOT, env=CHILD_ENV,
    )  # fmt: skip
    stats: Any = pstats.Stats(str(out))
    areas: dict[str, float] = {}
    rows: list[FunctionRow] = []
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        area = profile_area(filename, function)
        areas[area] = areas.get(area, 0.0) + tottime
        where = f"{Path(filename).name}:{line}" if filename != "~" else ""
        rows.append((f"{where}({function})" if where else function, ncalls, tottime, cumtime))
    rows.sort(key=lambda row: -row[2])
    top_areas = sorted(areas.items(), key=lambda item: -item[1])
    return CProfile(size, stats.total_tt, top_areas, rows)


def profile(python: str, homelab: Path, fresh: Path, fleet: Path | None, tmp: Path) -> Profile:
    """Import costs of --help and of one render of homelab (into fresh), and a cProfile of one
    render of the fleet whose values files are in the folder fleet, when given."""
    result = Profile(
        help_imports=import_costs(python, ["--help"]),
        render_imports=import_costs(python, ["render", str(homelab), "--output-dir", str(fresh)]),
    )
    if fleet is not None:
        values = [str(p) for p in sorted(fleet.glob("*.yaml"))]
        argv = ["render", *values, "--output-dir", str(tmp / "profile-out")]
        result.fleet = cprofile(python, argv, tmp / "profile.out", len(values))
    return result
