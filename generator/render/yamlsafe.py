"""Turn any JSON value into YAML text that can only ever mean that value.

Every value that reaches a template goes through here. Strings that could be read as anything
but themselves (numbers, booleans, nulls, text with ':' or '#', line breaks, non-ASCII) are
emitted double-quoted with every character outside printable ASCII escaped, so no value can
add a key, a line or a document to the output.
"""

from __future__ import annotations

import re
from typing import Any

# Plain (unquoted) only when no YAML 1.1 or 1.2 parser can read it as anything but a string.
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_RESERVED = {
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "nan", "inf",
}  # fmt: skip


class YamlText(str):
    """Text already made YAML-safe; templates pass it through untouched."""


def quote(text: str) -> str:
    """A YAML double-quoted scalar in printable ASCII."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar(value: Any) -> str:
    """One scalar as YAML: booleans, integers and null as themselves, strings safely."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        return quote(value)
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def block(value: Any, indent: int = 0) -> str:
    """Text to put right after `key:` or `-`: ` scalar`, or a newline and an indented block.

    Templates write `key:{{ value | block(4) }}`, with 4 the indent of the block's lines.
    """
    if isinstance(value, dict) and value:
        pad = " " * indent
        return "".join(
            f"\n{pad}{scalar(str(key))}:{block(item, indent + 2)}" for key, item in value.items()
        )
    if isinstance(value, list) and value:
        pad = " " * indent
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                # "- " then the mapping's first key on the same line, the rest aligned under it.
                lines.append(f"\n{pad}- " + block(item, indent + 2).lstrip("\n")[indent + 2 :])
            else:
                lines.append(f"\n{pad}-{block(item, indent + 2)}")
        return "".join(lines)
    if isinstance(value, dict):
        return " {}"
    if isinstance(value, list):
        return " []"
    return " " + scalar(value)
