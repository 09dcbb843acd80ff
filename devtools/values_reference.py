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

    defs = schema.get("$defs", {})

    def resolved(node: dict[str, Any]) -> dict[str, Any]:
        """node with its local $ref (#/$defs/NAME) merged in, node's own keys winning."""
        ref = node.get("$ref", "")
        name = ref.rpartition("/")[2] if ref.startswith("#/$defs/") else ""
        return {**defs[name], **node} if name in defs else node

    def walk(node: dict[str, Any], prefix: str, required: list[str]) -> None:
        for key, raw in node.get("properties", {}).items():
            sub = resolved(raw)
            path = f"{prefix}.{key}" if prefix else key
            items = resolved(sub.get("items", {})) if sub.get("type") == "array" else {}
            if "properties" in items:  # a list of mappings (exports): its keys as key[].sub
                out.append(f"| `{path}` |  | {_text(sub)} |")
                walk(items, f"{path}[]", items.get("required", []))
                continue
            nested = "properties" in sub
            if key in required and "default" not in sub:
                default = "required"
            elif nested:
                default = ""
            else:
                default = "`" + json.dumps(sub.get("default")) + "`"
            out.append(f"| `{path}` | {default} | {_text(sub)} |")
            if nested:
                walk(sub, path, sub.get("required", []))

    walk(schema, "", schema.get("required", []))
    return out


def _text(node: dict[str, Any]) -> str:
    return " ".join(str(node.get("description", "")).split()).replace("|", "\\|")


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
