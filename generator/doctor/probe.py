"""`nfs-gitops doctor`: probe each cluster's export from this machine as the provisioner uses it.

A userspace NFS client (the optional nfs-rs package) talks to the server directly: no mount, no
root. It sends AUTH_SYS uid 0 like the provisioner, so the server applies its root squash; only
the source port differs: as non-root the client cannot bind a port below 1024, which `secure`
exports (Linux knfsd's and Synology's default) require. That case is reported on its own
(secure-export), never as a pass or a failure of the export.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.errors import NfsGitopsError

if TYPE_CHECKING:
    from nfs_rs import Client

PASS, WARN, FAIL, NOT_CHECKED = "pass", "warn", "fail", "not checked"
SPOKEN = ("3", "4.0", "4.1")  # the NFS versions nfs-rs speaks
PREFERRED = ("4.1", "4.0", "3")  # probe order when nfsvers is not set (newest first, like mount)
NFS_PORT = 2049
CHOWN_TO = 1000  # any uid other than root and the anonymous uid
INSTALL_HINT = "pip install 'nfs-gitops[doctor]'"


class ExtraMissing(NfsGitopsError):
    """doctor needs the optional NFS client library."""

    code = "doctor-extra-missing"


@dataclass(frozen=True)
class Check:
    """One line of the report; code names the finding (stable, for scripts), fix is "" on pass."""

    cluster: str
    export: str
    check: str
    status: str
    code: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Export:
    cluster: str
    server: str
    path: str
    mount_options: tuple[str, ...]
    require_chown: bool

    @property
    def host(self) -> str:
        """The server as a URL or export name writes it (an IPv6 address in brackets)."""
        return f"[{self.server}]" if ":" in self.server else self.server

    @property
    def name(self) -> str:
        return f"{self.host}:{self.path}"

    def option(self, name: str) -> str | None:
        """The last value of a `name=value` mount option (vers is nfsvers), like mount.nfs."""
        found = None
        for option in self.mount_options:
            key, _, value = option.partition("=")
            if (key == "vers" and name == "nfsvers") or key == name:
                found = value
        return found

    @property
    def asked_version(self) -> str | None:
        """The NFS version nfsvers (and minorversion) ask for; None lets the client negotiate."""
        version = self.option("nfsvers")
        minor = self.option("minorversion")
        if version == "4" and minor is not None:
            return f"4.{minor}"
        return version


def export_of(values: dict[str, Any]) -> Export:
    nfs = values["nfs"]
    preflight = values.get("preflight") or {}
    return Export(
        cluster=values["cluster"],
        server=nfs["server"],
        path=nfs["path"],
        mount_options=tuple(nfs.get("mountOptions") or ()),
        require_chown=bool(preflight.get("requireChown", False)),
    )


def nfs_client() -> Any:
    """The nfs_rs module, or ExtraMissing saying how to install it."""
    try:
        import nfs_rs
    except ImportError as exc:
        raise ExtraMissing(
            f"doctor needs the optional NFS client library nfs-rs ({exc}); install it with: "
            f"{INSTALL_HINT}"
        ) from exc
    return nfs_rs


def _why(exc: BaseException) -> str:
    code = getattr(exc, "code_name", None)
    text = str(exc) or type(exc).__name__
    return f"{text} [{code}]" if code and code not in text else text


class Doctor:
    """Runs the checks of one export; each step yields its Check lines."""

    def __init__(self, export: Export, *, timeout: float, privileged: bool) -> None:
        self.export = export
        self.timeout = timeout
        self.privileged = privileged
        self.nfs = nfs_client()
        self.clients: dict[str, Client] = {}

    def line(self, check: str, status: str, code: str, detail: str, fix: str = "") -> Check:
        return Check(self.export.cluster, self.export.name, check, status, code, detail, fix)

    def skipped(self, checks: tuple[str, ...], why: str) -> Iterator[Check]:
        for check in checks:
            yield self.line(check, NOT_CHECKED, "not-reached", why)

    def connect(self, version: str) -> Client:
        port = self.export.option("port")
        mount_port = self.export.option("mountport")
        client: Client = self.nfs.Client.connect(
            f"nfs://{self.export.host}/{self.export.path.lstrip('/')}",
            versions=[version],
            uid=0,
            gid=0,
            nfs_port=int(port) if port and port != "0" else None,
            mount_port=int(mount_port) if mount_port and mount_port != "0" else None,
            noresvport=not self.privileged,
            connect_timeout=self.timeout,
            operation_timeout=self.timeout,
        )
        return client

    def run(self) -> Iterator[Check]:
        later = ("mount", "versions", "root-squash", "chmod", "chown", "cleanup")
        reached = yield from self.reachable()
        if not reached:
            yield from self.skipped(later, "the server is not reachable")
            return
        clients, errors = self.try_versions()
        self.clients = clients
        try:
            usable = [v for v in PREFERRED if v in clients]
            yield from self.mounted(usable, errors)
            if not usable:
                yield from self.skipped(later[1:], "the export could not be mounted")
                return
            yield from self.versions(usable)
            yield from self.root_squash(clients[self.probe_version(usable)])
        finally:
            for client in clients.values():
                client.close()

    def reachable(self) -> Generator[Check, None, bool]:
        port = int(self.export.option("port") or 0) or NFS_PORT
        try:
            with socket.create_connection((self.export.server, port), timeout=self.timeout):
                pass
        except OSError as exc:
            yield self.line(
                "reachable",
                FAIL,
                "unreachable",
                f"no TCP connection to {self.export.server} port {port}: {exc}",
                "check the server name or address, that the NFS service runs, and the firewalls "
                "between this machine and the server",
            )
            return False
        yield self.line(
            "reachable", PASS, "reachable", f"{self.export.server} port {port} accepts TCP"
        )
        return True

    def try_versions(self) -> tuple[dict[str, Client], dict[str, BaseException]]:
        clients: dict[str, Client] = {}
        errors: dict[str, BaseException] = {}
        for version in SPOKEN:
            try:
                clients[version] = self.connect(version)
            except (self.nfs.NfsError, OSError) as exc:
                errors[version] = exc
        return clients, errors

    def port_kind(self) -> str:
        return "a privileged" if self.privileged else "an unprivileged"

    def mounted(self, usable: list[str], errors: dict[str, BaseException]) -> Iterator[Check]:
        if usable:
            yield self.line(
                "mount",
                PASS,
                "mountable",
                f"{self.export.name} mounts for this client (NFSv{', v'.join(sorted(usable))}) "
                f"from {self.port_kind()} source port",
            )
            return
        reasons = "; ".join(f"v{v}: {_why(exc)}" for v, exc in sorted(errors.items()))
        if not self.privileged and self.listed():
            yield self.line(
                "mount",
                NOT_CHECKED,
                "secure-export",
                f"secure export: the server lists {self.export.path} but refuses this "
                f"unprivileged source port ({reasons}). Nodes mount from privileged ports, so "
                "this is no problem for the cluster, but nothing more can be checked from here",
                "run doctor as root (it then uses a port below 1024; that also tells a `secure` "
                "export from one the server lists but limits to other addresses), or export it "
                "with `insecure` if unprivileged clients should mount it",
            )
            return
        hint = (
            "; as non-root doctor uses an unprivileged source port: a `secure` export refuses it"
            if not self.privileged
            else ""
        )
        yield self.line(
            "mount",
            FAIL,
            "mount-failed",
            f"{self.export.name} does not mount for this client: {reasons}",
            "check that the server exports exactly this path to this machine's address "
            f"(exportfs -v, showmount -e){hint}",
        )

    def listed(self) -> bool:
        """Whether the server's MOUNT service lists the export (it answers unprivileged ports)."""
        try:
            exports = self.nfs.list_exports(
                f"nfs://{self.export.host}/",
                noresvport=True,
                connect_timeout=self.timeout,
                operation_timeout=self.timeout,
            )
        except (self.nfs.NfsError, OSError):
            return False
        return any(entry.path.rstrip("/") == self.export.path.rstrip("/") for entry in exports)

    def versions(self, usable: list[str]) -> Iterator[Check]:
        offered = f"offered: NFSv{', v'.join(sorted(usable))}"
        asked = self.export.asked_version
        if asked is None:
            yield self.line(
                "versions",
                PASS,
                "versions-negotiated",
                f"{offered}; nfsvers is not set, so the nodes take the newest version both "
                "sides speak (4.2, which this client cannot test, comes first)",
            )
        elif asked == "4":
            if any(v.startswith("4") for v in usable):
                yield self.line("versions", PASS, "version-offered", f"nfsvers=4 asked; {offered}")
            else:  # v4.2 only would look the same: this client cannot tell
                yield self.line(
                    "versions",
                    NOT_CHECKED,
                    "version-not-spoken",
                    f"nfsvers=4 asked; the server offers neither v4.0 nor v4.1 to this client "
                    f"({offered}), and v4.2 this client cannot speak",
                    "check NFSv4 on the server (for example with a test mount on a node), or "
                    "set nfsvers to an offered version",
                )
        elif asked not in SPOKEN:
            yield self.line(
                "versions",
                NOT_CHECKED,
                "version-not-spoken",
                f"nfsvers={asked} asked; this client speaks NFSv3, v4.0 and v4.1 only, so it "
                f"cannot tell whether the server offers it ({offered})",
                f"check NFSv{asked} on the server (for example with a test mount on a node)",
            )
        elif asked in usable:
            yield self.line(
                "versions", PASS, "version-offered", f"nfsvers={asked} asked; {offered}"
            )
        else:
            yield self.line(
                "versions",
                FAIL,
                "version-not-offered",
                f"nfsvers={asked} asked, but the server does not offer it to this client "
                f"({offered})",
                f"set nfsvers in nfs.mountOptions to an offered version, or enable NFSv{asked} "
                "on the server",
            )

    def probe_version(self, usable: list[str]) -> str:
        asked = self.export.asked_version
        if asked in usable:
            return asked
        if asked == "4":
            return next((v for v in usable if v.startswith("4")), usable[0])
        return usable[0]

    def root_squash(self, client: Client) -> Iterator[Check]:
        nfs = self.nfs
        probe = f".nfs-gitops-doctor-{os.getpid()}"
        version = f"over NFSv{client.version.value}"
        try:
            client.mkdir(probe, mode=0o777)
        except nfs.NfsError as exc:
            yield self.mkdir_refused(client, exc, version)
            yield from self.skipped(("chmod", "chown", "cleanup"), "no probe directory")
            return
        try:
            owner = client.stat(probe).uid
        except nfs.NfsError as exc:
            yield self.line("root-squash", FAIL, "stat-failed", f"stat of the probe: {_why(exc)}")
            yield from self.cleanup(client, probe)
            return
        squashed = owner != 0
        if squashed:
            yield self.line(
                "root-squash",
                PASS,
                "root-squash-writable",
                f"a directory made as uid 0 belongs to uid {owner} {version}: root is "
                f"squashed to uid {owner}, which can write the export, so the provisioner "
                f"works and its volume directories belong to uid {owner}",
            )
        else:
            yield self.line(
                "root-squash",
                PASS,
                "no-root-squash",
                f"a directory made as uid 0 belongs to uid 0 {version}: root is not squashed",
            )
        yield from self.chmod(client, probe)
        yield from self.chown(client, probe, squashed)
        yield from self.cleanup(client, probe)

    def mkdir_refused(self, client: Client, exc: BaseException, version: str) -> Check:
        where = self.export_dir_info([client, *self.clients.values()])
        if isinstance(exc, PermissionError):
            return self.line(
                "root-squash",
                FAIL,
                "root-squash-denied",
                f"mkdir as uid 0 refused {version} ({_why(exc)}; {where}): the server maps root "
                "to an anonymous uid that cannot write the export directory, so the provisioner "
                "cannot create volume directories",
                "export it with no_root_squash for the node addresses, or make the export "
                "directory owned by or writable for the anonymous uid (on the server: chown "
                "65534:65534 DIR, or chmod 0777 DIR)",
            )
        read_only = getattr(exc, "errno", None) == errno.EROFS
        return self.line(
            "root-squash",
            FAIL,
            "read-only" if read_only else "mkdir-failed",
            f"mkdir as uid 0 failed {version}: {_why(exc)} ({where})",
            "export it read-write (rw) for the node addresses"
            if read_only
            else "check the export's options and permissions on the server",
        )

    def export_dir_info(self, clients: list[Client]) -> str:
        """Owner and mode of the export directory, from the first client that can stat it
        (nfs-rs 0.8.7 cannot stat the export root over NFSv4.1: NFS4ERR_BADNAME)."""
        problem = "no client"
        for client in clients:
            try:
                info = client.stat(".")
            except self.nfs.NfsError as exc:
                problem = _why(exc)
                continue
            return f"export directory owner uid {info.uid}, mode {info.mode & 0o7777:o}"
        return f"export directory owner unknown: {problem}"

    def chmod(self, client: Client, probe: str) -> Iterator[Check]:
        try:
            client.chmod(probe, 0o777)
        except self.nfs.NfsError as exc:
            yield self.line(
                "chmod",
                FAIL,
                "chmod-refused",
                f"chmod 0777 of the probe directory refused: {_why(exc)}; the provisioner "
                "makes every volume directory 0777",
                "export it with no_root_squash, or make the export directory owned by the "
                "anonymous uid",
            )
            return
        yield self.line("chmod", PASS, "chmod", "chmod 0777 of the probe directory works")

    def chown(self, client: Client, probe: str, squashed: bool) -> Iterator[Check]:
        try:
            client.chown(probe, CHOWN_TO, CHOWN_TO)
        except self.nfs.NfsError as exc:
            if not squashed:
                yield self.line(
                    "chown",
                    FAIL,
                    "chown-refused",
                    f"chown to {CHOWN_TO}:{CHOWN_TO} refused although root is not squashed: "
                    f"{_why(exc)}",
                    "check all_squash, anonuid and ACLs of the export on the server",
                )
                return
            required = " (preflight.requireChown is true)" if self.export.require_chown else ""
            yield self.line(
                "chown",
                FAIL if self.export.require_chown else WARN,
                "chown-refused",
                f"chown to {CHOWN_TO}:{CHOWN_TO} refused under root squash: {_why(exc)}. The "
                "provisioner never chowns, but images that chown their data at start fail"
                + required,
                "export it with no_root_squash for the node addresses",
            )
            return
        yield self.line("chown", PASS, "chown", f"chown to {CHOWN_TO}:{CHOWN_TO} works")

    def cleanup(self, client: Client, probe: str) -> Iterator[Check]:
        try:
            client.rmdir(probe)
        except self.nfs.NfsError as exc:
            yield self.line(
                "cleanup",
                FAIL,
                "cleanup-failed",
                f"removing the probe directory {probe} failed: {_why(exc)}; the provisioner "
                "could not delete volumes either",
                f"check the export's permissions; remove {probe} on the server",
            )
            return
        yield self.line("cleanup", PASS, "cleanup", "probe directory removed")


def diagnose(
    exports: list[Export],
    *,
    timeout: float = 10.0,
    privileged: bool | None = None,
    each: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Every check of every export, in order; each (if given) sees a line as soon as it is known."""
    root = os.geteuid() == 0 if privileged is None else privileged
    results: list[Check] = []
    for export in exports:
        for line in Doctor(export, timeout=timeout, privileged=root).run():
            results.append(line)
            if each is not None:
                each(line)
    return results


def text_line(check: Check) -> str:
    fix = f" Fix: {check.fix}." if check.fix else ""
    return (
        f"{check.status:<11}  {check.cluster}  {check.export}  {check.check}: {check.detail}.{fix}"
    )
