"""Loopback servers the GitOps engines read from: a Helm chart repository and a Git server.

Both listen on 127.0.0.1 on a free port, in a thread of the test process. The Helm repository is
a folder of the pinned chart archives (one per driver: nfs-subdir-external-provisioner,
csi-driver-nfs) with the index.yaml `helm repo index` writes; the Git server speaks
smart HTTP through `git http-backend` (CGI), so source-controller clones it as it would GitHub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ChartPin:
    """A chart a tree installs, at the version the product pins for its driver."""

    chart: str
    repository: str
    version: str

    @property
    def archive(self) -> str:
        """The published archive's file name (what `helm package` and E2E_CHARTS hold)."""
        return f"{self.chart}-{self.version}.tgz"


class ChartsError(RuntimeError):
    pass


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def chart_archives(
    helm: Path, charts: Path | None, pins: Sequence[ChartPin], workdir: Path
) -> list[Path]:
    """The archive of every pinned chart: from E2E_CHARTS when given, else pulled from the
    chart's own repository (online)."""
    if charts is not None:
        missing = [pin.archive for pin in pins if not (charts / pin.archive).is_file()]
        if missing:
            raise ChartsError(
                f"E2E_CHARTS={charts} holds no {', '.join(missing)} "
                "(the chart versions the drivers pin: values/_defaults.yaml, schema defaults)"
            )
        return [charts / pin.archive for pin in pins]
    pulled = workdir / "pulled"
    pulled.mkdir(parents=True, exist_ok=True)
    for pin in pins:
        argv = [str(helm), "pull", pin.chart, "--repo", pin.repository, "--version", pin.version]
        result = subprocess.run(
            [*argv, "-d", str(pulled)],
            capture_output=True,
            text=True,
            env=helm_env(workdir / "helm-home"),
        )
        if result.returncode != 0:
            raise ChartsError(
                f"cannot pull {pin.chart} {pin.version} from {pin.repository} "
                f"({result.stderr.strip()}); offline, pass the folder of published chart "
                "archives: make e2e E2E_CHARTS=/path/to/charts"
            )
    return [pulled / pin.archive for pin in pins]


def helm_env(home: Path) -> dict[str, str]:
    """helm's environment with its cache, configuration and data under `home`, not ~."""
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


@contextmanager
def helm_repository(helm: Path, archives: Sequence[Path], workdir: Path) -> Iterator[str]:
    """Serve the chart archives as one Helm repository (index.yaml lists every chart); yields
    its URL."""
    root = workdir / "helm-repository"
    root.mkdir(parents=True, exist_ok=True)
    for archive in sorted(archives):
        shutil.copy2(archive, root / archive.name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(root)))
    with serving(server) as url:
        subprocess.run(
            [str(helm), "repo", "index", str(root), "--url", url],
            check=True,
            capture_output=True,
            env=helm_env(workdir / "helm-home"),
        )
        yield url


class _GitBackend(BaseHTTPRequestHandler):
    """Runs `git http-backend` for each request, as a web server's CGI would."""

    project_root: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._cgi(b"")

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while size := int(self.rfile.readline().strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            self._cgi(bytes(body))
        else:
            self._cgi(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _cgi(self, body: bytes) -> None:
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        if result.returncode != 0 and status == 200:
            status = 500
            payload = result.stderr
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def git_server(project_root: Path) -> Iterator[str]:
    """Serve every repository under `project_root` over smart HTTP (read-only use); yields the
    base URL: a repository at project_root/fleet is `<url>/fleet`."""
    handler = type("GitBackend", (_GitBackend,), {"project_root": project_root})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url
