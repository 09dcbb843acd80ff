"""The two forms of a cluster's storage, read as one list of exports.

The single form (`nfs` plus `storageClass` and `chart.releaseName`) is one export; the several
form lists them under `exports`. Checks and the model read every export through the same
logical keys (("nfs", "server"), ("storageClass", "name"), ...), and `where` maps a logical key
to the values path it comes from, so a problem is located in either form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.values.document import JsonPath

DEFAULT_DRIVER = "nfs-subdir-external-provisioner"  # the schema's default `driver`
# Keys of an export named differently in the several form than in the single one.
_RENAMED: dict[JsonPath, JsonPath] = {
    ("storageClass", "provisionerName"): ("provisionerName",),
    ("chart", "releaseName"): ("release",),
}
# Keys of a cluster that only the single form may set at the top level (with `exports`, each
# export sets its own): the values path and what the export sets instead.
SINGLE_ONLY: dict[JsonPath, str] = {
    ("nfs",): "server, path and mountOptions of each export",
    ("storageClass",): "storageClass of each export",
    ("chart", "releaseName"): "release of each export (a pin; derived from its name when unset)",
}
# What fleet defaults of the single form never give each export: the names (each export's own)
# and the default flag (one export at most).
NOT_SHARED: tuple[JsonPath, ...] = (
    ("storageClass", "name"),
    ("storageClass", "provisionerName"),
    ("storageClass", "default"),
)


def indexes(data: Any) -> list[int | None]:
    """None for the single form, else the index of each export in `exports`."""
    exports = data.get("exports") if isinstance(data, dict) else None
    if isinstance(exports, list):
        return list(range(len(exports)))
    return [None]


def where(index: int | None, logical: JsonPath) -> JsonPath:
    """The values path of a logical export key for the export at index (None: single form)."""
    if index is None:
        return logical
    if logical in _RENAMED:
        return ("exports", index, *_RENAMED[logical])
    if logical[0] == "nfs":
        return ("exports", index, *logical[1:])
    return ("exports", index, *logical)


def export_driver(data: Any, index: int | None, default: str = DEFAULT_DRIVER) -> str:
    """The driver of the export at index: its own `driver`, else the cluster's, else the
    default (a wrong value is the schema's problem)."""
    own = lookup_in(data, ("exports", index, "driver")) if index is not None else None
    cluster = lookup_in(data, ("driver",))
    chosen = own if isinstance(own, str) else cluster
    return chosen if isinstance(chosen, str) else default


def lookup_in(data: Any, path: JsonPath) -> Any:
    """The value at path, or None when a step is missing or of the wrong type."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def export_paths(data: Any, *logical: JsonPath) -> Iterator[JsonPath]:
    """Each logical key's values path in every export of data."""
    for index in indexes(data):
        for key in logical:
            yield where(index, key)


def specs(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every export of values (with the schema's defaults applied) in one shape: name (None in
    the single form), index, server, path, mountOptions, driver, storageClass, release,
    provisionerName. Release and provisioner are pins: None lets the driver derive them."""
    exports = values.get("exports")
    if not isinstance(exports, list):
        nfs, storage = values["nfs"], values["storageClass"]
        return [
            {
                "name": None,
                "index": None,
                "server": nfs["server"],
                "path": nfs["path"],
                "mountOptions": nfs["mountOptions"],
                "driver": values["driver"],
                "storageClass": storage,
                "release": values["chart"]["releaseName"],
                "provisionerName": storage["provisionerName"],
            }
        ]
    return [
        {
            **export,
            "index": index,
            "driver": export["driver"] or values["driver"],
            "storageClass": dict(export["storageClass"]),
        }
        for index, export in enumerate(exports)
    ]
