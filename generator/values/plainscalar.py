"""Whether a text survives being written unquoted into YAML and read back, as Helm reads it.

The upstream chart writes several values raw into its templates (`value: {{ .Values.nfs.path }}`),
and Helm reads the result as YAML 1.1 the way Go does (sigs.k8s.io/yaml over go-yaml v2). A value
is safe there only when `key: VALUE` reads back as the identical string. PyYAML's SafeLoader
implements YAML 1.1 plain-scalar resolution; Go also reads y, Y, n, N as booleans, 1e3 as a float
and 0o17 as an integer, which PyYAML keeps as text. Refusing what either reads differently is
the safe side: such a value cannot reach the cluster unchanged through the chart.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# go-yaml v2's resolve table: booleans, nulls and special floats, in every spelling it knows.
GO_SPECIAL = frozenset(
    {
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        "~", "null", "Null", "NULL", "", "<<",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
        "-.inf", "-.Inf", "-.INF",
    }
)  # fmt: skip
# What go-yaml v2 tries as a number (strconv.ParseInt base 0, then its float pattern) once the
# underscores are removed, and the date prefix of the timestamps it parses.
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?")


def go_reads_as_text(text: str) -> bool:
    """False when go-yaml v2 resolves the plain scalar to a bool, null, number or timestamp."""
    if text in GO_SPECIAL:
        return False
    if text[:1] in "+-.0123456789":
        bare = text.replace("_", "")
        if _GO_INT.fullmatch(bare) or _GO_FLOAT.fullmatch(bare) or _GO_DATE.fullmatch(text):
            return False
    return True


def pyyaml_reading(text: str) -> Any:
    """What `key: TEXT` reads back as under YAML 1.1 (PyYAML), or an exception type if it fails."""
    try:
        loaded = yaml.load(f"key: {text}\n", Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return type(exc)
    if not isinstance(loaded, dict) or set(loaded) != {"key"}:
        return ValueError
    return loaded["key"]


def reads_back(text: str) -> bool:
    """True when `key: TEXT` reads back as exactly TEXT in YAML 1.1, PyYAML's and Go's."""
    if not text.isprintable() or text != text.strip():
        return False
    return go_reads_as_text(text) and pyyaml_reading(text) == text


def why_not(text: str) -> str:
    """What the chart would make of a text that does not read back: for the message."""
    if not go_reads_as_text(text):
        return "it reads as a boolean, null, number or date"
    reading = pyyaml_reading(text)
    if isinstance(reading, type):
        return "it is not a plain value (it breaks the chart's YAML)"
    if isinstance(reading, str):
        return f"it reads back as {reading!r}"
    return "it reads as a boolean, null, number or date"
