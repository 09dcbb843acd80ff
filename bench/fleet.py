"""A deterministic fleet of cluster values files for `make bench`.

Each file is a plausible, valid values file: the minimal three keys for most clusters, and a
mix of the optional settings (mount options, class names, reclaim policies, path patterns,
node selectors, installer off, release names) for the rest, so the fleet exercises every
template branch rather than rendering one file a thousand times.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

MOUNT_OPTIONS = [
    ["nfsvers=4.1", "hard"],
    ["nfsvers=4.2", "hard", "noatime"],
    ["nfsvers=3", "nolock", "soft", "timeo=600", "retrans=2"],
    ["nfsvers=4.1", "rsize=1048576", "wsize=1048576", "nconnect=4"],
]
PATH_PATTERNS = ["${.PVC.namespace}/${.PVC.name}", "${.PVC.annotations.nfs.io/storage-path}"]


def cluster_values(index: int, rng: random.Random, engines: list[str]) -> dict[str, Any]:
    """Values of the index-th cluster of the fleet."""
    name = f"cluster-{index:04d}"
    server = rng.choice(
        [
            f"10.{index // 250 % 256}.{index % 250}.3",
            f"fd00:{index:x}::3",
            f"nas-{index:04d}.storage.example.com",
        ]
    )
    values: dict[str, Any] = {
        "cluster": name,
        "nfs": {"server": server, "path": f"/export/k8s/{name}"},
    }
    if index % 2 == 0:
        return values  # half the fleet is the minimal file
    values["nfs"]["mountOptions"] = rng.choice(MOUNT_OPTIONS)
    storage: dict[str, Any] = {}
    if rng.random() < 0.3:
        storage["name"] = rng.choice(["nfs", "nfs-fast", "nas.example.com"])
    if rng.random() < 0.3:
        storage["default"] = False
    if rng.random() < 0.3:
        storage["reclaimPolicy"] = "Retain"
    if rng.random() < 0.3:
        storage["pathPattern"] = rng.choice(PATH_PATTERNS)
    if rng.random() < 0.2:
        storage["volumeBindingMode"] = "WaitForFirstConsumer"
    if storage:
        values["storageClass"] = storage
    if rng.random() < 0.2:
        values["namespace"] = "storage"
    if rng.random() < 0.2:
        values["chart"] = {"releaseName": "nfs"}
    if rng.random() < 0.2:
        values["nodeInstaller"] = rng.choice(
            [{"enabled": False}, {"nodeSelector": {"storage.example.com/nfs": "true"}}]
        )
    engine = engines[index // 2 % len(engines)]
    if engine == "argocd":
        values["gitops"] = {"engine": engine, "repoURL": "https://git.example.com/fleet.git"}
    elif engine != "flux":
        values["gitops"] = {"engine": engine}
    return values


def write_fleet(folder: Path, count: int, engines: list[str], seed: int = 6) -> list[Path]:
    """Write count values files into folder (created); return their paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(1, count + 1):
        path = folder / f"cluster-{index:04d}.yaml"
        values = cluster_values(index, rng, engines)
        path.write_text(yaml.safe_dump(values, sort_keys=False, default_flow_style=False))
        paths.append(path)
    return paths
