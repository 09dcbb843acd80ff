"""What a render says it did: removals always (a prune must never be silent), the rest on a
terminal or with --verbose."""

from __future__ import annotations

from pathlib import Path

from generator.output.run import Rendered


def summary_lines(
    result: Rendered, output_dir: Path, *, verbose: bool, interactive: bool
) -> list[str]:
    counts = result.counts
    if result.checked:
        up_to_date = f"{counts['clusters']} cluster(s) up to date in {output_dir}"
        return [up_to_date] if verbose or interactive else []
    lines: list[str] = []
    for tree in result.trees:
        if verbose:
            lines += [f"wrote {tree.tree / name}" for name in tree.write]
        lines += [f"removed {tree.tree / name}" for name in tree.remove]
        if tree.orphan:
            left = " (folder kept: other files remain)" if tree.tree.exists() else ""
            lines.append(
                f"pruned {tree.tree}: {tree.orphan}; {len(tree.remove)} generated file(s) "
                f"removed{left}"
            )
    if verbose or interactive or counts["removed"]:
        lines.append(
            f"{counts['clusters']} cluster(s): {counts['written']} file(s) written, "
            f"{counts['unchanged']} unchanged, {counts['removed']} removed"
        )
    return lines
