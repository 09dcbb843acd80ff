"""Values the upstream chart writes unquoted into its YAML must read back as themselves."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document, JsonPath
from generator.values.exports import export_paths
from generator.values.plainscalar import reads_back, why_not

# Values the upstream chart writes unquoted into its YAML (reference: chart 4.0.18 templates).
CHART_UNQUOTED: tuple[JsonPath, ...] = (
    ("nfs", "server"),
    ("nfs", "path"),
    ("storageClass", "provisionerName"),
    ("chart", "releaseName"),
    ("namespace",),
)


def chart_unquoted_paths(doc: Document) -> Iterator[JsonPath]:
    """CHART_UNQUOTED in every export (its pins in the several form), and each mount option."""
    yield ("namespace",)
    yield from export_paths(doc.data, *CHART_UNQUOTED[:-1])
    for where in export_paths(doc.data, ("nfs", "mountOptions")):
        options = lookup(doc.data, where)
        if isinstance(options, list):
            yield from ((*where, index) for index in range(len(options)))


@check("chart-unquoted")
def chart_reads_back(doc: Document) -> Iterator[Problem]:
    """Each value the chart interpolates must read back as itself from `key: VALUE`.

    PASS:
        nfs: {path: /volume1/k8s}
    FAIL chart-unquoted:
        nfs: {path: "/volume1/k8s #old"}
    """
    for path, value in strings_at(doc, *chart_unquoted_paths(doc)):
        if value.isprintable() and not reads_back(value):  # control characters: their own check
            yield doc.problem(
                path,
                f"the chart writes it unquoted into YAML, where {why_not(value)}; avoid ' #', "
                "': ', outer blanks, a leading YAML indicator and yes/no/number-like values",
                "chart-unquoted",
            )
