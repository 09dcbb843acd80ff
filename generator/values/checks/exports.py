"""The two forms of a cluster's storage: `nfs` (one export) or `exports` (several), not both;
each export named once; one default class at most."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup
from generator.values.document import Document
from generator.values.exports import SINGLE_ONLY


@check("exports-nfs")
def one_form(doc: Document) -> Iterator[Problem]:
    """Either `nfs` (with storageClass and chart.releaseName) or `exports`, not both (neither:
    generator/values/validate.py).

    PASS:
        exports: [{name: fast, server: 192.168.169.3, path: /ssd}]
    FAIL exports-nfs:
        nfs: {server: 192.168.169.3, path: /data}
        exports: [{name: fast, server: 192.168.169.3, path: /ssd}]
    """
    data = doc.data
    if not isinstance(data, dict) or "exports" not in data:
        return
    for path, instead in SINGLE_ONLY.items():
        if lookup(data, path) is not None:
            yield doc.problem(
                path,
                f"cannot be set beside exports: with several exports set the {instead}",
                "exports-nfs",
                key=True,
            )


@check("name-duplicate", "export-default-twice")
def export_names(doc: Document) -> Iterator[Problem]:
    """Each export once by name; at most one export's class is the default.

    PASS:
        exports:
          - {name: fast, server: 192.168.169.3, path: /ssd, storageClass: {default: true}}
          - {name: bulk, server: 192.168.169.3, path: /hdd}
    FAIL name-duplicate:
        exports:
          - {name: fast, server: 192.168.169.3, path: /ssd}
          - {name: fast, server: 192.168.169.3, path: /hdd}
    FAIL export-default-twice:
        exports:
          - {name: fast, server: 192.168.169.3, path: /ssd, storageClass: {default: true}}
          - {name: bulk, server: 192.168.169.3, path: /hdd, storageClass: {default: true}}
    """
    exports = lookup(doc.data, ("exports",))
    if not isinstance(exports, list):
        return
    seen: dict[str, int] = {}
    default: int | None = None
    for index, export in enumerate(exports):
        name = lookup(export, ("name",))
        if isinstance(name, str) and name in seen:
            yield doc.problem(
                ("exports", index, "name"),
                f"names export {seen[name]} too; each export needs its own name",
                "name-duplicate",
            )
        elif isinstance(name, str):
            seen[name] = index
        if lookup(export, ("storageClass", "default")) is True:
            if default is not None:
                yield doc.problem(
                    ("exports", index, "storageClass", "default"),
                    f"export {default} is the default class already; at most one export's "
                    "class can be (class-less claims would land on either)",
                    "export-default-twice",
                )
            else:
                default = index
