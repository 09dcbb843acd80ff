"""The NFS export: the server's address or name, and the export path."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, strings_at
from generator.values.document import Document
from generator.values.exports import export_paths

DNS_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$")
_DOTTED_QUAD = re.compile(r"^[0-9]+(\.[0-9]+){3}$")
# An IPv6 zone id names a network interface (Linux: at most 15 characters, no '/', no blank) or
# its index; ipaddress accepts any text after '%', even ' #x' that YAML then cuts off.
ZONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")


@check("nfs-server")
def nfs_server(doc: Document) -> Iterator[Problem]:
    """nfs.server: an IPv4 address, an IPv6 address or a DNS name, nothing more.

    PASS:
        nfs: {server: nas.home.arpa}
    FAIL nfs-server:
        nfs: {server: 192.168.1.300}
    """
    for path, value in strings_at(doc, *export_paths(doc.data, ("nfs", "server"))):
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


@check("nfs-path")
def nfs_path(doc: Document) -> Iterator[Problem]:
    """nfs.path: an absolute path on the server, without '..'.

    PASS:
        nfs: {path: /volume1/k8s}
    FAIL nfs-path:
        nfs: {path: volume1/k8s}
    """
    for path, value in strings_at(doc, *export_paths(doc.data, ("nfs", "path"))):
        if not value.startswith("/"):
            yield doc.problem(path, "must be an absolute path starting with /", "nfs-path")
        elif ".." in value.split("/"):
            yield doc.problem(path, "must not contain '..'", "nfs-path")
