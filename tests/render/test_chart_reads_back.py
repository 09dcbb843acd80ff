"""Property: every value that reaches a field the chart interpolates unquoted reads back unchanged.

The upstream chart writes nfs.server, nfs.path, each mount option, the provisioner name, the
ServiceAccount (release) name and the namespace raw into its YAML, which Helm reads as YAML 1.1
the way Go does. The oracle here is an independent YAML 1.1 reading: PyYAML's SafeLoader (its
plain-scalar resolution) with go-yaml v2's boolean set added (y, Y, n, N, which PyYAML keeps as
text). Whatever `validate` accepts must read back from `key: VALUE` and `- VALUE` as itself.
tests/e2e/test_helm_template.py checks the same through the real `helm template` of the chart.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.errors import InvalidValues
from generator.model import build_model
from generator.render import render
from generator.render.yamlsafe import quote
from generator.values.load import load_bytes
from generator.values.plainscalar import reads_back
from generator.values.validate import validate


class Yaml11(yaml.SafeLoader):
    """YAML 1.1 plain scalars as Helm's Go reads them: PyYAML plus go-yaml's booleans."""


Yaml11.yaml_implicit_resolvers = {
    k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GO_BOOL = re.compile(
    r"^(?:y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF)$"
)
for _first in "yYnNtTfFoO":
    Yaml11.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", _GO_BOOL)
    )
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}


def _go_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node) in _TRUE


Yaml11.add_constructor("tag:yaml.org,2002:bool", _go_bool)


def reading(text: str) -> list[Any]:
    """What the chart's `key: TEXT` and `- TEXT` read back as (an exception type on failure)."""
    found: list[Any] = []
    for document in (f"key: {text}\n", f"- {text}\n"):
        try:
            loaded = yaml.load(document, Loader=Yaml11)
            found.append(loaded["key"] if isinstance(loaded, dict) else loaded[0])
        except (yaml.YAMLError, KeyError, IndexError, TypeError) as exc:
            found.append(type(exc))
    return found


# Characters and words that change a YAML 1.1 plain scalar, mixed with harmless ones.
TRICKY = [
    "#",
    " #",
    ": ",
    ":",
    "-",
    "?",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    '"',
    "%",
    "@",
    "`",
    "~",
    " ",
    "=",
    ".",
    "/",
    "_",
    "0x1F",
    "0o17",
    "1e3",
    "1:20",
    "2001-01-01",
    "y",
    "N",
    "yes",
    "off",
    "null",
    ".inf",
    ".nan",
    "<<",
    "+1",
    ".5",
]
ATOMS = st.one_of(st.sampled_from(TRICKY), st.text("abz019AZ", min_size=1, max_size=3))
TEXTS = st.lists(ATOMS, min_size=1, max_size=6).map("".join)

# (where the text goes, how the values file is built around it)
PLACES = {
    "nfs.server": lambda t: f"nfs:\n  server: {quote(t)}\n  path: /data\n",
    "nfs.path": lambda t: f"nfs:\n  server: nas\n  path: {quote('/' + t)}\n",
    "mount option": lambda t: f"nfs:\n  server: nas\n  path: /d\n  mountOptions: [{quote(t)}]\n",
    "clientaddr": lambda t: (
        f"nfs:\n  server: nas\n  path: /d\n  mountOptions: [{quote('clientaddr=' + t)}]\n"
    ),
    "provisionerName": lambda t: (
        f"nfs: {{server: nas, path: /d}}\nstorageClass: {{provisionerName: {quote(t)}}}\n"
    ),
    "releaseName": lambda t: (
        f"nfs: {{server: nas, path: /d}}\nchart: {{releaseName: {quote(t)}}}\n"
    ),
    "namespace": lambda t: f"nfs: {{server: nas, path: /d}}\nnamespace: {quote(t)}\n",
}


def chart_inputs(values: dict[str, Any]) -> list[str]:
    """Every value the chart interpolates unquoted, as the rendered tree hands it over."""
    model = build_model(values, "values/c.yaml")
    helm = yaml.safe_load(render(model)["helm-values.yaml"])
    return [
        helm["nfs"]["server"],
        helm["nfs"]["path"],
        *helm["nfs"].get("mountOptions", []),
        helm["storageClass"]["provisionerName"],
        helm["serviceAccount"]["name"],
        model.exports[0].names.release,
        model.names.namespace,
    ]


# Most random text is refused (that is the point), so hypothesis may discard many examples on an
# unlucky seed: a discard is a refusal, not a problem of the strategy.
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(place=st.sampled_from(sorted(PLACES)), text=TEXTS)
def test_whatever_validate_accepts_the_chart_reads_back(place: str, text: str) -> None:
    raw = ("cluster: c\n" + PLACES[place](text)).encode()
    try:
        doc = load_bytes(raw, "values/c.yaml")
        validate(doc)
    except InvalidValues:
        assume(False)  # refused: nothing reaches the chart
        return
    for value in chart_inputs(doc.data):
        assert reading(value) == [value, value], (place, value, reading(value))


@settings(max_examples=500, deadline=None)
@given(text=TEXTS)
def test_the_rule_implies_the_oracle(text: str) -> None:
    if reads_back(text):
        assert reading(text) == [text, text]


@pytest.mark.parametrize(
    "text",
    ["/exports/k8s #tenant-b", "/exports/k8s: x", "y", "N", "on", "0x1F", "~",
     "1:20", "2001-01-01", "*x", "&x", "!x", "%x", "@x", "`x", "'x'", "[x]", "{x}", "? x", "- x",
     " x", "x ", "fe80::1%eth0 #x"],
)  # fmt: skip
def test_the_oracle_and_the_rule_refuse_the_issues_examples(text: str) -> None:
    assert reading(text) != [text, text]
    assert not reads_back(text)


@pytest.mark.parametrize("text", ["1e3", "-1.5E+3", "0o17", "0b_101", "1_000"])
def test_go_only_numbers_are_refused_too(text: str) -> None:
    """go-yaml v2 reads these as numbers (strconv with base 0, a float without a dot); the rule
    refuses them although PyYAML's YAML 1.1 keeps some of them as text."""
    assert not reads_back(text)


@pytest.mark.parametrize(
    "text",
    ["/data/K8s", "/exports/a:b", "/exports/k8s#x", "192.168.169.3", "fe80::1%eth0", "::1",
     "nas.example.com", "nfsvers=4.1", "clientaddr=fe80::1%eth0", "example.com/nfs",
     "cluster.local/nfs-subdir-external-provisioner", "nfs-provisioner", "yes-please"],
)  # fmt: skip
def test_ordinary_values_read_back(text: str) -> None:
    assert reading(text) == [text, text]
    assert reads_back(text)
