"""Run the preflight Job's own script (taken from a rendered Job) against a local directory."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.model import build_model
from generator.render import render

SQUASHED_UID = 65534  # what root_squash maps root to (Anonymous_Uid / anonuid)


def rendered_job(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "cluster": "probe",
        "nfs": {"server": "192.168.169.3", "path": "/data/K8s"},
        **(extra or {}),
    }
    files = render(build_model(values, "values/probe.yaml"))
    [job] = [doc for doc in yaml.safe_load_all(files["preflight.yaml"]) if doc["kind"] == "Job"]
    assert isinstance(job, dict)
    return job


def script(job: dict[str, Any]) -> str:
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/bin/sh", "-c"]
    text: str = container["args"][0]
    return text


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    message: str  # what the kubelet would report as the termination message


def run_probe(
    export_dir: Path,
    message_dir: Path,
    *,
    squashed: bool,
    job: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    shell: str = "/bin/sh",
) -> Outcome:
    """Run the Job's script with export_dir as the mounted export.

    squashed runs it as uid 65534, which is what a server with root_squash makes of root.
    """
    job = job or rendered_job()
    container = job["spec"]["template"]["spec"]["containers"][0]
    job_env = {item["name"]: item["value"] for item in container["env"]}
    message = message_dir / "termination-log"
    message.unlink(missing_ok=True)
    full_env = {
        "PATH": os.environ["PATH"],
        **job_env,
        "PREFLIGHT_MOUNT": str(export_dir),
        "PREFLIGHT_MESSAGE": str(message),
        "HOSTNAME": "nfs-preflight-test",
        **(env or {}),
    }
    prefix = (
        ["setpriv", f"--reuid={SQUASHED_UID}", f"--regid={SQUASHED_UID}", "--clear-groups"]
        if squashed
        else []
    )
    done = subprocess.run(
        [*prefix, shell, "-c", script(job)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    text = message.read_text(encoding="utf-8") if message.exists() else ""
    return Outcome(done.returncode, done.stdout, text)


BUSYBOX_APPLETS = ("sh", "mkdir", "chmod", "chown", "stat", "rm", "printf", "flock")


def busybox_path(busybox: str, into: Path) -> Path:
    """A folder of busybox applets (what the Job's image has), first on PATH; applets this
    busybox build lacks (Debian's has no flock) fall through to the system's."""
    into.mkdir()
    into.chmod(0o755)
    listed = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True)
    have = set(listed.stdout.split())
    for applet in BUSYBOX_APPLETS:
        if applet in have:
            (into / applet).symlink_to(busybox)
    return into
