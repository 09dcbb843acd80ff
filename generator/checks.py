"""Semantic checks the JSON Schema cannot express, one small function per rule.

Each check reads the loaded document and yields problems located at the offending value.
Checks only look at values of the right type: type errors are the schema's job.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any

from generator.errors import Problem
from generator.load import Document, JsonPath

Check = Callable[[Document], Iterator[Problem]]
CHECKS: list[Check] = []

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
DNS_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$")
HELM_RELEASE_MAX = 53


def check(func: Check) -> Check:
    CHECKS.append(func)
    return func


def run_checks(doc: Document) -> list[Problem]:
    return [problem for func in CHECKS for problem in func(doc)]


def lookup(data: Any, path: JsonPath) -> Any:
    """The value at path, or None when any step is missing or of the wrong type."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def strings_at(doc: Document, *paths: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    for path in paths:
        value = lookup(doc.data, path)
        if isinstance(value, str):
            yield path, value


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
            ("gitops", "argocd", "project"),
            ("gitops", "flux", "gitRepository"),
        ),
        is_dns1123_subdomain,
        "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'",
        "name-dns1123-subdomain",
    ),
]


@check
def kubernetes_names(doc: Document) -> Iterator[Problem]:
    for paths, valid, message, code in NAME_RULES:
        for path, value in strings_at(doc, *paths):
            if not valid(value):
                yield doc.problem(path, message, code)


@check
def release_name(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("chart", "releaseName")):
        if not is_dns1123_label(value, HELM_RELEASE_MAX):
            yield doc.problem(
                path,
                f"must be a DNS-1123 label of at most {HELM_RELEASE_MAX} characters (Helm's limit)",
                "name-release",
            )


@check
def provisioner_name(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("storageClass", "provisionerName")):
        if not is_qualified_name(value):
            yield doc.problem(
                path,
                "must be a qualified name like example.com/nfs (optional DNS prefix, '/', "
                "then at most 63 letters, digits, '-', '_' or '.')",
                "name-provisioner",
            )


_DOTTED_QUAD = re.compile(r"^[0-9]+(\.[0-9]+){3}$")


@check
def nfs_server(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("nfs", "server")):
        message = nfs_server_error(value)
        if message:
            yield doc.problem(path, message, "nfs-server")


def nfs_server_error(server: str) -> str | None:
    if "://" in server:
        return "give a host name or address, without a scheme like nfs://"
    if ":/" in server:
        return "give only the host here; the export path goes in nfs.path"
    if _DOTTED_QUAD.fullmatch(server):
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            return f"{server!r} is not a valid IPv4 address (each octet is 0 to 255)"
        return None
    if ":" in server:
        try:
            ipaddress.IPv6Address(server)
        except ValueError:
            return f"{server!r} is not a valid IPv6 address"
        return None
    name = server[:-1] if server.endswith(".") else server
    labels = name.split(".")
    if len(name) > 253 or not all(DNS_HOST_LABEL.fullmatch(label) for label in labels):
        return f"{server!r} is not an IPv4 address, an IPv6 address or a DNS name"
    if labels[-1].isdigit():
        return f"{server!r} looks like an IPv4 address but is not one"
    return None


@check
def nfs_path(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("nfs", "path")):
        if not value.startswith("/"):
            yield doc.problem(path, "must be an absolute path starting with /", "nfs-path")
        elif ".." in value.split("/"):
            yield doc.problem(path, "must not contain '..'", "nfs-path")


def _number(low: int, high: int) -> Callable[[str], bool]:
    return lambda text: text.isdigit() and low <= int(text) <= high


def _choice(*options: str) -> Callable[[str], bool]:
    return lambda text: text in options


def _address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# Options nfs(5) documents; a flag maps to None, an option with a value to its validator.
MOUNT_OPTIONS: dict[str, Callable[[str], bool] | None] = {
    "nfsvers": _choice("3", "4", "4.0", "4.1", "4.2"),
    "vers": _choice("3", "4", "4.0", "4.1", "4.2"),
    "minorversion": _choice("0", "1", "2"),
    "proto": _choice("tcp", "udp", "rdma", "tcp6", "udp6", "rdma6"),
    "mountproto": _choice("tcp", "udp", "tcp6", "udp6"),
    "sec": _choice("sys", "krb5", "krb5i", "krb5p", "none"),
    "lookupcache": _choice("all", "none", "pos", "positive"),
    "local_lock": _choice("none", "all", "flock", "posix"),
    "xprtsec": _choice("none", "tls", "mtls"),
    "timeo": _number(1, 6_000_000),
    "retrans": _number(0, 1000),
    "rsize": _number(1024, 16_777_216),
    "wsize": _number(1024, 16_777_216),
    "port": _number(0, 65535),
    "mountport": _number(0, 65535),
    "mountvers": _choice("1", "2", "3"),
    "namlen": _number(1, 65535),
    "retry": _number(0, 100_000),
    "nconnect": _number(1, 16),
    "max_connect": _number(1, 16),
    "actimeo": _number(0, 100_000),
    "acregmin": _number(0, 100_000),
    "acregmax": _number(0, 100_000),
    "acdirmin": _number(0, 100_000),
    "acdirmax": _number(0, 100_000),
    "clientaddr": _address,
    "addr": _address,
}
OPPOSITES = [
    ("hard", "soft"),
    ("lock", "nolock"),
    ("ac", "noac"),
    ("cto", "nocto"),
    ("intr", "nointr"),
    ("fsc", "nofsc"),
    ("sharecache", "nosharecache"),
    ("resvport", "noresvport"),
    ("rdirplus", "nordirplus"),
    ("atime", "noatime"),
    ("diratime", "nodiratime"),
    ("ro", "rw"),
    ("sync", "async"),
    ("suid", "nosuid"),
    ("dev", "nodev"),
    ("exec", "noexec"),
    ("bg", "fg"),
    ("softreval", "nosoftreval"),
]
FLAGS = {flag for pair in OPPOSITES for flag in pair} | {"relatime", "strictatime", "softerr"}


@check
def mount_options(doc: Document) -> Iterator[Problem]:
    options = lookup(doc.data, ("nfs", "mountOptions"))
    if not isinstance(options, list):
        return
    seen: dict[str, tuple[int, str]] = {}
    for index, option in enumerate(options):
        if not isinstance(option, str):
            continue
        path: JsonPath = ("nfs", "mountOptions", index)
        name, equals, value = option.partition("=")
        name = "nfsvers" if name == "vers" else name
        if name in FLAGS and not equals:
            pass
        elif name in MOUNT_OPTIONS and equals:
            valid = MOUNT_OPTIONS[name]
            if valid is not None and not valid(value):
                yield doc.problem(path, f"invalid value for {name}: {value!r}", "mount-option")
                continue
        elif name in FLAGS or name in MOUNT_OPTIONS:
            form = f"{name}=VALUE" if name in MOUNT_OPTIONS else name
            yield doc.problem(path, f"{name} is written {form}", "mount-option")
            continue
        else:
            yield doc.problem(path, f"unknown NFS mount option {option!r}", "mount-option")
            continue
        if name in seen and seen[name][1] != option:
            yield doc.problem(
                path, f"contradicts {seen[name][1]!r} (option {seen[name][0]})", "mount-conflict"
            )
        seen.setdefault(name, (index, option))
    for first, second in OPPOSITES:
        if first in seen and second in seen:
            index = max(seen[first][0], seen[second][0])
            yield doc.problem(
                ("nfs", "mountOptions", index),
                f"{first} and {second} contradict each other",
                "mount-conflict",
            )


_PATTERN_TOKEN = re.compile(r"\$\{([^}]*)\}")
_PATTERN_FIELD = re.compile(r"^\.PVC\.(namespace|name|labels\.(?P<l>.+)|annotations\.(?P<a>.+))$")


@check
def path_pattern(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("storageClass", "pathPattern")):
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


@check
def node_selector(doc: Document) -> Iterator[Problem]:
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


@check
def pull_secrets(doc: Document) -> Iterator[Problem]:
    names = lookup(doc.data, ("images", "pullSecrets"))
    if not isinstance(names, list):
        return
    for index, name in enumerate(names):
        if isinstance(name, str) and not is_dns1123_subdomain(name):
            yield doc.problem(
                ("images", "pullSecrets", index),
                "must be a Secret name (DNS-1123 subdomain: lower-case letters, digits, '-' "
                "and '.')",
                "name-dns1123-subdomain",
            )


@check
def tolerations(doc: Document) -> Iterator[Problem]:
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


@check
def replicas_need_leader_election(doc: Document) -> Iterator[Problem]:
    replicas = lookup(doc.data, ("provisioner", "replicas"))
    if (
        isinstance(replicas, int)
        and replicas > 1
        and lookup(doc.data, ("provisioner", "leaderElection")) is False
    ):
        yield doc.problem(
            ("provisioner", "replicas"),
            "more than one replica needs provisioner.leaderElection: true",
            "leader-election",
        )


@check
def gitops_repo_url(doc: Document) -> Iterator[Problem]:
    if lookup(doc.data, ("gitops", "engine")) == "argocd" and not isinstance(
        lookup(doc.data, ("gitops", "repoURL")), str
    ):
        yield doc.problem(
            ("gitops", "repoURL"),
            "is required with gitops.engine argocd: the Git repository Argo CD reads this "
            "tree and helm-values.yaml from",
            "gitops-repo-url",
            key=True,
        )


@check
def gitops_path(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("gitops", "path")):
        if any(part in (".", "..") for part in value.split("/")):
            yield doc.problem(path, "must not contain '.' or '..' segments", "gitops-path")


def _strings(data: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str, bool]]:
    """Every string in data, keys included: (path, text, is_key)."""
    if isinstance(data, str):
        yield path, data, False
    elif isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), key, True
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


@check
def no_control_characters(doc: Document) -> Iterator[Problem]:
    """Every value here is a name, an address or a path: one line of printable text."""
    for path, text, is_key in _strings(doc.data, ()):
        if not text.isprintable():
            yield doc.problem(
                path,
                "must not contain line breaks, tabs or other control characters",
                "control-characters",
                key=is_key,
            )
