"""Write the values reference table of README.md from the schema: `make docs`.

The schema is the one source of truth for keys, defaults and descriptions; the README table is
generated between two markers and a test fails when it is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

README = Path("README.md")
START = "<!-- values-reference:start (make docs) -->"
END = "<!-- values-reference:end -->"


def rows(schema: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def walk(node: dict[str, Any], prefix: str, required: list[str]) -> None:
        for key, sub in node.get("properties", {}).items():
            path = f"{prefix}.{key}" if prefix else key
            nested = "properties" in sub
            if key in required and "default" not in sub:
                default = "required"
            elif nested:
                default = ""
            else:
                default = "`" + json.dumps(sub.get("default")) + "`"
            text = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
            out.append(f"| `{path}` | {default} | {text} |")
            if nested:
                walk(sub, path, sub.get("required", []))

    walk(schema, "", schema.get("required", []))
    return out


def table(schema: dict[str, Any]) -> str:
    lines = ["| key | default | meaning |", "|---|---|---|", *rows(schema)]
    return "\n".join([START, *lines, END])


def refreshed(readme: str, schema: dict[str, Any]) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return head + table(schema) + tail


def main() -> int:
    schema = json.loads(Path("generator/values.schema.json").read_text())
    text = README.read_text()
    if START not in text or END not in text:
        print(f"{README}: markers {START!r} ... {END!r} not found", file=sys.stderr)
        return 1
    README.write_text(refreshed(text, schema))
    return 0


if __name__ == "__main__":
    sys.exit(main())
