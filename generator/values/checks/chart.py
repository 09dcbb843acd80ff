"""Values the upstream chart writes unquoted into its YAML must read back as themselves."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.checks.drivers import CSI
from generator.values.document import Document, JsonPath
from generator.values.exports import export_driver, indexes, where
from generator.values.plainscalar import reads_back, why_not

# Values the nfs-subdir-external-provisioner chart writes unquoted into its YAML (reference:
# chart 4.0.18 templates).
CHART_UNQUOTED: tuple[JsonPath, ...] = (
    ("nfs", "server"),
    ("nfs", "path"),
    ("storageClass", "provisionerName"),
    ("chart", "releaseName"),
    ("namespace",),
)


def chart_unquoted_paths(doc: Document) -> Iterator[JsonPath]:
    """The namespace; CHART_UNQUOTED and each mount option of every export whose driver is
    nfs-subdir-external-provisioner (its pins in the several form). csi-driver-nfs gets none of
    these (the tree renders its class; its names are fixed)."""
    yield ("namespace",)
    for index in indexes(doc.data):
        if export_driver(doc.data, index) == CSI:
            continue
        yield from (where(index, key) for key in CHART_UNQUOTED[:-1])
        at = where(index, ("nfs", "mountOptions"))
        options = lookup(doc.data, at)
        if isinstance(options, list):
            yield from ((*at, item) for item in range(len(options)))


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
