"""Start etcd and kube-apiserver on loopback for the end-to-end tests, and stop them.

Certificates are made with the openssl command line: a throw-away CA, a serving certificate for
127.0.0.1, an admin client certificate in group system:masters, and a service-account key pair.
Several API servers can share one etcd, each under its own key prefix: every rendered tree gets a
cluster of its own, as it would in real life.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .kubeapi import ApiError, Kube

START_TIMEOUT = float(os.environ.get("E2E_START_TIMEOUT", "180"))


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    admin_cert: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path

    @classmethod
    def make(cls, folder: Path) -> Certs:
        folder.mkdir(parents=True, exist_ok=True)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl(
            "req",
            "-x509",
            *ec,
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=nfs-gitops-e2e-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder,
        )
        leaves = {
            "server": (
                "/CN=kube-apiserver",
                "serverAuth",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
            ),
            "admin": ("/O=system:masters/CN=nfs-gitops-e2e-admin", "clientAuth", ""),
        }
        for name, (subject, usage, extra) in leaves.items():
            openssl(
                "req",
                "-new",
                *ec,
                "-keyout",
                f"{name}.key",
                "-out",
                f"{name}.csr",
                "-subj",
                subject,
                cwd=folder,
            )
            (folder / f"{name}.ext").write_text(
                f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                f"extendedKeyUsage={usage}\n{extra}"
            )
            openssl(
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                f"{name}.ext",
                "-out",
                f"{name}.crt",
                cwd=folder,
            )
        openssl(
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "sa.key",
            cwd=folder,
        )
        openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=folder)
        return cls(
            folder / "ca.crt",
            folder / "server.crt",
            folder / "server.key",
            folder / "admin.crt",
            folder / "admin.key",
            folder / "sa.key",
            folder / "sa.pub",
        )

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(self.admin_cert), str(self.admin_key))
        return context


class Process:
    """A child process whose output goes to a log file; stopped by pid, never by name."""

    def __init__(
        self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            argv,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )

    def check_running(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise StartError(f"{self.name} exited with code {code}\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return f"--- last lines of {self.log} ---\n" + "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)
        self._log_file.close()


def wait_until(process: Process, probe: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        process.check_running()
        try:
            if ready():
                return
        except (OSError, ApiError) as error:
            last = str(error)
        time.sleep(0.25)
    raise StartError(
        f"{process.name} not ready at {probe} after {START_TIMEOUT:.0f}s "
        f"(last error: {last})\n{process.tail()}"
    )


Launch = tuple[list[str], str, Callable[[], bool]]  # argv, readiness URL, readiness probe


def start(
    name: str,
    log: Path,
    launch: Callable[[int], Launch],
    attempts: int = 3,
    env: dict[str, str] | None = None,
) -> Process:
    """Start a server and wait until it is ready. Ports are picked free but may be taken by the
    time the server binds them; then `launch` is asked for a fresh set (attempt 1, 2, ...)."""
    for attempt in range(attempts):
        argv, probe, ready = launch(attempt)
        process = Process(name, argv, log, env)
        try:
            wait_until(process, probe, ready)
            return process
        except StartError as error:
            process.stop()
            if "address already in use" not in str(error) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def etcd(binary: Path, folder: Path) -> Iterator[str]:
    """Run a single-member etcd on loopback; yields its client URL."""
    folder.mkdir(parents=True, exist_ok=True)
    urls: list[str] = []

    def launch(attempt: int) -> Launch:
        client = f"http://127.0.0.1:{free_port()}"
        peer = f"http://127.0.0.1:{free_port()}"
        urls.append(client)
        argv = [
            str(binary),
            "--name=e2e",
            f"--data-dir={folder / f'data-{attempt}'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=e2e={peer}",
            "--initial-cluster-state=new",
            "--unsafe-no-fsync",  # throw-away data
            "--log-level=warn",
        ]

        def healthy() -> bool:
            with urllib.request.urlopen(f"{client}/health", timeout=5) as reply:
                return b'"true"' in reply.read()

        return argv, f"{client}/health", healthy

    process = start("etcd", folder / "etcd.log", launch)
    try:
        yield urls[-1]
    finally:
        process.stop()


@dataclass(frozen=True)
class ApiServer:
    url: str
    certs: Certs
    log: Path

    def client(self) -> Kube:
        return Kube(self.url, self.certs.client_context())


@contextmanager
def kube_apiserver(
    binary: Path, etcd_url: str, prefix: str, certs: Certs, folder: Path
) -> Iterator[ApiServer]:
    """Run a kube-apiserver with RBAC, DefaultStorageClass and PodSecurity; waits for /readyz."""
    folder.mkdir(parents=True, exist_ok=True)
    servers: list[ApiServer] = []

    def launch(attempt: int) -> Launch:
        port = free_port()
        server = ApiServer(f"https://127.0.0.1:{port}", certs, folder / "kube-apiserver.log")
        servers.append(server)
        argv = [
            str(binary),
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",  # a loopback address may not go into Endpoints
            f"--secure-port={port}",
            f"--etcd-servers={etcd_url}",
            f"--etcd-prefix={prefix}",
            f"--tls-cert-file={certs.server_cert}",
            f"--tls-private-key-file={certs.server_key}",
            f"--client-ca-file={certs.ca}",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",  # as kubeadm and every real cluster set it
            "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultStorageClass,"
            "PodSecurity",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={certs.sa_pub}",
            f"--service-account-signing-key-file={certs.sa_key}",
            "--service-cluster-ip-range=10.96.0.0/24",
            f"--cert-dir={folder / 'certs'}",
            "--profiling=false",
        ]
        kube = server.client()

        def ready() -> bool:
            code, body = kube.raw("GET", "/readyz", timeout=5)
            return code == 200 and body.strip() == b"ok"

        return argv, f"{server.url}/readyz", ready

    process = start("kube-apiserver", folder / "kube-apiserver.log", launch)
    try:
        yield servers[-1]
    finally:
        process.stop()
