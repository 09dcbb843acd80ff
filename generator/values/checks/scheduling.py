"""Where the node installer runs: its node selector and tolerations."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup
from generator.values.checks.names import LABEL_VALUE, is_qualified_name
from generator.values.document import Document, JsonPath


@check("label-key", "label-value")
def node_selector(doc: Document) -> Iterator[Problem]:
    """Label keys and values the API server accepts, and Linux nodes only.

    PASS:
        nodeInstaller: {nodeSelector: {kubernetes.io/os: linux, disk: ssd}}
    FAIL label-key:
        nodeInstaller: {nodeSelector: {bad key: x}}
    FAIL label-value:
        nodeInstaller: {nodeSelector: {kubernetes.io/os: windows}}
    """
    selector = lookup(doc.data, ("nodeInstaller", "nodeSelector"))
    if not isinstance(selector, dict):
        return
    for key, value in selector.items():
        path: JsonPath = ("nodeInstaller", "nodeSelector", key)
        if not is_qualified_name(key):
            yield doc.problem(path, "is not a valid label key", "label-key", key=True)
        elif key == "kubernetes.io/os" and value != "linux":
            yield doc.problem(path, "the installer runs on Linux nodes only", "label-value")
        elif isinstance(value, str) and not LABEL_VALUE.fullmatch(value):
            yield doc.problem(path, "is not a valid label value", "label-value")


@check("toleration")
def tolerations(doc: Document) -> Iterator[Problem]:
    """Tolerations the API server accepts: operator, key and value agree.

    PASS:
        nodeInstaller: {tolerations: [{operator: Exists}, {key: dedicated, value: storage}]}
    FAIL toleration:
        nodeInstaller: {tolerations: [{operator: Exists, value: x}]}
    """
    items = lookup(doc.data, ("nodeInstaller", "tolerations"))
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        path: JsonPath = ("nodeInstaller", "tolerations", index)
        operator = item.get("operator", "Equal")
        if operator == "Exists" and item.get("value"):
            yield doc.problem((*path, "value"), "must be empty with operator Exists", "toleration")
        if operator == "Equal" and not item.get("key"):
            yield doc.problem(path, "operator Equal needs a key", "toleration")
        key = item.get("key")
        if isinstance(key, str) and key and not is_qualified_name(key):
            yield doc.problem((*path, "key"), "is not a valid taint key", "toleration")
        value = item.get("value")
        if isinstance(value, str) and not LABEL_VALUE.fullmatch(value):
            yield doc.problem((*path, "value"), "is not a valid taint value", "toleration")


@check("toleration")
def toleration_seconds(doc: Document) -> Iterator[Problem]:
    """tolerationSeconds only with effect NoExecute.

    PASS:
        nodeInstaller:
          tolerations: [{operator: Exists, effect: NoExecute, tolerationSeconds: 60}]
    FAIL toleration:
        nodeInstaller:
          tolerations: [{operator: Exists, effect: NoSchedule, tolerationSeconds: 60}]
    """
    items = lookup(doc.data, ("nodeInstaller", "tolerations"))
    for index, item in enumerate(items if isinstance(items, list) else []):
        if (
            isinstance(item, dict)
            and isinstance(item.get("tolerationSeconds"), int)
            and item.get("effect") != "NoExecute"
        ):
            yield doc.problem(
                ("nodeInstaller", "tolerations", index, "tolerationSeconds"),
                "only applies to effect NoExecute; the API server refuses it otherwise",
                "toleration",
            )
