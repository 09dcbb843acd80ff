"""Where kubeconform's schemas are (the one owner of the schema-location templates: bench and
the tests import them) and where the pinned tools are."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from generator.errors import ToolMissing

# Where `make schemas` writes, from the repository root; lint looks for it in the working
# folder and its parents, so it is found from anywhere inside a clone.
SCHEMA_CACHE = Path(".cache") / "schemas"
# Built-in kinds: kubeconform's own layout (made from the pinned kubernetes-validate wheel).
K8S_LAYOUT = (
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
# Custom resources (Flux, Argo CD, CSI snapshots): the CRDs-catalog layout, made with
# controller-gen from the pinned upstream API modules (`make schemas`).
CRD_LAYOUT = "crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
K8S_SCHEMA_LOCATION = f"{SCHEMA_CACHE}/{K8S_LAYOUT}"
CRD_SCHEMA_LOCATION = f"{SCHEMA_CACHE}/{CRD_LAYOUT}"
# The online equivalents, for use outside a clone.
ONLINE_CRD_SCHEMA_LOCATION = (
    "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/"
    "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
)
ONLINE_HINT = (
    "outside an nfs-gitops clone pass the online schemas instead: "
    f"--schema-location default --schema-location '{ONLINE_CRD_SCHEMA_LOCATION}'"
)


def find_tool(name: str) -> str:
    """./bin/NAME (what `make tools` installs, pinned) first, then NAME on PATH."""
    local = Path("bin") / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} not found in ./bin or on PATH; run `make tools` (installs the pinned "
            f"kubeconform and kustomize into ./bin with Go) or put {name} on PATH"
        )
    return found


def schema_cache(start: Path | None = None) -> Path | None:
    """The `make schemas` cache in start (default: the working folder) or its nearest parent."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / SCHEMA_CACHE).is_dir():
            return folder / SCHEMA_CACHE
    return None


def default_schema_locations(start: Path | None = None) -> list[str]:
    """The offline schema locations of the clone start is in (relative when it is the working
    folder, so messages stay short); ToolMissing, saying what to do, when there is none."""
    cache = schema_cache(start)
    if cache is None:
        raise ToolMissing(
            f"no offline schemas: {SCHEMA_CACHE} is not in {Path.cwd()} or a parent folder; "
            f"in an nfs-gitops clone run `make schemas` at its root; {ONLINE_HINT}"
        )
    if cache.parent == Path.cwd().absolute():
        cache = SCHEMA_CACHE
    return [f"{cache}/{K8S_LAYOUT}", f"{cache}/{CRD_LAYOUT}"]


def check_schema_locations(locations: Sequence[str]) -> None:
    """Fail early, and clearly, when a local schema folder does not exist."""
    for location in locations:
        if location == "default" or re.match(r"^https?://", location):
            continue
        static = location.split("{{", 1)[0]
        if location.endswith("json"):
            folder = Path(static) if static.endswith("/") else Path(static).parent
        else:
            folder = Path(location)  # a base folder in kubeconform's own layout
        if not folder.is_dir():
            raise ToolMissing(
                f"schema location {location!r}: folder {folder} does not exist; "
                f"run `make schemas` at the root of the nfs-gitops clone; {ONLINE_HINT}"
            )
