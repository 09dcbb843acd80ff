"""Names Kubernetes and Helm validate: DNS-1123 labels and subdomains, qualified names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document, JsonPath
from generator.values.exports import export_paths

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
HELM_RELEASE_MAX = 53
CSI_DRIVER_NAME = "nfs.csi.k8s.io"  # csi-driver-nfs's CSIDriver, the provisioner of its classes


def is_dns1123_label(name: str, limit: int = 63) -> bool:
    return len(name) <= limit and DNS1123_LABEL.fullmatch(name) is not None


def is_dns1123_subdomain(name: str) -> bool:
    return len(name) <= 253 and DNS1123_SUBDOMAIN.fullmatch(name) is not None


def is_qualified_name(name: str) -> bool:
    """Kubernetes qualified name: optional DNS subdomain prefix, '/', then a 63-char name."""
    prefix, slash, base = name.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return False
    return QUALIFIED_NAME.fullmatch(base) is not None


# Names Kubernetes validates: (where they are, the rule, what the rule says, code).
NAME_RULES: list[tuple[tuple[JsonPath, ...], Callable[[str], bool], str, str]] = [
    (
        (
            ("cluster",),
            ("namespace",),
            ("nodeInstaller", "namespace"),
            ("csi", "namespace"),
            ("gitops", "argocd", "namespace"),
            ("gitops", "flux", "namespace"),
        ),
        is_dns1123_label,
        "must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', "
        "starting and ending with a letter or digit",
        "name-dns1123-label",
    ),
    (
        (
            ("storageClass", "name"),
            ("csi", "snapshots", "className"),
            ("gitops", "argocd", "project"),
            ("gitops", "flux", "gitRepository"),
        ),
        is_dns1123_subdomain,
        "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'",
        "name-dns1123-subdomain",
    ),
]


@check("name-dns1123-label", "name-dns1123-subdomain")
def kubernetes_names(doc: Document) -> Iterator[Problem]:
    """Object names the API server would refuse.

    PASS:
        cluster: homelab
        storageClass: {name: nfs.client}
    FAIL name-dns1123-label:
        cluster: Home_Lab
    FAIL name-dns1123-subdomain:
        storageClass: {name: NFS}
    """
    for paths, valid, message, code in NAME_RULES:
        for path, value in strings_at(doc, *_in_exports(doc, paths)):
            if not valid(value):
                yield doc.problem(path, message, code)


def _in_exports(doc: Document, paths: tuple[JsonPath, ...]) -> Iterator[JsonPath]:
    """paths, an export's own keys (storageClass.*) in every export, and each export's name."""
    for path in paths:
        yield from export_paths(doc.data, path) if path[0] == "storageClass" else [path]
    if paths[0] == ("cluster",) and isinstance(doc.data.get("exports"), list):
        yield from (("exports", i, "name") for i in range(len(doc.data["exports"])))


@check("name-release")
def release_name(doc: Document) -> Iterator[Problem]:
    """A Helm release name: a DNS-1123 label of at most 53 characters.

    PASS:
        chart: {releaseName: nfs-provisioner}
    FAIL name-release:
        chart: {releaseName: a-release-name-that-is-far-too-long-for-helm-to-accept}
    """
    for path, value in strings_at(doc, *export_paths(doc.data, ("chart", "releaseName"))):
        if not is_dns1123_label(value, HELM_RELEASE_MAX):
            yield doc.problem(
                path,
                f"must be a DNS-1123 label of at most {HELM_RELEASE_MAX} characters (Helm's limit)",
                "name-release",
            )


@check("name-provisioner")
def provisioner_name(doc: Document) -> Iterator[Problem]:
    """The StorageClass's provisioner: a qualified name.

    PASS:
        storageClass: {provisionerName: example.com/nfs}
    FAIL name-provisioner:
        storageClass: {provisionerName: Example_Com/nfs}
    """
    for path, value in strings_at(
        doc, *export_paths(doc.data, ("storageClass", "provisionerName"))
    ):
        if not is_qualified_name(value):
            yield doc.problem(
                path,
                "must be a qualified name like example.com/nfs (optional DNS prefix, '/', "
                "then at most 63 letters, digits, '-', '_' or '.')",
                "name-provisioner",
            )
        elif value == CSI_DRIVER_NAME:
            yield doc.problem(
                path,
                f"{value} is csi-driver-nfs's driver name; a second provisioner of that name "
                "would take its volumes (use driver: csi-driver-nfs, or another name)",
                "name-provisioner",
            )


@check("name-duplicate", "name-dns1123-subdomain")
def pull_secrets(doc: Document) -> Iterator[Problem]:
    """Image pull Secrets: each a Secret name, each once.

    PASS:
        images: {pullSecrets: [registry-a, registry-b]}
    FAIL name-duplicate:
        images: {pullSecrets: [registry-a, registry-a]}
    FAIL name-dns1123-subdomain:
        images: {pullSecrets: [Registry_A]}
    """
    names = lookup(doc.data, ("images", "pullSecrets"))
    if not isinstance(names, list):
        return
    for index, name in enumerate(names):
        if name in names[:index]:
            yield doc.problem(("images", "pullSecrets", index), "is listed twice", "name-duplicate")
        elif isinstance(name, str) and not is_dns1123_subdomain(name):
            yield doc.problem(
                ("images", "pullSecrets", index),
                "must be a Secret name (DNS-1123 subdomain: lower-case letters, digits, '-' "
                "and '.')",
                "name-dns1123-subdomain",
            )
