"""Refresh the golden trees: `make golden`, through the real command line (`render --prune`).

Each case renders into its own expected/, so the headers name `values.yaml`, relative to the
case folder (the parent of the output folder, as in the repository's values/ and output/).
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

GOLDEN = Path(__file__).resolve().parent / "golden"


def cases() -> list[Path]:
    return sorted(path for path in GOLDEN.iterdir() if (path / "values.yaml").is_file())


def render(values: Path, output_dir: Path) -> str:
    """`nfs-gitops render --prune VALUES --output-dir OUTPUT_DIR -v`; its stderr, or an
    AssertionError naming the exit code and the output when it fails."""
    args = ["render", "--prune", "-v", str(values), "--output-dir", str(output_dir)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    return result.stderr


def main() -> None:
    for case in cases():
        print(render(case / "values.yaml", case / "expected"), end="")


if __name__ == "__main__":
    main()
