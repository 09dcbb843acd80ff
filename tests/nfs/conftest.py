"""The NFS server tier (make e2e-nfs): needs root, ports 111 and 2049, and nfs-ganesha."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .ganesha import Server, running_server


@pytest.fixture(scope="session")
def ganesha() -> Iterator[Server]:
    yield from running_server()
