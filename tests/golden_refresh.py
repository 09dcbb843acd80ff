"""Refresh the golden trees: `make golden` (run from the repository root).

Each case renders into its own expected/, so the headers name `values.yaml`, relative to the
case folder (the parent of the output folder, as in the repository's values/ and output/).
"""

from __future__ import annotations

from pathlib import Path

from generator.output.plan import plan
from generator.output.write import apply_changes

GOLDEN = Path("tests/golden")


def cases() -> list[Path]:
    return sorted(path for path in GOLDEN.iterdir() if (path / "values.yaml").is_file())


def main() -> None:
    for case in cases():
        for tree in plan([case / "values.yaml"], case / "expected"):
            apply_changes(tree)
            print(f"{tree.tree}: {len(tree.write)} written, {len(tree.remove)} removed")


if __name__ == "__main__":
    main()
