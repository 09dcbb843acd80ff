"""`make bench`: whole-process timings and peak memory of nfs-gitops, written to BENCHMARKS.md.

Each command runs once to warm the page cache, then --runs times; the table shows the median
wall time, the spread, the median CPU time (user + system, from wait4) and the peak resident
memory (GNU time's %M; without /usr/bin/time, ru_maxrss from wait4, which never reads below this
script's own size). The jobs: bench/measure.py times one process, bench/scenarios.py and
bench/yardsticks.py say what to time, bench/profile.py where the time goes, bench/report.py
writes the Markdown; bench/fleet.py generates the fleets.

    .venv/bin/python -m bench.run                 # what make bench runs
    .venv/bin/python -m bench.run --quick         # one run, fleets of 10 and 100, no file written
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.measure import ROOT, child_environment, scratch
from bench.profile import profile
from bench.report import report, write_markdown
from bench.scenarios import HOMELAB, Bench
from bench.yardsticks import helm_template, kubeconform


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
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
    parser.add_argument(
        "--charts",
        default=os.environ.get("E2E_CHARTS") or None,
        help="folder of chart archives for the helm template row (default: $E2E_CHARTS)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.sizes, args.no_write = 1, "10,100", True
    args.sizes = sorted({int(size) for size in args.sizes.split(",")})
    if not Path(args.nfs_gitops).is_file():
        parser.error(f"{args.nfs_gitops} not found; run make venv")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    with scratch() as tmp:
        child_environment(tmp)
        bench = Bench(args.nfs_gitops, args.runs, args.warmup, args.sizes, tmp)
        print(
            f"nfs-gitops bench: {args.runs} runs after {args.warmup} warm-up, in {tmp}", flush=True
        )
        bench.reference()
        tree = bench.one_cluster()
        helm_template(bench, tree, args.charts)
        last: tuple[Path, Path] | None = None
        for size in args.sizes:
            last = bench.fleet(size)
        if last is not None:
            kubeconform(bench, last[1], args.sizes[-1])
        found = None
        if not args.no_profile:
            fleet = last[0] if last else None
            found = profile(sys.executable, HOMELAB, bench.fresh("imports"), fleet, tmp)
        text = report(bench.results, bench.scaling, args.runs, args.warmup, found)
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
