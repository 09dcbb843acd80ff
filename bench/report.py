"""The Markdown of a bench run, and writing it into BENCHMARKS.md between the markers.

Sections: Results (machine, one table row per benchmark, notes), Scaling, Commands, and the
Profile (import costs, cProfile areas and functions). The text outside the markers is the
hand-written part of BENCHMARKS.md and is kept as it is.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import subprocess
from pathlib import Path

from bench.measure import FLEET_TARGET_SIZE, ROOT, TARGET_RSS_MB, Result
from bench.profile import IMPORT_ROWS, IMPORT_RUNS, Profile

START = "<!-- bench:start (written by make bench; edit outside these markers) -->"
END = "<!-- bench:end -->"
AREAS_SHOWN = 14
FUNCTIONS_SHOWN = 12

Scaling = list[tuple[int, Result, Result]]  # clusters, its render, its check


def machine() -> list[str]:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return [
        f"- CPUs: {cpus} ({usable} usable by this process){f', {model}' if model else ''}",
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
        f"- nfs-gitops at `{commit or 'unknown'}`, run on {datetime.date.today().isoformat()}",
        f"- load average when the run ended (1, 5, 15 min): {load}",
    ]


def result_row(r: Result) -> str:
    target = (f"<= {r.target_ms:,.0f} ms, " if r.target_ms else "") + f"< {TARGET_RSS_MB} MB"
    if r.yardstick:
        target = "-"
    if r.missing:
        return f"| {r.name} | - | - | - | - | - | {target} | not measured: {r.missing} |"
    return (
        f"| {r.name} | {r.wall_ms:,.0f} ms | {r.spread} ms | {r.cpu_ms:,.0f} ms | "
        f"{r.sys_ms:,.0f} ms | {r.rss_mb:.1f} MB | {target} | {r.verdict()} |"
    )


def scaling_lines(scaling: Scaling) -> list[str]:
    lines = [
        "### Scaling",
        "",
        "| Clusters | Render | per cluster | Check | per cluster | Peak memory (render / check) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, render, check in scaling:
        lines.append(
            f"| {size:,} | {render.wall_ms:,.0f} ms | {render.wall_ms / size:,.1f} ms | "
            f"{check.wall_ms:,.0f} ms | {check.wall_ms / size:,.1f} ms | "
            f"{render.rss_mb:.1f} / {check.rss_mb:.1f} MB |"
        )
    if len(scaling) >= 2:
        (n0, r0, c0), (n1, r1, c1) = scaling[0], scaling[-1]
        slope_r = (r1.wall_ms - r0.wall_ms) / (n1 - n0)
        slope_c = (c1.wall_ms - c0.wall_ms) / (n1 - n0)
        lines += [
            "",
            f"Fitted between {n0:,} and {n1:,} clusters: "
            f"render ~ {r0.wall_ms - slope_r * n0:,.0f} ms + {slope_r:.2f} ms per cluster, "
            f"check ~ {c0.wall_ms - slope_c * n0:,.0f} ms + {slope_c:.2f} ms per cluster.",
        ]
    return lines


def report(
    results: list[Result], scaling: Scaling, runs: int, warmup: int, profile: Profile | None
) -> str:
    lines = [
        "## Results",
        "",
        *machine(),
        f"- {runs} timed runs after {warmup} warm-up run(s) each "
        f"(fleets of {FLEET_TARGET_SIZE:,}: at most 3); wall and CPU are medians, peak memory is "
        "the largest of the runs.",
        "",
        "| Benchmark | Wall (median) | Wall (range) | CPU (median) | of which kernel | Peak memory "
        "| Target | Met |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *[result_row(r) for r in results],
    ]
    notes = [r for r in results if r.note]
    if notes:
        lines += ["", *[f"{r.name}: {r.note}." for r in notes]]
    lines += ["", *scaling_lines(scaling)]
    lines += [
        "",
        "### Commands",
        "",
        "`$TMP` is the temporary folder of the run; `out-N` is a new folder per run.",
        "",
        *[f"- {r.name}: `{r.command}`" for r in results],
    ]
    for size, render, check in scaling:
        if render not in results:
            lines.append(
                f"- render fleet of {size:,}: `{render.command}`; check: `{check.command}`"
            )
    return "\n".join([*lines, "", *(profile_lines(profile) if profile else [])])


def profile_lines(profile: Profile) -> list[str]:
    lines = [
        "## Profile (measured by make bench)",
        "",
        f"Import time, `python -X importtime -m generator ...` (median of {IMPORT_RUNS} runs, ms). "
        "A module's time is cumulative: it includes what it imports that was not loaded yet, so "
        "rows overlap (pathlib inside click, for example); '-' means not imported at all.",
        "",
        "| Module | `--help` | `render homelab` |",
        "|---|---:|---:|",
    ]
    for name in IMPORT_ROWS:
        h, r = profile.help_imports.get(name), profile.render_imports.get(name)
        cells = [f"{x:.1f}" if x is not None else "-" for x in (h, r)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    fleet = profile.fleet
    if fleet is None:
        return lines
    lines += [
        "",
        f"cProfile of one render of the fleet of {fleet.size:,} into an empty folder "
        f"(`python -m cProfile -m generator render ...`; {fleet.total:.2f} s CPU under the "
        "profiler, which slows Python code down several times; the shares are what matters). "
        "Own time per area:",
        "",
        "| Area | Own time | Share |",
        "|---|---:|---:|",
    ]
    for area, seconds in fleet.areas[:AREAS_SHOWN]:
        lines.append(f"| {area} | {seconds:.2f} s | {100 * seconds / fleet.total:.0f}% |")
    lines += [
        "",
        "Top functions by own time:",
        "",
        "| Function | Calls | Own | Cumulative |",
        "|---|---:|---:|---:|",
    ]
    for function, calls, own, cumulative in fleet.functions[:FUNCTIONS_SHOWN]:
        lines.append(f"| `{function}` | {calls:,} | {own:.2f} s | {cumulative:.2f} s |")
    return lines


def write_markdown(path: Path, section: str) -> None:
    """Replace the text between the markers (or the whole generated part) in path."""
    block = f"{START}\n{section.rstrip()}\n{END}\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if START in text and END in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            path.write_text(head + block + ("\n" + tail if tail else ""), encoding="utf-8")
            return
        path.write_text(text.rstrip() + "\n\n" + block, encoding="utf-8")
        return
    path.write_text("# Benchmarks\n\n" + block, encoding="utf-8")
