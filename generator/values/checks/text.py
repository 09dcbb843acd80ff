"""Text that would mean more than it says downstream: control characters, URL credentials,
Go template markers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.errors import Problem
from generator.values.checks.base import check, lookup, strings_at
from generator.values.document import Document, JsonPath


def _strings(data: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str, bool]]:
    """Every string in data, keys included: (path, text, is_key)."""
    if isinstance(data, str):
        yield path, data, False
    elif isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), key, True
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


@check("control-characters")
def no_control_characters(doc: Document) -> Iterator[Problem]:
    r"""Every value here is a name, an address or a path: one line of printable text.

    PASS:
        nfs: {path: /volume1/k8s}
    FAIL control-characters:
        nfs: {path: "/volume1\tk8s"}
    """
    for path, text, is_key in _strings(doc.data, ()):
        if not text.isprintable():
            yield doc.problem(
                path,
                "must not contain line breaks, tabs or other control characters",
                "control-characters",
                key=is_key,
            )


URL_KEYS: tuple[JsonPath, ...] = (
    ("chart", "repository"),
    ("gitops", "repoURL"),
    ("gitops", "argocd", "server"),
)


def url_credentials(url: str) -> bool:
    """Whether a URL carries a secret: any user part over http(s), a password over ssh."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return False  # git@host:path names a user, never a password
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    user, at, _ = authority.rpartition("@")
    if not at:
        return False
    return scheme.lower() != "ssh" or ":" in user


@check("url-credentials")
def no_credentials_in_urls(doc: Document) -> Iterator[Problem]:
    """URLs are committed to Git in the rendered tree, so they carry no secret.

    PASS:
        gitops: {repoURL: "ssh://git@git.example.com/infra.git"}
    FAIL url-credentials:
        gitops: {repoURL: "https://user:token@git.example.com/infra.git"}
    """
    for path, value in strings_at(doc, *URL_KEYS):
        if url_credentials(value):
            yield doc.problem(
                path,
                "carries credentials (user:token@); they would be committed to Git in the "
                "rendered tree; give them to Flux or Argo CD in a Secret instead",
                "url-credentials",
            )


# Values the ApplicationSet (goTemplate: true) holds: Argo CD would evaluate {{ ... }} in them.
APPLICATIONSET_KEYS: tuple[JsonPath, ...] = (("gitops", "repoURL"), ("gitops", "revision"))


@check("template-text")
def no_template_text(doc: Document) -> Iterator[Problem]:
    """No '{{' in what an Argo CD ApplicationSet evaluates as a Go template.

    PASS:
        gitops:
          engine: argocd
          argocd: {applicationSet: true}
          repoURL: "https://git.example.com/infra.git"
          revision: main
    FAIL template-text:
        gitops:
          engine: argocd
          argocd: {applicationSet: true}
          repoURL: "https://git.example.com/infra.git"
          revision: "{{ .branch }}"
    """
    engine = lookup(doc.data, ("gitops", "engine"))
    if engine != "argocd" or lookup(doc.data, ("gitops", "argocd", "applicationSet")) is not True:
        return
    for path, value in strings_at(doc, *APPLICATIONSET_KEYS):
        if "{{" in value:
            yield doc.problem(
                path,
                "holds '{{', which Argo CD evaluates as a Go template in the ApplicationSet",
                "template-text",
            )
