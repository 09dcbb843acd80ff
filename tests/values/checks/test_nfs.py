from __future__ import annotations

import pytest

from generator.values.checks.nfs import nfs_server_error


@pytest.mark.parametrize(
    "server",
    ["192.168.169.3", "10.0.0.1", "nas", "nas.home.arpa", "nas.example.com.", "fd00::3", "::1"],
)
def test_good_servers(server: str) -> None:
    assert nfs_server_error(server) is None


@pytest.mark.parametrize(
    ("server", "fragment"),
    [
        ("192.168.169.300", "not a valid IPv4 address"),
        ("256.1.1.1", "not a valid IPv4 address"),
        ("nfs://nas", "without a scheme"),
        ("nas:/data", "export path goes in nfs.path"),
        ("fd00::zz", "not a valid IPv6 address"),
        ("nas_1.local", "not an IPv4 address, an IPv6 address or a DNS name"),
        ("-nas", "not an IPv4 address"),
        ("nas..local", "not an IPv4 address"),
        ("1.2.3", "looks like an IPv4 address"),
        ("", "not an IPv4 address"),
    ],
)
def test_bad_servers(server: str, fragment: str) -> None:
    message = nfs_server_error(server)
    assert message is not None and fragment in message
