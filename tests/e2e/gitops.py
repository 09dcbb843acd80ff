"""A fleet Git repository the way the README sets one up for Flux, and the harness's overrides.

The repository holds values/ (this project's fleet plus the tree under test), output/ exactly as
`nfs-gitops render --prune values/` writes it, and a Flux bootstrap folder clusters/e2e/: the
GitRepository and root Kustomization `flux bootstrap` would commit (flux-system/gotk-sync.yaml)
and the copy of the rendered entry point (nfs-storage.yaml), as README "Flux entry point" says.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .controllers import FLUX_NAMESPACE
from .engines import items
from .kubeapi import Kube, Obj
from .trees import REPO

BOOTSTRAP = Path("clusters") / "e2e"
ENTRY_POINT = BOOTSTRAP / "nfs-storage.yaml"
BRANCH = "main"


def install_flux_crds(kube: Kube, crds: list[Obj]) -> None:
    """Flux's CRDs, established, and its flux-system namespace: what `flux bootstrap` would put
    in the cluster before the controllers start."""
    for crd in crds:
        kube.apply(crd)
    for crd in crds:
        kube.wait_crd_established(crd["metadata"]["name"])
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": FLUX_NAMESPACE}})


def harness_patches(helm_repository_url: str) -> list[Obj]:
    """Everything the harness changes in what Flux applies, in this one place, with the reason
    (the only other stand-in is `stand_in_for_the_kubelet` below).

    Added as `spec.patches` to the bootstrap copy of the rendered entry point; the rendered tree
    in Git stays byte for byte what `render` wrote.
    - HelmRepository spec.url: the chart's repository is on the internet; the loopback one serves
      the same published archives.
    - HelmRelease install/upgrade disableWait: no scheduler or kubelet runs here, so the chart's
      Deployment never becomes available and Helm's wait would time out the release.
    """
    return [
        {
            "target": {"kind": "HelmRepository"},
            "patch": yaml.safe_dump(
                [{"op": "replace", "path": "/spec/url", "value": helm_repository_url}]
            ),
        },
        {
            "target": {"kind": "HelmRelease"},
            "patch": yaml.safe_dump(
                [
                    {"op": "add", "path": "/spec/install/disableWait", "value": True},
                    {"op": "add", "path": "/spec/upgrade/disableWait", "value": True},
                ]
            ),
        },
    ]


def stand_in_for_the_kubelet(kube: Kube) -> list[str]:
    """The other thing the harness does because no kubelet runs: a pod a Job created (the
    tree's preflight Job) is marked Succeeded, as a kubelet would after a clean run, so the Job
    controller completes the Job and Flux's `wait` health check sees it complete. The preflight
    script itself is tested against a real NFS server elsewhere (make e2e-nfs). Returns the pods
    marked."""
    marked = []
    for pod in items(kube, "v1", "Pod"):
        owners = pod["metadata"].get("ownerReferences") or []
        pending = (pod.get("status") or {}).get("phase", "Pending") == "Pending"
        if pending and any(o.get("kind") == "Job" for o in owners):
            meta = pod["metadata"]
            kube.request(
                "PATCH",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
                {"status": {"phase": "Succeeded"}},
                "application/merge-patch+json",
            )
            marked.append(f"{meta['namespace']}/{meta['name']}")
    return marked


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=nfs-gitops e2e",
            "-c",
            "user.email=e2e@nfs-gitops.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


class Fleet:
    """The working tree of the fleet repository; the Git server serves it as `<url>/fleet`."""

    def __init__(self, root: Path, cluster: str, git_url: str) -> None:
        self.dir = root / "fleet"
        self.cluster = cluster
        self.url = f"{git_url}/fleet"

    @property
    def values(self) -> Path:
        return self.dir / "values" / f"{self.cluster}.yaml"

    def create(self, tree_values: Path, helm_repository_url: str) -> str:
        """values/ of this project plus the tree's values file with the Flux entry point on;
        render; bootstrap folder; first commit. Returns the commit."""
        values = self.dir / "values"
        values.mkdir(parents=True)
        for path in sorted((REPO / "values").glob("*.yaml")):
            shutil.copy2(path, values / path.name)
        data: Any = yaml.safe_load(tree_values.read_text())
        gitops = data.setdefault("gitops", {})
        gitops.setdefault("flux", {})["kustomization"] = True
        self.values.write_text(yaml.safe_dump(data, sort_keys=False))
        git(self.dir, "init", "-q", "-b", BRANCH)
        self.render()
        rendered: Obj = yaml.safe_load(
            (self.dir / "output" / self.cluster / "flux-kustomization.yaml").read_text()
        )
        rendered["spec"]["patches"] = harness_patches(helm_repository_url)
        (self.dir / ENTRY_POINT).parent.mkdir(parents=True, exist_ok=True)
        (self.dir / ENTRY_POINT).write_text(yaml.safe_dump(rendered, sort_keys=False))
        sync = self.dir / BOOTSTRAP / "flux-system" / "gotk-sync.yaml"
        sync.parent.mkdir(parents=True)
        sync.write_text(yaml.safe_dump_all(self.bootstrap(), sort_keys=False))
        return self.commit("fleet with the nfs-gitops tree and its Flux entry point")

    def bootstrap(self) -> list[Obj]:
        """What `flux bootstrap` commits and applies: the fleet's GitRepository and the root
        Kustomization that applies the bootstrap folder (and so the entry point copy)."""
        return [
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": "flux-system", "namespace": "flux-system"},
                "spec": {"interval": "10s", "ref": {"branch": BRANCH}, "url": self.url},
            },
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "flux-system", "namespace": "flux-system"},
                "spec": {
                    "interval": "10m",
                    "path": f"./{BOOTSTRAP.as_posix()}",
                    "prune": True,
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                },
            },
        ]

    def render(self, *options: str) -> None:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "render",
                "--prune",
                *options,
                "values/",
                "--output-dir",
                "output",
            ],
            cwd=self.dir,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"render failed ({result.returncode}):\n{result.stderr}")

    def commit(self, message: str) -> str:
        git(self.dir, "add", "-A")
        git(self.dir, "commit", "-q", "-m", message)
        return git(self.dir, "rev-parse", "HEAD")

    def set_nfs_server(self, server: str) -> str:
        """A moved export, with the one-render opt-in the day-2 guard asks for (README "A moved
        export"): this cluster has no volumes yet, so none is at risk."""
        data: Any = yaml.safe_load(self.values.read_text())
        export(data)["server"] = server
        self.values.write_text(yaml.safe_dump(data, sort_keys=False))
        self.render("--allow-export-change")
        return self.commit(f"{self.cluster}: NFS server {server}")

    def change_reclaim_policy(self, policy: str, mechanism: bool) -> str:
        """An immutable StorageClass change (reclaimPolicy), rendered with the day-2 opt-in
        `--allow-recreate`. With `mechanism` false the force annotation it adds is taken out
        again before the commit: a tree that got past the guard (by hand), whose sync must
        fail."""
        data: Any = yaml.safe_load(self.values.read_text())
        data.setdefault("storageClass", {})["reclaimPolicy"] = policy
        if "exports" in data:  # the first export's class, where the single form has its own
            del data["storageClass"]
            data["exports"][0].setdefault("storageClass", {})["reclaimPolicy"] = policy
        self.values.write_text(yaml.safe_dump(data, sort_keys=False))
        self.render("--allow-recreate")
        if not mechanism:
            path = self.dir / "output" / self.cluster / "storageclass.yaml"
            kept = [
                line
                for line in path.read_text().splitlines(keepends=True)
                if "kustomize.toolkit.fluxcd.io/force" not in line
            ]
            assert len(kept) < len(path.read_text().splitlines()), "no force annotation"
            path.write_text("".join(kept))
        how = "with" if mechanism else "without"
        return self.commit(f"{self.cluster}: reclaimPolicy {policy} ({how} re-create)")

    def restore(self, commit: str) -> None:
        """Put values/ and output/ back as they were at `commit` (the fix for a bad commit:
        start again from the last good tree)."""
        git(self.dir, "checkout", commit, "--", "values", "output")

    def remove_cluster(self) -> str:
        """Delete the values file and render (which prunes the tree), and remove the entry point
        copy from the bootstrap folder, as README "Removing a cluster" and "Flux entry point"
        describe."""
        self.values.unlink()
        self.render()
        (self.dir / ENTRY_POINT).unlink()
        return self.commit(f"remove {self.cluster}")


def export(data: Any) -> Any:
    """The export the day-2 stages change: the single form's nfs, or the first of exports."""
    return data["exports"][0] if "exports" in data else data["nfs"]
