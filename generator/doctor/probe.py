"""`nfs-gitops doctor`: probe each cluster's export from this machine as the provisioner uses it.

A userspace NFS client (the optional nfs-rs package) talks to the server directly: no mount, no
root. It sends AUTH_SYS uid 0 like the provisioner, so the server applies its root squash; only
the source port differs: as non-root the client cannot bind a port below 1024, which `secure`
exports (Linux knfsd's and Synology's default) require. That case is reported on its own
(secure-export), never as a pass or a failure of the export.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING

from generator.doctor.checks import (
    FAIL,
    NFS_PORT,
    NOT_CHECKED,
    PASS,
    PREFERRED,
    SPOKEN,
    Check,
    Export,
    _why,
)
from generator.doctor.squash import SquashProbe

if TYPE_CHECKING:
    from nfs_rs import Client


class Doctor(SquashProbe):
    """Runs the checks of one export; each step yields its Check lines."""

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
