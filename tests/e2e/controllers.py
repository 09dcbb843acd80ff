"""Controllers run out of cluster against an e2e kube-apiserver: kube-controller-manager and the
Flux controllers (source-controller, kustomize-controller, helm-controller).

Each reads the API server from a kubeconfig (KUBECONFIG, as Flux takes no --kubeconfig flag) with
the admin client certificate, binds its metrics and health endpoints to free loopback ports and
runs without leader election. `make e2e` builds them into .cache/e2e/bin and .cache/flux/bin.
"""

from __future__ import annotations

import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .cluster import ApiServer, Launch, Process, free_port, start

FLUX_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller")
# Where kustomize-controller and helm-controller expect Flux to run (and look for sources).
FLUX_NAMESPACE = "flux-system"


def kubeconfig(server: ApiServer, path: Path) -> Path:
    certs = server.certs
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster:
      server: {server.url}
      certificate-authority: {certs.ca}
users:
  - name: admin
    user:
      client-certificate: {certs.admin_cert}
      client-key: {certs.admin_key}
contexts:
  - name: e2e
    context: {{cluster: e2e, user: admin}}
current-context: e2e
"""
    )
    return path


def _healthz(url: str, context: ssl.SSLContext | None = None) -> bool:
    with urllib.request.urlopen(url, timeout=5, context=context) as reply:
        return int(reply.status) == 200


def _answers(url: str) -> bool:
    """An HTTP server answers at `url`, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True


@contextmanager
def kube_controller_manager(binary: Path, server: ApiServer, folder: Path) -> Iterator[Process]:
    """Namespace finalization, garbage collection, Jobs, ReplicaSets, DaemonSet status, PV
    binding: every default controller, with the API server's service-account key."""
    folder.mkdir(parents=True, exist_ok=True)
    config = kubeconfig(server, folder / "kubeconfig")

    def launch(attempt: int) -> Launch:
        port = free_port()
        argv = [
            str(binary),
            f"--kubeconfig={config}",
            f"--authentication-kubeconfig={config}",
            f"--authorization-kubeconfig={config}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={folder / 'certs'}",
            f"--service-account-private-key-file={server.certs.sa_key}",
            f"--root-ca-file={server.certs.ca}",
            "--use-service-account-credentials=false",
            "--controllers=*",
        ]
        url = f"https://127.0.0.1:{port}/healthz"
        # Its serving certificate is self-signed (in --cert-dir); /healthz needs no client.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return argv, url, lambda: _healthz(url, context)

    process = start("kube-controller-manager", folder / "kube-controller-manager.log", launch)
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def flux(bin_dir: Path, server: ApiServer, folder: Path) -> Iterator[dict[str, Process]]:
    """Start the three Flux controllers; yields them by name once each is healthy."""
    folder.mkdir(parents=True, exist_ok=True)
    config = kubeconfig(server, folder / "kubeconfig")
    # A temporary folder of their own: kustomize-controller builds in TMPDIR, and a shared /tmp
    # may be swept by other processes mid-build.
    tmp = folder / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "KUBECONFIG": str(config),
        "RUNTIME_NAMESPACE": FLUX_NAMESPACE,
        "TMPDIR": str(tmp),
    }
    processes: dict[str, Process] = {}
    with ExitStack() as stack:
        for name in FLUX_CONTROLLERS:

            def launch(attempt: int, name: str = name) -> Launch:
                health, metrics = free_port(), free_port()
                argv = [
                    str(bin_dir / name),
                    "--enable-leader-election=false",
                    f"--metrics-addr=127.0.0.1:{metrics}",
                    f"--health-addr=127.0.0.1:{health}",
                    "--log-level=debug",
                ]
                # Every port it binds must answer before it counts as started: a port taken in
                # the meantime makes it exit ("address already in use"), and start() then tries
                # fresh ports, which it cannot once readiness passed.
                served = [f"http://127.0.0.1:{metrics}/metrics"]
                if name == "source-controller":
                    (folder / "artifacts").mkdir(exist_ok=True)  # it must exist
                    storage = free_port()
                    argv += [
                        f"--storage-path={folder / 'artifacts'}",
                        f"--storage-addr=127.0.0.1:{storage}",
                        f"--storage-adv-addr=127.0.0.1:{storage}",
                    ]
                    served.append(f"http://127.0.0.1:{storage}/")
                url = f"http://127.0.0.1:{health}/readyz"
                return argv, url, lambda: _healthz(url) and all(map(_answers, served))

            process = start(name, folder / f"{name}.log", launch, env=env)
            stack.callback(process.stop)
            processes[name] = process
        yield processes
