"""storageClass.pathPattern: the provisioner's directory template, with known fields only."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, strings_at
from generator.values.checks.names import is_qualified_name
from generator.values.document import Document
from generator.values.exports import export_paths

_PATTERN_TOKEN = re.compile(r"\$\{([^}]*)\}")
_PATTERN_FIELD = re.compile(r"^\.PVC\.(namespace|name|labels\.(?P<l>.+)|annotations\.(?P<a>.+))$")


@check("path-pattern")
def path_pattern(doc: Document) -> Iterator[Problem]:
    """The fields the provisioner fills in, and a relative path without '..'.

    PASS:
        storageClass: {pathPattern: "${.PVC.namespace}/${.PVC.name}"}
    FAIL path-pattern:
        storageClass: {pathPattern: "../${.PVC.name}"}
    """
    for path, value in strings_at(doc, *export_paths(doc.data, ("storageClass", "pathPattern"))):
        message = path_pattern_error(value)
        if message:
            yield doc.problem(path, message, "path-pattern")


def path_pattern_error(pattern: str) -> str | None:
    if not pattern:
        return "must not be empty; use null for the provisioner's default"
    for token in _PATTERN_TOKEN.findall(pattern):
        match = _PATTERN_FIELD.fullmatch(token)
        if not match:
            return (
                f"unknown field ${{{token}}}; use ${{.PVC.namespace}}, ${{.PVC.name}}, "
                "${.PVC.labels.KEY} or ${.PVC.annotations.KEY}"
            )
        key = match.group("l") or match.group("a")
        if key is not None and not is_qualified_name(key):
            return f"{key!r} is not a valid label or annotation key"
    literal = _PATTERN_TOKEN.sub("x", pattern)
    if "$" in literal or "{" in literal or "}" in literal:
        return "has a '$', '{' or '}' outside a ${.PVC...} field"
    if pattern.startswith("/"):
        return "must be relative to nfs.path (no leading /)"
    if any(part in ("", ".", "..") for part in pattern.split("/")):
        return "must not contain '..', '.' or empty path segments"
    return None
