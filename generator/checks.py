"""Semantic checks the JSON Schema cannot express, one small function per rule.

Each check reads the loaded document and yields problems located at the offending value.
Checks only look at values of the right type: type errors are the schema's job.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from generator.errors import Problem
from generator.load import Document, JsonPath
from generator.plainscalar import reads_back, why_not

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
        return address_error(server)
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


_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")  # str.isdigit() also accepts '²' and '٣'


class _Number:
    """A whole number from low to high, in ASCII digits."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __call__(self, text: str) -> bool:
        return _ASCII_DIGITS.fullmatch(text) is not None and self.low <= int(text) <= self.high

    def __str__(self) -> str:
        return f"a whole number from {self.low} to {self.high} in ASCII digits"


def _number(low: int, high: int) -> Callable[[str], bool]:
    return _Number(low, high)


def _choice(*options: str) -> Callable[[str], bool]:
    return lambda text: text in options


def _address(text: str) -> bool:
    return address_error(text) is None


# An IPv6 zone id names a network interface (Linux: at most 15 characters, no '/', no blank) or
# its index; ipaddress accepts any text after '%', even ' #x' that YAML then cuts off.
ZONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")


def address_error(text: str) -> str | None:
    """Why text is not an IPv4 or IPv6 address (IPv6 with an optional interface zone id)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"{text!r} is not a valid IP address"
    _, percent, zone = text.partition("%")
    if percent and not ZONE_ID.fullmatch(zone):
        return (
            f"zone id {zone!r} is not an interface name (at most 15 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit)"
        )
    return None


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
        if "," in option:
            yield doc.problem(
                path,
                "holds a ',': the kubelet joins mount options with commas, so this would add "
                "options nobody checked; give one option per list item",
                "mount-option",
            )
            continue
        name, equals, value = option.partition("=")
        name = "nfsvers" if name == "vers" else name
        if name in FLAGS and not equals:
            pass
        elif name in MOUNT_OPTIONS and equals:
            valid = MOUNT_OPTIONS[name]
            if valid is not None and not valid(value):
                hint = f" ({valid})" if isinstance(valid, _Number) else ""
                yield doc.problem(
                    path, f"invalid value for {name}: {value!r}{hint}", "mount-option"
                )
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


# Namespaces a tree never declares: it would own them (relabel their Pod Security level, and
# delete them when a GitOps engine prunes the tree). The cluster's own, and the engine's.
CLUSTER_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAMESPACE_KEYS: tuple[JsonPath, ...] = (("namespace",), ("nodeInstaller", "namespace"))


def engine_namespaces(data: Any) -> dict[str, str]:
    """Namespace -> the engine key that names it, for the engine this file targets."""
    engine = lookup(data, ("gitops", "engine")) or "flux"
    found = {"flux-system": "Flux's standard namespace"}
    if engine in ("flux", "argocd"):
        default = "flux-system" if engine == "flux" else "argocd"
        name = lookup(data, ("gitops", engine, "namespace"))
        found[name if isinstance(name, str) else default] = f"gitops.{engine}.namespace"
    return found


@check
def reserved_namespaces(doc: Document) -> Iterator[Problem]:
    engine = engine_namespaces(doc.data)
    for path, value in strings_at(doc, *NAMESPACE_KEYS):
        if value in CLUSTER_NAMESPACES:
            why = f"{value!r} belongs to the cluster"
        elif value in engine:
            why = (
                f"{value!r} is the GitOps engine's namespace ({engine[value]}), and its pods "
                "would run beside the engine's"
            )
        else:
            continue
        yield doc.problem(
            path,
            f"{why}: the tree would own it (declare it, relabel its Pod Security level, delete "
            "it on prune); use a namespace of its own, such as nfs-provisioner",
            "namespace-reserved",
        )


# Values the upstream chart writes unquoted into its YAML (reference: chart 4.0.18 templates).
CHART_UNQUOTED: tuple[JsonPath, ...] = (
    ("nfs", "server"),
    ("nfs", "path"),
    ("storageClass", "provisionerName"),
    ("chart", "releaseName"),
    ("namespace",),
)


def chart_unquoted_paths(doc: Document) -> Iterator[JsonPath]:
    yield from CHART_UNQUOTED
    options = lookup(doc.data, ("nfs", "mountOptions"))
    if isinstance(options, list):
        yield from (("nfs", "mountOptions", index) for index in range(len(options)))


@check
def chart_reads_back(doc: Document) -> Iterator[Problem]:
    """Each value the chart interpolates must read back as itself from `key: VALUE`."""
    for path, value in strings_at(doc, *chart_unquoted_paths(doc)):
        if value.isprintable() and not reads_back(value):  # control characters: their own check
            yield doc.problem(
                path,
                f"the chart writes it unquoted into YAML, where {why_not(value)}; avoid ' #', "
                "': ', outer blanks, a leading YAML indicator and yes/no/number-like values",
                "chart-unquoted",
            )


@check
def toleration_seconds(doc: Document) -> Iterator[Problem]:
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


_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")
_SUFFIX = {
    None: Fraction(1), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}  # fmt: skip


def quantity(text: str) -> Fraction | None:
    """A Kubernetes quantity as an exact number; None when it is not one we accept."""
    match = _QUANTITY.fullmatch(text)
    return None if match is None else Fraction(match.group(1)) * _SUFFIX[match.group(2)]


@check
def requests_within_limits(doc: Document) -> Iterator[Problem]:
    for owner in (("provisioner",), ("nodeInstaller",)):
        base: JsonPath = (*owner, "resources")
        requests = lookup(doc.data, (*base, "requests"))
        limits = lookup(doc.data, (*base, "limits"))
        if not isinstance(requests, dict) or not isinstance(limits, dict):
            continue
        for name, request in requests.items():
            limit = limits.get(name)
            if not isinstance(request, str) or not isinstance(limit, str):
                continue
            low, high = quantity(request), quantity(limit)
            if low is not None and high is not None and low > high:
                yield doc.problem(
                    (*base, "requests", name),
                    f"request {request} is above the limit {limit}; the API server refuses it",
                    "resources",
                )


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_NANOSECONDS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
GO_DURATION_MAX = 2**63 - 1  # nanoseconds: Go's time.Duration is an int64


@check
def go_duration(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, ("gitops", "interval")):
        parts = _DURATION_PART.findall(value)
        if "".join(number + unit for number, unit in parts) != value:
            continue  # not a duration at all: the schema's pattern says so
        total = sum(int(Fraction(number) * _NANOSECONDS[unit]) for number, unit in parts)
        if total > GO_DURATION_MAX:
            yield doc.problem(
                path,
                "is longer than a Go duration can be (about 2562047h); Flux cannot read it",
                "duration",
            )


INSTALLER_NAME = "nfs-client-installer"  # the installer's DaemonSet and ServiceAccount


@check
def release_beside_installer(doc: Document) -> Iterator[Problem]:
    """The provisioner's ServiceAccount is named after the release; in a namespace shared with
    the installer it must not take the installer's name (two objects, one id)."""
    namespace = lookup(doc.data, ("namespace",)) or "nfs-provisioner"
    installer = lookup(doc.data, ("nodeInstaller", "namespace")) or "nfs-node-installer"
    enabled = lookup(doc.data, ("nodeInstaller", "enabled")) is not False
    for path, value in strings_at(doc, ("chart", "releaseName")):
        if enabled and namespace == installer and value == INSTALLER_NAME:
            yield doc.problem(
                path,
                f"names the provisioner's ServiceAccount {value!r}, the node installer's in the "
                f"same namespace {namespace!r}; choose another release name",
                "name-collision",
            )


URL_KEYS: tuple[JsonPath, ...] = (
    ("chart", "repository"),
    ("gitops", "repoURL"),
    ("gitops", "argocd", "server"),
)


def url_credentials(url: str) -> bool:
    """Whether a URL carries a secret: any user part over http(s), a password over ssh."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return False  # git@host:path names a user, never a password
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    user, at, _ = authority.rpartition("@")
    if not at:
        return False
    return scheme.lower() != "ssh" or ":" in user


@check
def no_credentials_in_urls(doc: Document) -> Iterator[Problem]:
    for path, value in strings_at(doc, *URL_KEYS):
        if url_credentials(value):
            yield doc.problem(
                path,
                "carries credentials (user:token@); they would be committed to Git in the "
                "rendered tree; give them to Flux or Argo CD in a Secret instead",
                "url-credentials",
            )


# Values the ApplicationSet (goTemplate: true) holds: Argo CD would evaluate {{ ... }} in them.
APPLICATIONSET_KEYS: tuple[JsonPath, ...] = (("gitops", "repoURL"), ("gitops", "revision"))


@check
def no_template_text(doc: Document) -> Iterator[Problem]:
    engine = lookup(doc.data, ("gitops", "engine"))
    if engine != "argocd" or lookup(doc.data, ("gitops", "argocd", "applicationSet")) is not True:
        return
    for path, value in strings_at(doc, *APPLICATIONSET_KEYS):
        if "{{" in value:
            yield doc.problem(
                path,
                "holds '{{', which Argo CD evaluates as a Go template in the ApplicationSet",
                "template-text",
            )
