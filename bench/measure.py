"""Whole-process timing: run a command to its end and read its wall time, CPU time and peak memory.

Every figure of `make bench` is one whole process, as pre-commit and CI run it: interpreter
start, imports, work, exit. A Result holds the samples of one benchmark and says whether it met
its target; the scenarios decide what to run, the report how to show it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# The checkout: every timed process runs here, as a user runs nfs-gitops from the repository.
ROOT = Path(__file__).resolve().parent.parent

# The targets on a 2-core machine.
TARGET_ONE_MS = 200
TARGET_FLEET_MS = 5000
TARGET_RSS_MB = 100
FLEET_TARGET_SIZE = 1000

# Rows that time something other than nfs-gitops, to read the others by; they have no target.
YARDSTICK_PREFIXES = ("reference:", "floor:")

# The environment of every timed process, set by child_environment().
CHILD_ENV: dict[str, str] = {}

# GNU time reports the peak memory of the command alone. The wait4 figure of a process started
# from this script cannot go below this script's own size: the child starts as a copy of it.
GNU_TIME = "/usr/bin/time"


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

    @property
    def yardstick(self) -> bool:
        return self.name.startswith(YARDSTICK_PREFIXES)

    def verdict(self) -> str:
        if self.missing:
            return "not measured"
        if self.yardstick:
            return "-"
        checks = [self.rss_mb < TARGET_RSS_MB]
        if self.target_ms is not None:
            checks.append(self.wall_ms <= self.target_ms)
        return "yes" if all(checks) else "**no**"


def child_environment(tmp: Path) -> None:
    """Python as users run it, writing bytecode (the warm-up run compiles the package and the
    templates once), into a folder of the run, not the checkout; helm's cache and config there
    too, so nothing outside the run's folder is touched."""
    CHILD_ENV.clear()
    CHILD_ENV.update(os.environ)
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        CHILD_ENV[name] = str(tmp / "helm" / name.lower())


def run_once(argv: Sequence[str], expect: int = 0) -> Sample:
    """Run argv to completion; its wall time and CPU time (wait4) and its peak memory."""
    with tempfile.TemporaryDirectory() as scratch_dir:
        err, peak = Path(scratch_dir) / "stderr", Path(scratch_dir) / "maxrss"
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


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """The temporary folder of one bench run, removed after."""
    folder = Path(tempfile.mkdtemp(prefix="nfs-gitops-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
