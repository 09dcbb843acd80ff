"""doctor's root-squash checks: mkdir as uid 0, the owner read back, chmod, chown, clean up."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from generator.doctor.checks import CHOWN_TO, FAIL, PASS, WARN, Check, Probe, _why

if TYPE_CHECKING:
    from nfs_rs import Client


class SquashProbe(Probe):
    """The checks that write on the export (as root, so the server's squash applies)."""

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
