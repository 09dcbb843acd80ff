"""What make bench runs through nfs-gitops: one cluster, and fleets of 10, 100 and 1,000.

Renders go into a fresh empty folder every run, so every file is written; checks run against an
up-to-date tree, so every file is read and compared. The fleets are generated (bench/fleet.py) in
the run's temporary folder. nfs-gitops is reached only as a program (its console script), so
the bench does not depend on how the package is laid out inside.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.fleet import write_fleet
from bench.measure import (
    CHILD_ENV,
    FLEET_TARGET_SIZE,
    ROOT,
    TARGET_FLEET_MS,
    TARGET_ONE_MS,
    Result,
    measure,
    run_once,
)

HOMELAB = ROOT / "values" / "homelab.yaml"

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


def ask(nfs_gitops: str, *argv: str) -> str:
    """What an nfs-gitops command prints (the schema, the supported versions)."""
    return subprocess.run(
        [nfs_gitops, *argv], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout


def engines(nfs_gitops: str) -> list[str]:
    """The GitOps engines of the values schema, so the fleet uses all of them."""
    schema = json.loads(ask(nfs_gitops, "schema"))
    return [str(e) for e in schema["properties"]["gitops"]["properties"]["engine"]["enum"]]


def k8s_version(nfs_gitops: str) -> str:
    """The newest supported Kubernetes version."""
    return ask(nfs_gitops, "kubernetes-versions").split()[-1]


@dataclass
class Bench:
    nfs_gitops: str
    runs: int
    warmup: int
    sizes: list[int]
    tmp: Path
    results: list[Result] = field(default_factory=list)
    scaling: list[tuple[int, Result, Result]] = field(default_factory=list)
    counter: int = 0

    def fresh(self, stem: str) -> Path:
        """A new, not yet existing output folder."""
        self.counter += 1
        return self.tmp / f"{stem}-{self.counter:03d}"

    def runs_for(self, size: int) -> int:
        """Timed runs for a fleet of size: a fleet of FLEET_TARGET_SIZE takes seconds a run, so
        at most 3."""
        return self.runs if size < FLEET_TARGET_SIZE else max(1, min(self.runs, 3))

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def time(
        self, name: str, argv: Sequence[str], target_ms: float | None = None, runs: int = 0
    ) -> Result:
        """Time one fixed command and add its row."""
        result = Result(name, self.shown(argv), target_ms=target_ms)
        return self.add(measure(result, lambda i: argv, runs or self.runs, self.warmup))

    def shown(self, argv: Sequence[str], fold: Path | None = None) -> str:
        """A command as a user would type it: relative to the repository, $TMP for the temp
        folder, and the values files of a fleet (the files in fold) as one glob."""
        out: list[str] = []
        for arg in argv:
            if fold is not None and Path(arg).parent == fold:
                glob = str(fold / "*.yaml").replace(str(self.tmp), "$TMP")
                if glob not in out:
                    out.append(glob)
                continue
            text = str(arg).replace(str(self.tmp), "$TMP")
            with contextlib.suppress(ValueError):
                text = Path(text).relative_to(ROOT).as_posix()
            out.append(text if re.fullmatch(r"[\w@%+=:,./$*<>-]+", text) else shlex.quote(text))
        return " ".join(out)

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

    def one_cluster(self) -> Path:
        """Time --help and one cluster rendered and checked; the up-to-date folder it used."""
        exe, values = self.nfs_gitops, str(HOMELAB)
        same = self.tmp / "one-same"
        run_once([exe, "render", values, "--output-dir", str(same)])
        count = len(list((same / HOMELAB.stem).iterdir()))

        self.time("`nfs-gitops --help`", [exe, "--help"])

        def render_argv(i: int) -> list[str]:
            return [exe, "render", values, "--output-dir", str(self.fresh("one"))]

        command = self.shown([exe, "render", values, "--output-dir", str(self.tmp / "one-N")])
        name = f"render homelab into an empty folder ({count} files written)"
        result = Result(name, command, target_ms=TARGET_ONE_MS)
        self.add(measure(result, render_argv, self.runs, self.warmup))

        again = [exe, "render", values, "--output-dir", str(same)]
        self.time("render homelab again (nothing to write)", again, TARGET_ONE_MS)
        check = [exe, "render", "--check", values, "--output-dir", str(same)]
        self.time("render --check homelab (up to date)", check, TARGET_ONE_MS)
        return same / HOMELAB.stem

    def fleet(self, size: int) -> tuple[Path, Path]:
        """Generate a fleet, time its render and its check; its values folder and a tree folder."""
        folder = self.tmp / f"fleet-{size}"
        values_dir = folder / "values"
        values = [str(p) for p in write_fleet(values_dir, size, engines(self.nfs_gitops))]
        exe = self.nfs_gitops
        target = TARGET_FLEET_MS if size == FLEET_TARGET_SIZE else None
        runs = self.runs_for(size)

        def render_argv(i: int) -> list[str]:
            return [exe, "render", *values, "--output-dir", str(self.fresh(f"fleet-{size}/out"))]

        shape = [exe, "render", *values, "--output-dir", str(folder / "out-N")]
        name = f"render fleet of {size:,}"
        result = Result(name, self.shown(shape, values_dir), target_ms=target)
        render = measure(result, render_argv, runs, self.warmup)
        out = folder / "out"
        run_once([exe, "render", *values, "--output-dir", str(out)])
        check_argv = [exe, "render", "--check", *values, "--output-dir", str(out)]
        name = f"render --check fleet of {size:,}"
        result = Result(name, self.shown(check_argv, values_dir), target_ms=target)
        check = measure(result, lambda i: check_argv, runs, self.warmup)
        self.scaling.append((size, render, check))
        if size == FLEET_TARGET_SIZE or size == max(self.sizes):
            self.add(render)
            again = [exe, "render", *values, "--output-dir", str(out)]
            name = f"render fleet of {size:,} again (nothing to write)"
            result = Result(name, self.shown(again, values_dir))
            self.add(measure(result, lambda i: again, runs, self.warmup))
            self.add(check)
            self.floor(out, runs)
        return values_dir, out

    def floor(self, out: Path, runs: int) -> None:
        """What creating as many folders and files as a fleet render costs with no nfs-gitops."""
        trees = sorted(tree for tree in out.iterdir() if tree.is_dir())
        files = sum(len(list(tree.iterdir())) for tree in trees)
        argv = [sys.executable, "-c", FLOOR_SCRIPT, str(len(trees)), str(files)]
        name = f"floor: create {len(trees):,} folders and {files:,} files of 1 KB, bare loop"
        script = "<FLOOR_SCRIPT in bench/scenarios.py>"
        command = f"python -c {script} {len(trees)} {files} $TMP/floor-N"

        def floor_argv(i: int) -> list[str]:
            return [*argv, str(self.fresh("floor"))]

        self.add(measure(Result(name, command), floor_argv, runs, self.warmup))


def untimed(argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """One run of argv in the bench's environment, its output kept (to check it, not to time)."""
    return subprocess.run(argv, capture_output=True, check=False, cwd=ROOT, env=CHILD_ENV)
