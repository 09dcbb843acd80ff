"""The provisioner's RBAC equals the REAL chart's for the configuration, minus listed removals.

Read from the published chart archive (E2E_CHARTS, as .ci/run passes it), not from a copy: the
chart's ClusterRole and Role templates, evaluated with the chart's values.yaml under the tree's
helm-values.yaml (rbac.create on, as the chart's own RBAC would be), give the rules the chart
grants. The only removal (README, "HelmRelease and Application settings"): no endpoints Role
and RoleBinding without leader election. The chart must also keep the Recreate strategy that
makes one replica safe without election.

The templates use only `if` on boolean values, `end`, and name interpolation in these files,
so a tiny evaluator is enough; anything else in them fails the test instead of being guessed.
"""

from __future__ import annotations

import os
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.model import build_model
from generator.render import render
from generator.values.load import load_bytes
from generator.values.validate import validate

pytestmark = pytest.mark.e2e

CHART = "nfs-subdir-external-provisioner"
VERSION = "4.0.18"
MINIMAL = "cluster: homelab\nnfs:\n  server: 192.168.169.3\n  path: /data/K8s\n"
_IF = re.compile(r"^\s*\{\{-? if \.Values\.([A-Za-z0-9_.]+) -?\}\}\s*$")
_END = re.compile(r"^\s*\{\{-? end -?\}\}\s*$")
_ACTION_LINE = re.compile(r"^\s*\{\{-? include .* -?\}\}\s*$")
_INLINE = re.compile(r"\{\{-? (template|\.Release\.Namespace)[^}]*\}\}")


@pytest.fixture(scope="module")
def chart() -> dict[str, str]:
    folder = os.environ.get("E2E_CHARTS")
    if not folder:
        pytest.fail("E2E_CHARTS is not set: make e2e E2E_CHARTS=/path/to/charts", pytrace=False)
    archive = Path(folder) / f"{CHART}-{VERSION}.tgz"
    files = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[member.name.removeprefix(f"{CHART}/")] = handle.read().decode()
    return files


def lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def evaluate(template: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents a template renders to, for the small subset these templates use."""
    kept: list[str] = []
    stack: list[bool] = []
    for line in template.splitlines():
        if match := _IF.match(line):
            value = lookup(values, match.group(1))
            assert isinstance(value, bool), f"{match.group(1)} is not a boolean: {value!r}"
            stack.append(value)
        elif _END.match(line):
            stack.pop()
        elif not all(stack) or _ACTION_LINE.match(line):
            continue
        else:
            text = _INLINE.sub("x", line)
            assert "{{" not in text, f"template action not understood: {line}"
            kept.append(text)
    assert not stack, "unbalanced if/end"
    return [doc for doc in yaml.safe_load_all("\n".join(kept)) if doc]


def merged(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{key: merged(base.get(key), value) for key, value in over.items()}}
    return over


def tree_rules(extra: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(helm-values.yaml, {kind: rules}) of a tree rendered from MINIMAL + extra."""
    doc = load_bytes((MINIMAL + extra).encode(), "values/homelab.yaml")
    validate(doc)
    files = render(build_model(doc.data, doc.file))
    rules = {
        obj["kind"]: obj["rules"]
        for obj in yaml.safe_load_all(files["provisioner-rbac.yaml"])
        if obj["kind"] in ("ClusterRole", "Role")
    }
    return yaml.safe_load(files["helm-values.yaml"]), rules


@pytest.mark.parametrize(
    ("extra", "election"),
    [("", False), ("provisioner: {replicas: 2}\n", True)],
    ids=["one-replica", "two-replicas"],
)
def test_rules_equal_the_charts_for_the_configuration(
    chart: dict[str, str], extra: str, election: bool
) -> None:
    helm_values, rendered = tree_rules(extra)
    assert helm_values["leaderElection"] == {"enabled": election}
    # The chart's own RBAC, as it would render it for these values with rbac.create on.
    values = merged(yaml.safe_load(chart["values.yaml"]), {**helm_values, "rbac": {"create": True}})
    charts = {
        doc["kind"]: doc["rules"]
        for name in ("templates/clusterrole.yaml", "templates/role.yaml")
        for doc in evaluate(chart[name], values)
    }
    assert set(charts) == {"ClusterRole", "Role"}, "the chart renders the Role with rbac.create"
    expected = charts if election else {"ClusterRole": charts["ClusterRole"]}  # the removal
    assert rendered == expected


def test_one_replica_never_runs_twice(chart: dict[str, str]) -> None:
    helm_values, _ = tree_rules("")
    values = merged(yaml.safe_load(chart["values.yaml"]), helm_values)
    assert values["strategyType"] == "Recreate" and values["replicaCount"] == 1
    deployment = chart["templates/deployment.yaml"]
    assert "    type: {{ .Values.strategyType }}" in deployment
    # With election off the chart tells the binary so (and it then never touches Endpoints).
    assert "{{- if eq .Values.leaderElection.enabled false }}" in deployment
    assert "name: ENABLE_LEADER_ELECTION" in deployment


def test_the_evaluator_refuses_what_it_does_not_understand() -> None:
    with pytest.raises(AssertionError, match="not understood"):
        evaluate("name: {{ .Values.other | quote }}\n", {})
    assert evaluate("{{- if .Values.a }}\nk: 1\n{{- end }}\n", {"a": False}) == []
    assert evaluate("{{- if .Values.a }}\nk: 1\n{{- end }}\n", {"a": True}) == [{"k": 1}]
