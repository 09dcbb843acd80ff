"""nfs.mountOptions: options nfs(5) documents, well-formed, and none contradicting another."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup
from generator.values.checks.nfs import address_error
from generator.values.document import Document, JsonPath
from generator.values.exports import export_paths

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


@check("mount-option", "mount-conflict")
def mount_options(doc: Document) -> Iterator[Problem]:
    """Each item one known option, with a valid value where it takes one; no contradictions.

    PASS:
        nfs: {mountOptions: [nfsvers=4.1, hard, nconnect=8]}
    FAIL mount-option:
        nfs: {mountOptions: [rsize=12]}
    FAIL mount-conflict:
        nfs: {mountOptions: [hard, soft]}
    """
    for where in export_paths(doc.data, ("nfs", "mountOptions")):
        yield from _options(doc, where)


def _options(doc: Document, where: JsonPath) -> Iterator[Problem]:
    options = lookup(doc.data, where)
    if not isinstance(options, list):
        return
    seen: dict[str, tuple[int, str]] = {}
    for index, option in enumerate(options):
        if not isinstance(option, str):
            continue
        path: JsonPath = (*where, index)
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
                (*where, index),
                f"{first} and {second} contradict each other",
                "mount-conflict",
            )
