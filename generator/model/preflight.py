"""The preflight Job's name: fixed text plus a hash of everything the Job probes with.

Jobs are immutable (a changed pod template is refused), so the name carries a hash of the probed
settings and of the Job's template: any change makes a new Job, which runs the probe again, and
the GitOps engine prunes the old one.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

TEMPLATE = "common/preflight.yaml.j2"
JOB_PREFIX = "nfs-preflight-"


@cache
def _template_bytes() -> bytes:
    from generator.treefile import template_dir

    return (template_dir() / TEMPLATE).read_bytes()


def job_name(values: dict[str, Any]) -> str:
    """nfs-preflight-<10 hex digits> for the export, preflight and image settings in values."""
    # images: the registry and pull secrets are in the Job's pod template too.
    probed = {"nfs": values["nfs"], "preflight": values["preflight"], "images": values["images"]}
    if values["driver"] != "nfs-subdir-external-provisioner":
        # The volume's source (nfs or the CSI driver) is immutable in its PersistentVolume.
        probed["driver"] = values["driver"]
    text = json.dumps(probed, sort_keys=True, ensure_ascii=True).encode("ascii")
    digest = hashlib.sha256(text + b"\0" + _template_bytes()).hexdigest()
    return JOB_PREFIX + digest[:10]
