"""The takeover runbook `adopt` prints: hand a manual Helm release to the tree, losing nothing.

Why these steps (Helm 3 source, pkg/kube/client.go and pkg/action/uninstall.go): `helm upgrade`
skips deleting an object that drops out of the chart when the LIVE object carries
`helm.sh/resource-policy: keep`; `helm uninstall` only reads the annotation from the release's
stored manifest, so annotating live objects does not protect them from an uninstall. The manual
release is therefore first upgraded without its class and RBAC (kept, now the tree's), and only
then uninstalled, which removes just its Deployment and ServiceAccount.
"""

from __future__ import annotations

import shlex
import textwrap
from dataclasses import dataclass

from generator.drivers.nfs_subdir import DRIVER

KEEP = "helm.sh/resource-policy=keep"
# The kinds the tree re-declares, cluster-wide, under the names the chart gave them.
SHARED_KINDS = ("StorageClass", "ClusterRole", "ClusterRoleBinding")


@dataclass(frozen=True)
class Takeover:
    release: str
    namespace: str  # of the manual release
    cluster: str
    engine: str
    values_file: str
    output_dir: str
    tree_namespace: str
    provisioner: str
    chart_repository: str
    chart_version: str
    application: str
    flux_kustomization: str
    shared: dict[str, str]  # kind -> name, the objects both the release and the tree declare
    root_volume: str | None  # the chart's pv-<fullname>, made when nfs.mountOptions is set


def _cmd(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)


def _say(text: str, indent: str = "", then: str | None = None) -> list[str]:
    """Prose, wrapped at 100 columns; commands are never wrapped (they are copied whole)."""
    rest = indent if then is None else then
    return textwrap.wrap(
        text,
        100,
        initial_indent=indent,
        subsequent_indent=rest,
        break_on_hyphens=False,  # names stay whole
        break_long_words=False,
    )


def _run(*words: str, tail: str = "") -> str:
    """A command line of the runbook: `   $ ` then the command."""
    return "   $ " + _cmd(*words) + tail


def runbook(t: Takeover) -> str:
    kept = ", ".join(f"{kind} {name}" for kind, name in t.shared.items())
    tree = f"{t.output_dir}/{t.cluster}"
    lines = [
        f"Takeover runbook: Helm release {t.release} (namespace {t.namespace}) -> the "
        f"{t.engine} tree {tree}",
        "",
        *_say(
            f"The tree runs the provisioner in namespace {t.tree_namespace} with the same "
            f"provisioner name, {t.provisioner}, so existing volumes keep their provisioner, and "
            f"it declares these objects of the release under the same names: {kept}. Helm must "
            "never delete them, and the class must never be missing: its provisioner looks the "
            "class up to delete a volume."
        ),
        "",
        *_say(
            "1. Protect the objects the tree takes over (a `helm upgrade` skips deleting a live "
            "object annotated keep):",
            "",
            "   ",
        ),
    ]
    for kind, name in t.shared.items():
        lines.append(_run("kubectl", "annotate", kind.lower(), name, KEEP, "--overwrite"))
    lines += [
        "",
        "2. Render, review and commit the tree; let the engine apply it:",
        _run("nfs-gitops", "render", t.values_file, "--output-dir", t.output_dir),
        _run(
            "git",
            "add",
            t.values_file,
            tree,
            tail=f" && git commit -m 'nfs-gitops: adopt {t.release}' && git push",
        ),
    ]
    if t.engine == "flux":
        lines += [
            *_say(
                "Point a Flux Kustomization at the tree (gitops.flux.kustomization renders one), "
                "then:",
                "   ",
            ),
            _run("flux", "reconcile", "kustomization", t.flux_kustomization, "--with-source"),
            _run(
                "kubectl",
                "-n",
                t.tree_namespace,
                "wait",
                f"helmrelease/{t.release}",
                "--for=condition=Ready",
                "--timeout=10m",
            ),
        ]
    elif t.engine == "argocd":
        lines += [
            _run("kubectl", "apply", "-f", f"{tree}/application.yaml", tail="   # once"),
            _run("argocd", "app", "wait", t.application, "--health", "--timeout", "600"),
        ]
    else:
        lines += [
            _run(
                "kustomize",
                "build",
                "--enable-helm",
                tree,
                tail=" | kubectl apply --server-side --force-conflicts -f -",
            ),
            _run(
                "kubectl",
                "-n",
                t.tree_namespace,
                "rollout",
                "status",
                f"deployment/{t.release}",
                "--timeout=10m",
            ),
        ]
    lines += [
        *_say(
            f"The class and RBAC now carry the tree's fields; the new provisioner runs in "
            f"{t.tree_namespace}.",
            "   ",
        ),
        "",
        *_say(
            "3. Retire the manual release: the upgrade drops the class and RBAC from it without "
            "deleting them (step 1), then the uninstall removes only its Deployment and "
            "ServiceAccount:",
            "",
            "   ",
        ),
        _run(
            "helm",
            "upgrade",
            t.release,
            DRIVER.chart,
            "--repo",
            t.chart_repository,
            "--version",
            t.chart_version,
            "-n",
            t.namespace,
            "--reuse-values",
            "--set",
            "storageClass.create=false",
            "--set",
            "rbac.create=false",
        ),
        *_say(
            f"(--version: the chart version `helm list -n {t.namespace}` shows for the release, "
            "if not this one)",
            "   ",
        ),
        _run("helm", "uninstall", t.release, "-n", t.namespace),
        "",
        "4. Remove Helm's marks from the objects the tree now owns:",
    ]
    for kind, name in t.shared.items():
        lines.append(
            _run(
                "kubectl",
                "annotate",
                kind.lower(),
                name,
                "helm.sh/resource-policy-",
                "meta.helm.sh/release-name-",
                "meta.helm.sh/release-namespace-",
            )
        )
    lines += [
        "",
        *_say(
            "Skipping step 1 deletes the class and RBAC in step 3 until the engine applies them "
            "again; uninstalling first leaves the cluster without a provisioner and without the "
            "class."
        ),
    ]
    if t.root_volume:
        lines += [
            "",
            *_say(
                "WARNING: nfs.mountOptions is set, so the chart also makes the cluster-wide "
                f"PersistentVolume {t.root_volume} (and a claim of it): the new release cannot "
                "create it while the manual release owns it. This runbook does not cover that "
                "case."
            ),
        ]
    return "\n".join(lines) + "\n"
