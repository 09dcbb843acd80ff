from __future__ import annotations

import pytest

from tests.values.checks.helpers import found


def test_mount_options() -> None:
    text = (
        "nfs:\n  mountOptions:\n"
        "    - nfsvers=4.1\n"  # 3
        "    - hard\n"  # 4
        "    - nolock\n"  # 5
        "    - soft\n"  # 6 contradicts hard
        "    - vers=3\n"  # 7 contradicts nfsvers=4.1
        "    - rsize=12\n"  # 8 out of range
        "    - bogus\n"  # 9 unknown
        "    - hard=1\n"  # 10 flag with value
        "    - timeo\n"  # 11 option without value
        "    - nconnect=8\n"
    )
    assert found(text) == [
        "6:7 nfs.mountOptions[3] mount-conflict",
        "7:7 nfs.mountOptions[4] mount-conflict",
        "8:7 nfs.mountOptions[5] mount-option",
        "9:7 nfs.mountOptions[6] mount-option",
        "10:7 nfs.mountOptions[7] mount-option",
        "11:7 nfs.mountOptions[8] mount-option",
    ]


@pytest.mark.parametrize("version", ["3", "4", "4.0", "4.1", "4.2"])
def test_every_documented_nfs_version_is_accepted(version: str) -> None:
    assert found(f"nfs:\n  mountOptions: [nfsvers={version}]\n") == []
