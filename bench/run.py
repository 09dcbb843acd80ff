"""`make bench`: whole-process timings and peak memory of nfs-gitops, written to BENCHMARKS.md.

Every measurement is one whole `nfs-gitops` process, as pre-commit and CI run it: interpreter
start, imports, work, exit. Each is run once to warm the page cache, then --runs times; the table
shows the median wall time, the spread, the median CPU time (user + system, from wait4) and the
peak resident memory (GNU time's %M; without /usr/bin/time, ru_maxrss from wait4, which never
reads below this script's own size). Renders go into a fresh empty folder every run, so every
file is written; checks run against an up-to-date tree, so every file is read and compared. The
fleets are generated (bench/fleet.py) in a temporary folder that is removed after.

    .venv/bin/python -m bench.run                 # what make bench runs
    .venv/bin/python -m bench.run --quick         # one run, fleets of 10 and 100, no file written
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import pstats
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.fleet import write_fleet

# The schema locations have one owner; bench times kubeconform through the same ones.
from generator.lint import CRD_SCHEMA_LOCATION, K8S_SCHEMA_LOCATION

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:start (written by make bench; edit outside these markers) -->"
END = "<!-- bench:end -->"

# The environment of every timed process: Python as users run it, writing bytecode (the warm-up
# run compiles the package and the templates once), into a folder of the run, not the checkout.
CHILD_ENV: dict[str, str] = {}

# The file system's share of a fleet render: mkdir each folder, create and write each file.
FLOOR_SCRIPT = """
import os, sys
trees, files, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.mkdir(root)
for tree in range(trees):
    folder = os.path.join(root, str(tree))
    os.mkdir(folder)
    for index in range(files // trees + (tree < files % trees)):
        fd = os.open(os.path.join(folder, str(index)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"x" * 1024)
        os.close(fd)
"""

# The targets on a 2-core machine.
TARGET_ONE_MS = 200
TARGET_FLEET_MS = 5000
TARGET_RSS_MB = 100
FLEET_TARGET_SIZE = 1000

# The newest supported Kubernetes version, when the values schema does not list them.
FALLBACK_K8S_VERSION = "1.37"


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system of the child
    sys: float  # seconds, system (kernel) part of cpu
    rss_kb: int  # peak resident set of the child


@dataclass
class Result:
    name: str
    command: str  # as shown, with $TMP for the temporary folder
    samples: list[Sample] = field(default_factory=list)
    target_ms: float | None = None
    note: str = ""
    missing: str = ""  # why it could not be measured

    @property
    def wall_ms(self) -> float:
        return 1000 * statistics.median(s.wall for s in self.samples)

    @property
    def cpu_ms(self) -> float:
        return 1000 * statistics.median(s.cpu for s in self.samples)

    @property
    def sys_ms(self) -> float:
        return 1000 * statistics.median(s.sys for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_kb for s in self.samples) / 1024

    @property
    def spread(self) -> str:
        walls = [1000 * s.wall for s in self.samples]
        return f"{min(walls):,.0f} to {max(walls):,.0f}"

    def verdict(self) -> str:
        if self.missing:
            return "not measured"
        if self.name.startswith(("reference:", "floor:")):
            return "-"
        checks = [self.rss_mb < TARGET_RSS_MB]
        if self.target_ms is not None:
            checks.append(self.wall_ms <= self.target_ms)
        return "yes" if all(checks) else "**no**"


# GNU time reports the peak memory of the command alone. The wait4 figure of a process started
# from this script cannot go below this script's own size: the child starts as a copy of it.
GNU_TIME = "/usr/bin/time"


def run_once(argv: Sequence[str], expect: int = 0) -> Sample:
    """Run argv to completion; its wall time and CPU time (wait4) and its peak memory."""
    with tempfile.TemporaryDirectory() as scratch:
        err, peak = Path(scratch) / "stderr", Path(scratch) / "maxrss"
        timed = Path(GNU_TIME).is_file()
        command = [GNU_TIME, "-f", "%M", "-o", str(peak), *argv] if timed else list(argv)
        with err.open("wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=ROOT,
                env=CHILD_ENV,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != expect:
            message = err.read_bytes().decode(errors="replace")[-2000:]
            raise SystemExit(f"bench: {shlex.join(argv)} exited {proc.returncode}:\n{message}")
        rss = int(peak.read_text().split()[-1]) if timed else usage.ru_maxrss
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_stime, rss)


def measure(
    result: Result,
    argv_for: Callable[[int], Sequence[str]],
    runs: int,
    warmup: int,
    expect: int = 0,
) -> Result:
    """Warm up, then time runs runs; argv_for(i) gives the command of run i (-1.. for warm-ups)."""
    for i in range(warmup):
        run_once(argv_for(-1 - i), expect)
    for i in range(runs):
        result.samples.append(run_once(argv_for(i), expect))
    print(
        f"  {result.name:<44} {result.wall_ms:>9,.0f} ms  cpu {result.cpu_ms:>8,.0f} ms  "
        f"rss {result.rss_mb:>6.1f} MB",
        flush=True,
    )
    return result


def shown(argv: Sequence[str], tmp: Path, fold: Path | None = None) -> str:
    """A command as a user would type it: relative to the repository, $TMP for the temp folder,
    and the values files of a fleet (the files in fold) as one glob."""
    out: list[str] = []
    for arg in argv:
        if fold is not None and Path(arg).parent == fold:
            glob = str(fold / "*.yaml").replace(str(tmp), "$TMP")
            if glob not in out:
                out.append(glob)
            continue
        text = str(arg).replace(str(tmp), "$TMP")
        with contextlib.suppress(ValueError):
            text = Path(text).relative_to(ROOT).as_posix()
        out.append(text if re.fullmatch(r"[\w@%+=:,./$*<>-]+", text) else shlex.quote(text))
    return " ".join(out)


def engines() -> list[str]:
    """The GitOps engines the generator renders, so the fleet uses all of them."""
    from generator.schema import engines as schema_engines

    return list(schema_engines())


def k8s_version() -> str:
    from generator.schema import schema

    versions = schema()["properties"].get("kubernetesVersion", {}).get("enum")
    return str(versions[-1]) if versions else FALLBACK_K8S_VERSION


def resource_files(tree: Path) -> list[Path]:
    """The files of a tree that hold Kubernetes objects (every document has apiVersion and kind)."""
    found = []
    for path in sorted(tree.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs = [d for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if d]
        if docs and all(isinstance(d, dict) and {"apiVersion", "kind"} <= d.keys() for d in docs):
            found.append(path)
    return found


@dataclass
class Bench:
    nfs_gitops: str
    runs: int
    warmup: int
    sizes: list[int]
    tmp: Path
    results: list[Result] = field(default_factory=list)
    scaling: list[tuple[int, Result, Result]] = field(default_factory=list)
    kubeconform_note: str = ""
    counter: int = 0

    def fresh(self, stem: str) -> Path:
        """A new, not yet existing output folder."""
        self.counter += 1
        return self.tmp / f"{stem}-{self.counter:03d}"

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def reference(self) -> None:
        """How fast this machine is right now: Python starting, and a fixed pure-Python loop.
        Compare these rows across runs before comparing the others."""
        start = [sys.executable, "-c", "pass"]
        result = Result("reference: `python -c pass` (interpreter start)", "python -c pass")
        self.add(measure(result, lambda i: start, self.runs, self.warmup))
        loop = [sys.executable, "-c", "for i in range(10**7): pass"]
        command = "python -c 'for i in range(10**7): pass'"
        result = Result("reference: a loop of 10^7 in Python", command)
        self.add(measure(result, lambda i: loop, self.runs, self.warmup))

    def one_cluster(self) -> None:
        exe, values = self.nfs_gitops, str(ROOT / "values" / "homelab.yaml")
        same = self.tmp / "one-same"
        run_once([exe, "render", values, "--output-dir", str(same)])
        count = len(list((same / "homelab").iterdir()))

        help_argv = [exe, "--help"]
        name = "`nfs-gitops --help`"
        self.add(
            measure(
                Result(name, shown(help_argv, self.tmp)),
                lambda i: help_argv,
                self.runs,
                self.warmup,
            )
        )

        def render_argv(i: int) -> list[str]:
            return [exe, "render", values, "--output-dir", str(self.fresh("one"))]

        command = shown([exe, "render", values, "--output-dir", str(self.tmp / "one-N")], self.tmp)
        name = f"render homelab into an empty folder ({count} files written)"
        result = Result(name, command, target_ms=TARGET_ONE_MS)
        self.add(measure(result, render_argv, self.runs, self.warmup))

        again = [exe, "render", values, "--output-dir", str(same)]
        name = "render homelab again (nothing to write)"
        result = Result(name, shown(again, self.tmp), target_ms=TARGET_ONE_MS)
        self.add(measure(result, lambda i: again, self.runs, self.warmup))

        check = [exe, "render", "--check", values, "--output-dir", str(same)]
        name = "render --check homelab (up to date)"
        result = Result(name, shown(check, self.tmp), target_ms=TARGET_ONE_MS)
        self.add(measure(result, lambda i: check, self.runs, self.warmup))

    def fleet(self, size: int) -> tuple[Path, Path]:
        """Generate a fleet, time its render and its check; its values folder and a tree folder."""
        folder = self.tmp / f"fleet-{size}"
        values = [str(p) for p in write_fleet(folder / "values", size, engines())]
        exe = self.nfs_gitops
        target = TARGET_FLEET_MS if size == FLEET_TARGET_SIZE else None
        runs = self.runs if size < FLEET_TARGET_SIZE else max(1, min(self.runs, 3))

        def render_argv(i: int) -> list[str]:
            return [exe, "render", *values, "--output-dir", str(self.fresh(f"fleet-{size}/out"))]

        shape = [exe, "render", *values, "--output-dir", str(folder / "out-N")]
        render = measure(
            Result(
                f"render fleet of {size:,}",
                shown(shape, self.tmp, folder / "values"),
                target_ms=target,
            ),
            render_argv,
            runs,
            self.warmup,
        )
        out = folder / "out"
        run_once([exe, "render", *values, "--output-dir", str(out)])
        check_argv = [exe, "render", "--check", *values, "--output-dir", str(out)]
        check = measure(
            Result(
                f"render --check fleet of {size:,}",
                shown(check_argv, self.tmp, folder / "values"),
                target_ms=target,
            ),
            lambda i: check_argv,
            runs,
            self.warmup,
        )
        self.scaling.append((size, render, check))
        if size == FLEET_TARGET_SIZE or size == max(self.sizes):
            self.add(render)
            again = [exe, "render", *values, "--output-dir", str(out)]
            name = f"render fleet of {size:,} again (nothing to write)"
            result = Result(name, shown(again, self.tmp, folder / "values"))
            self.add(measure(result, lambda i: again, runs, self.warmup))
            self.add(check)
            self.floor(out, runs)
        return folder / "values", out

    def floor(self, out: Path, runs: int) -> None:
        """What creating as many folders and files as a fleet render costs with no nfs-gitops."""
        trees = sorted(tree for tree in out.iterdir() if tree.is_dir())
        files = sum(len(list(tree.iterdir())) for tree in trees)
        argv = [sys.executable, "-c", FLOOR_SCRIPT, str(len(trees)), str(files)]
        name = f"floor: create {len(trees):,} folders and {files:,} files of 1 KB, bare loop"
        command = f"python -c <FLOOR_SCRIPT in bench/run.py> {len(trees)} {files} $TMP/floor-N"

        def floor_argv(i: int) -> list[str]:
            return [*argv, str(self.fresh("floor"))]

        self.add(measure(Result(name, command), floor_argv, runs, self.warmup))

    def kubeconform(self, out: Path, size: int) -> None:
        binary = ROOT / "bin" / "kubeconform"
        name = f"kubeconform -strict over fleet of {size:,}"
        if not binary.is_file():
            self.add(
                Result(
                    name, "bin/kubeconform", missing="kubeconform not found in bin/; run make tools"
                )
            )
            return
        k8s, crd = K8S_SCHEMA_LOCATION, CRD_SCHEMA_LOCATION
        schemas = ROOT / k8s.split("{{", 1)[0]
        if not schemas.is_dir():
            self.add(
                Result(
                    name,
                    "bin/kubeconform",
                    missing=f"no offline schemas in {schemas}; run make schemas",
                )
            )
            return
        trees = sorted(tree for tree in out.iterdir() if tree.is_dir())
        files = [str(f) for tree in trees for f in resource_files(tree)]
        version = k8s_version()
        argv = [
            str(binary), "-strict", "-summary", "-output", "json",
            "-kubernetes-version", f"{version}.0",
            "-schema-location", k8s, "-schema-location", crd, *files,
        ]  # fmt: skip
        command = shown(argv[:11], self.tmp) + f" $TMP/fleet-{size}/out/*/<resource files>"
        # One untimed run first: its summary, and a clear row instead of a crash when it fails.
        trial = subprocess.run(argv, capture_output=True, check=False, cwd=ROOT, env=CHILD_ENV)
        try:
            summary = json.loads(trial.stdout)["summary"]
        except (ValueError, KeyError):
            summary = None
        if trial.returncode != 0 or summary is None:
            why = " ".join(trial.stderr.decode(errors="replace").split())[:200]
            problems = f"{summary}" if summary else why or "no output"
            missing = f"kubeconform exited {trial.returncode}: {problems}"
            self.add(Result(name, command, missing=missing))
            return
        result = measure(
            Result(name, command),
            lambda i: argv,
            self.runs if size < FLEET_TARGET_SIZE else 3,
            self.warmup,
        )
        result.note = (
            f"{len(files):,} files, {sum(summary.values()):,} resources: "
            f"{summary['valid']:,} valid, {summary['invalid']} invalid, "
            f"{summary['errors']} errors, {summary['skipped']} skipped (Kubernetes {version})"
        )
        self.kubeconform_note = result.note
        self.add(result)


# --- profile --------------------------------------------------------------------------------


# Modules whose import cost the profile section shows (each at whatever depth it is imported).
IMPORTS_SHOWN = [
    "click", "pathlib", "yaml", "jinja2", "jsonschema", "typing", "json", "tempfile",
    "ipaddress", "difflib", "importlib.resources",
]  # fmt: skip
ALL_IMPORTS = "all imports"
OWN_MODULES = "generator.* (own code, self time)"


def import_costs(exe_python: str, argv: Sequence[str], runs: int = 3) -> dict[str, float]:
    """Median import time (ms) per module of IMPORTS_SHOWN (cumulative: with what it imports
    that was not loaded yet), of the package's own modules, and of all imports together, from
    `python -X importtime`."""
    per: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run(
            [exe_python, "-X", "importtime", "-m", "generator", *argv],
            capture_output=True, text=True, cwd=ROOT, check=False, env=CHILD_ENV,
        )  # fmt: skip
        found: dict[str, float] = {ALL_IMPORTS: 0.0, OWN_MODULES: 0.0}
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$", line)
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
        return "generator." + path.stem
    if "<frozen" in filename or "python3" in filename:
        return "stdlib " + path.stem.strip("<>").replace("frozen ", "")
    return path.name


def cprofile(
    python: str, argv: Sequence[str], tmp: Path
) -> tuple[list[tuple[str, float]], list[tuple[str, int, float, float]], float]:
    """cProfile one process: CPU seconds per area, top functions by own time, and total."""
    out = tmp / "profile.out"
    subprocess.run(
        [python, "-m", "cProfile", "-o", str(out), "-m", "generator", *argv],
        stdout=subprocess.DEVNULL, check=True, cwd=ROOT, env=CHILD_ENV,
    )  # fmt: skip
    stats: Any = pstats.Stats(str(out))
    areas: dict[str, float] = {}
    rows = []
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        area = profile_area(filename, function)
        areas[area] = areas.get(area, 0.0) + tottime
        where = f"{Path(filename).name}:{line}" if filename != "~" else ""
        rows.append((f"{where}({function})" if where else function, ncalls, tottime, cumtime))
    rows.sort(key=lambda row: -row[2])
    top_areas = sorted(areas.items(), key=lambda item: -item[1])
    return top_areas, rows, stats.total_tt


# --- report ----------------------------------------------------------------------------------


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


def report(bench: Bench, profile: list[str]) -> str:
    lines = [
        "## Results",
        "",
        *machine(),
        f"- {bench.runs} timed runs after {bench.warmup} warm-up run(s) each "
        f"(fleets of {FLEET_TARGET_SIZE:,}: at most 3); wall and CPU are medians, peak memory is "
        "the largest of the runs.",
        "",
        "| Benchmark | Wall (median) | Wall (range) | CPU (median) | of which kernel | Peak memory "
        "| Target | Met |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in bench.results:
        target = (f"<= {r.target_ms:,.0f} ms, " if r.target_ms else "") + f"< {TARGET_RSS_MB} MB"
        if r.verdict() == "-":
            target = "-"
        if r.missing:
            lines.append(f"| {r.name} | - | - | - | - | - | {target} | not measured: {r.missing} |")
            continue
        lines.append(
            f"| {r.name} | {r.wall_ms:,.0f} ms | {r.spread} ms | {r.cpu_ms:,.0f} ms | "
            f"{r.sys_ms:,.0f} ms | "
            f"{r.rss_mb:.1f} MB | {target} | {r.verdict()} |"
        )
    notes = [r for r in bench.results if r.note]
    if notes:
        lines.append("")
        lines += [f"{r.name}: {r.note}." for r in notes]
    lines += [
        "",
        "### Scaling",
        "",
        "| Clusters | Render | per cluster | Check | per cluster | Peak memory (render / check) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, render, check in bench.scaling:
        lines.append(
            f"| {size:,} | {render.wall_ms:,.0f} ms | {render.wall_ms / size:,.1f} ms | "
            f"{check.wall_ms:,.0f} ms | {check.wall_ms / size:,.1f} ms | "
            f"{render.rss_mb:.1f} / {check.rss_mb:.1f} MB |"
        )
    if len(bench.scaling) >= 2:
        (n0, r0, c0), (n1, r1, c1) = bench.scaling[0], bench.scaling[-1]
        slope_r = (r1.wall_ms - r0.wall_ms) / (n1 - n0)
        slope_c = (c1.wall_ms - c0.wall_ms) / (n1 - n0)
        lines += [
            "",
            f"Fitted between {n0:,} and {n1:,} clusters: "
            f"render ~ {r0.wall_ms - slope_r * n0:,.0f} ms + {slope_r:.2f} ms per cluster, "
            f"check ~ {c0.wall_ms - slope_c * n0:,.0f} ms + {slope_c:.2f} ms per cluster.",
        ]
    lines += [
        "",
        "### Commands",
        "",
        "`$TMP` is the temporary folder of the run; `out-N` is a new folder per run.",
        "",
    ]
    for r in bench.results:
        lines.append(f"- {r.name}: `{r.command}`")
    for size, render, check in bench.scaling:
        if render not in bench.results:
            lines.append(
                f"- render fleet of {size:,}: `{render.command}`; check: `{check.command}`"
            )
    return "\n".join([*lines, "", *profile])


def profile_section(bench: Bench, python: str, values: Path | None) -> list[str]:
    lines = ["## Profile (measured by make bench)", ""]
    help_costs = import_costs(python, ["--help"])
    homelab = str(ROOT / "values" / "homelab.yaml")
    render_costs = import_costs(
        python, ["render", homelab, "--output-dir", str(bench.fresh("imports"))]
    )
    lines += [
        "Import time, `python -X importtime -m generator ...` (median of 3 runs, ms). A module's "
        "time is cumulative: it includes what it imports that was not loaded yet, so rows "
        "overlap (pathlib inside click, for example); '-' means not imported at all.",
        "",
        "| Module | `--help` | `render homelab` |",
        "|---|---:|---:|",
    ]
    for name in [*IMPORTS_SHOWN, OWN_MODULES, ALL_IMPORTS]:
        h, r = help_costs.get(name), render_costs.get(name)
        cells = [f"{x:.1f}" if x is not None else "-" for x in (h, r)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    if values is not None:
        size = len(list(values.glob("*.yaml")))
        argv = [
            "render",
            *[str(p) for p in sorted(values.glob("*.yaml"))],
            "--output-dir",
            str(bench.fresh("profile")),
        ]
        areas, rows, total = cprofile(python, argv, bench.tmp)
        lines += [
            "",
            f"cProfile of one render of the fleet of {size:,} into an empty folder "
            f"(`python -m cProfile -m generator render ...`; {total:.2f} s CPU under the profiler, "
            "which slows Python code down several times; the shares are what matters). "
            "Own time per area:",
            "",
            "| Area | Own time | Share |",
            "|---|---:|---:|",
        ]
        for area, seconds in areas[:14]:
            lines.append(f"| {area} | {seconds:.2f} s | {100 * seconds / total:.0f}% |")
        lines += [
            "",
            "Top functions by own time:",
            "",
            "| Function | Calls | Own | Cumulative |",
            "|---|---:|---:|---:|",
        ]
        for function, calls, own, cumulative in rows[:12]:
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


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="nfs-gitops-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per benchmark (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("--sizes", default="10,100,1000", help="fleet sizes (default 10,100,1000)")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "BENCHMARKS.md", help="file to update"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave the file alone")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile section")
    parser.add_argument(
        "--quick", action="store_true", help="1 run, fleets of 10 and 100, --no-write"
    )
    parser.add_argument(
        "--nfs-gitops",
        default=str(Path(sys.executable).parent / "nfs-gitops"),
        help="the console script to time (default: the one beside this Python)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.sizes, args.no_write = 1, "10,100", True
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if not Path(args.nfs_gitops).is_file():
        parser.error(f"{args.nfs_gitops} not found; run make venv")

    with scratch() as tmp:
        CHILD_ENV.clear()
        CHILD_ENV.update(os.environ)
        CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        bench = Bench(args.nfs_gitops, args.runs, args.warmup, sizes, tmp)
        print(
            f"nfs-gitops bench: {args.runs} runs after {args.warmup} warm-up, in {tmp}", flush=True
        )
        bench.reference()
        bench.one_cluster()
        last: tuple[Path, Path] | None = None
        for size in sizes:
            last = bench.fleet(size)
        if last is not None:
            bench.kubeconform(last[1], sizes[-1])
        profile = (
            []
            if args.no_profile
            else profile_section(bench, sys.executable, last[0] if last else None)
        )
        text = report(bench, profile)
    print()
    print(text)
    if not args.no_write:
        write_markdown(args.output, text)
        print(f"\nwritten to {args.output}")
    missed = [r.name for r in bench.results if r.verdict() == "**no**"]
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
