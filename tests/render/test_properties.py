"""Hostile text in any string field is refused, or comes out of the YAML as exactly itself."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import InvalidValues
from generator.model import build_model
from generator.render import render
from generator.render.yamlsafe import block, quote, scalar
from generator.values.checks.base import lookup
from generator.values.load import load_bytes
from generator.values.validate import validate

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SENTINEL = "zqsentinelzq"
BASE: dict[str, Any] = {"cluster": "homelab", "nfs": {"server": "nas", "path": "/data"}}

# Field path -> (prefix that makes a value plausible for the field, sentinel value).
FIELDS: dict[tuple[str | int, ...], tuple[str, str]] = {
    ("cluster",): ("", SENTINEL),
    ("namespace",): ("", SENTINEL),
    ("nfs", "server"): ("", SENTINEL),
    ("nfs", "path"): ("/", "/" + SENTINEL),
    ("nfs", "mountOptions", 0): ("", "noatime"),
    ("storageClass", "name"): ("", SENTINEL),
    ("storageClass", "pathPattern"): ("", SENTINEL),
    ("storageClass", "provisionerName"): ("", SENTINEL),
    ("chart", "repository"): ("https://", "https://" + SENTINEL),
    ("chart", "version"): ("1.", "1.2.3"),
    ("chart", "releaseName"): ("", SENTINEL),
    ("provisioner", "image", "repository"): ("", SENTINEL),
    ("provisioner", "image", "tag"): ("", SENTINEL),
    ("provisioner", "resources", "limits", "memory"): ("", "777Mi"),
    ("nodeInstaller", "namespace"): ("", SENTINEL),
    ("nodeInstaller", "nodeSelector", "disk"): ("", SENTINEL),
    ("nodeInstaller", "tolerations", 0, "value"): ("", SENTINEL),
    ("preflight", "image", "repository"): ("", SENTINEL),
    ("preflight", "image", "tag"): ("", SENTINEL),
    ("gitops", "interval"): ("", "17m"),
}
# The preflight Job's name hashes the export it probes: compared as one fixed name.
JOB_HASH = re.compile(r"nfs-preflight-[0-9a-f]{10}")

YAML_SPECIAL = [
    *": #-\"'\n\r\t{}[]&*!|>%@`,?\\/.$=~",
    "\u0085", "\u2028", "\u2029", "\ufeff", "\x00", "\x1b", "\x7f", "é", "\U0001f600", "---",
    "...", "true", "null", "0x1F", "1e3", "${.PVC.name}",
]  # fmt: skip
hostile_text = st.one_of(
    st.lists(st.sampled_from(YAML_SPECIAL), max_size=12).map("".join),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
)


def put(values: dict[str, Any], path: tuple[str | int, ...], value: str) -> dict[str, Any]:
    result = copy.deepcopy(values)
    node: Any = result
    if path[:2] == ("nodeInstaller", "tolerations"):
        result.setdefault("nodeInstaller", {})["tolerations"] = [{"key": "k", "value": "v"}]
    if path[:2] == ("nfs", "mountOptions"):
        result["nfs"]["mountOptions"] = ["noatime"]
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    if path[-2:] == ("image", "repository") or path[-2:] == ("image", "tag"):
        node.setdefault("repository", "r")
        node.setdefault("tag", "t")
    node[path[-1]] = value
    return result


def rendered_objects(
    values: dict[str, Any], path: tuple[str | int, ...]
) -> tuple[dict[str, list[Any]], str] | None:
    """The parsed rendered files and the field's value as the loader read it, or None if refused."""
    text = yaml.safe_dump(values, allow_unicode=True)
    try:
        doc = load_bytes(text.encode("utf-8"), "values.yaml")
        validate(doc)
    except InvalidValues:
        return None
    files = render(build_model(doc.data, doc.file))
    parsed = {
        name: list(yaml.load_all(JOB_HASH.sub("nfs-preflight-HASH", content), Loader=LOADER))
        for name, content in files.items()
    }
    return parsed, lookup(doc.data, path)


def replaced(tree: Any, old: str, new: str) -> Any:
    if isinstance(tree, str):
        return tree.replace(old, new)
    if isinstance(tree, list):
        return [replaced(item, old, new) for item in tree]
    if isinstance(tree, dict):
        return {replaced(k, old, new): replaced(v, old, new) for k, v in tree.items()}
    return tree


FieldPath = tuple[str | int, ...]


def baselines(
    base: dict[str, Any], fields: dict[FieldPath, tuple[str, str]]
) -> Callable[[FieldPath], dict[str, list[Any]]]:
    """The rendered objects of `base` with a field set to its sentinel value, once per field."""

    @cache
    def baseline_for(path: FieldPath) -> dict[str, list[Any]]:
        result = rendered_objects(put(base, path, fields[path][1]), path)
        assert result is not None, f"the sentinel value of {path} must be valid"
        return result[0]

    return baseline_for


baseline_for = baselines(BASE, FIELDS)


@pytest.mark.parametrize("path", list(FIELDS), ids=[".".join(map(str, p)) for p in FIELDS])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_hostile_string_is_refused_or_round_trips(path: tuple[str | int, ...], text: str) -> None:
    prefix, sentinel = FIELDS[path]
    hostile = prefix + text
    baseline = baseline_for(path)
    result = rendered_objects(put(BASE, path, hostile), path)
    if result is None:
        return  # refused with located problems: fine
    objects, loaded = result
    # Same files, same documents, same keys; the value appears exactly where the sentinel did.
    assert objects == replaced(baseline, sentinel, loaded)


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_quote_round_trips_any_text(text: str) -> None:
    quoted = quote(text)
    assert quoted.isascii() and quoted.isprintable()
    assert yaml.safe_load(f"key: {quoted}\n") == {"key": text}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=8), children, max_size=4
        )
    ),
    max_leaves=12,
)


@given(json_values)
def test_block_round_trips_any_json_value(value: Any) -> None:
    assert yaml.safe_load("root:" + block(value, 2) + "\nafter: 1\n") == {"root": value, "after": 1}
    assert "\n" not in scalar(value) if not isinstance(value, (dict, list)) else True
