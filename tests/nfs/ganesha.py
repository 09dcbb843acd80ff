"""A real NFS server for the tests: nfs-ganesha in userspace on 127.0.0.1, VFS exports.

The kernel here has no NFS server, but ganesha serves NFSv3 and v4.x from userspace. NFSv3 needs
rpcbind on port 111 (`rpcbind -w` works; `-h 127.0.0.1` crashed, so rpcbind itself listens on
every address while ganesha binds 127.0.0.1 only). `make e2e-nfs` installs the Debian packages
nfs-ganesha, nfs-ganesha-vfs and rpcbind; the fixture starts and stops both daemons itself.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ANONYMOUS_UID = 65534


@dataclass(frozen=True)
class ExportSpec:
    mode: int  # of the exported directory, owned by root
    squash: str  # ganesha Squash
    protocols: str = "3, 4"
    privileged_port: bool = False  # `secure`: clients must use a source port below 1024


EXPORTS = {
    # The three situations of the issue: root squash on a root-owned 0755 directory (mkdir
    # refused), on a 0777 directory (mkdir works as 65534, chown refused), and no root squash.
    "squash755": ExportSpec(0o755, "root_squash"),
    "squash777": ExportSpec(0o777, "root_squash"),
    "nosquash": ExportSpec(0o755, "no_root_squash"),
    # Linux knfsd's and Synology's default: only privileged source ports.
    "secure": ExportSpec(0o755, "no_root_squash", privileged_port=True),
    "v4only": ExportSpec(0o755, "no_root_squash", protocols="4"),
    "v3only": ExportSpec(0o755, "no_root_squash", protocols="3"),
}


def config(root: Path) -> str:
    blocks = [
        "NFS_CORE_PARAM {\n"
        "    Bind_addr = 127.0.0.1;\n"
        "    Protocols = 3, 4;\n"
        "    NFS_Port = 2049;\n"
        "    Enable_RQUOTA = false;\n"
        # v3 clients mount the same /name the v4 pseudo file system shows.
        "    Mount_Path_Pseudo = true;\n"
        "}\n"
        "NFSV4 { Graceless = true; Lease_Lifetime = 10; }\n"
        "NFS_KRB5 { Active_krb5 = false; }\n"
    ]
    for number, (name, spec) in enumerate(EXPORTS.items(), start=1):
        blocks.append(
            "EXPORT {\n"
            f"    Export_Id = {number};\n"
            f"    Path = {root / name};\n"
            f"    Pseudo = /{name};\n"
            "    Access_Type = RW;\n"
            f"    Squash = {spec.squash};\n"
            f"    Anonymous_Uid = {ANONYMOUS_UID};\n"
            f"    Anonymous_Gid = {ANONYMOUS_UID};\n"
            f"    Protocols = {spec.protocols};\n"
            f"    PrivilegedPort = {'true' if spec.privileged_port else 'false'};\n"
            "    SecType = sys;\n"
            "    Transports = TCP;\n"
            "    FSAL { Name = VFS; }\n"
            "}\n"
        )
    return "".join(blocks)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    root: Path
    log: Path

    def export_dir(self, name: str) -> Path:
        return self.root / name


def _need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise RuntimeError(f"{program} not found: run `make e2e-nfs`, which installs nfs-ganesha")
    return found


def _ready(timeout: float) -> None:
    """Wait until both the v3 MOUNT service (through rpcbind) and v4 answer."""
    import nfs_rs

    deadline = time.monotonic() + timeout
    while True:
        try:
            nfs_rs.list_exports("nfs://127.0.0.1/", connect_timeout=2, operation_timeout=2)
            with nfs_rs.Client.connect(
                "nfs://127.0.0.1/nosquash", versions=["4.1"], connect_timeout=2
            ):
                return
        except (nfs_rs.NfsError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def running_server() -> Iterator[Server]:
    """Start rpcbind (unless one runs) and ganesha; yield; stop what was started."""
    ganesha = _need("ganesha.nfsd")
    rpcbind = _need("rpcbind")
    if _listening(2049):
        raise RuntimeError("port 2049 is taken: stop the NFS server that runs on this machine")
    root = Path(tempfile.mkdtemp(prefix="nfs-gitops-ganesha-"))
    root.chmod(0o755)
    for name, spec in EXPORTS.items():
        (root / name).mkdir()
        (root / name).chmod(spec.mode)
    conf = root / "ganesha.conf"
    conf.write_text(config(root))
    log = root / "ganesha.log"
    started: list[subprocess.Popen[bytes]] = []
    try:
        if not _listening(111):
            started.append(subprocess.Popen([rpcbind, "-f", "-w"]))
            deadline = time.monotonic() + 10
            while not _listening(111):
                if time.monotonic() > deadline:
                    raise RuntimeError("rpcbind did not start listening on port 111")
                time.sleep(0.2)
        command = [ganesha, "-F", "-f", str(conf), "-L", str(log), "-p", str(root / "pid")]
        started.append(subprocess.Popen([*command, "-N", "NIV_EVENT"]))
        _ready(timeout=60)
        yield Server(root=root, log=log)
    finally:
        for process in reversed(started):
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)
