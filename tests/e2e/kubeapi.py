"""A minimal Kubernetes API client over urllib, enough for the end-to-end tests.

It speaks JSON to the API server with a client certificate, resolves kinds to resources through
discovery, and does server-side apply (PATCH with application/apply-patch+yaml; JSON is YAML).
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

FIELD_MANAGER = "nfs-gitops-e2e"


class ApiError(Exception):
    """The API server answered with an HTTP error; `status` is the Status object when sent."""

    def __init__(self, method: str, path: str, code: int, body: str) -> None:
        self.method = method
        self.path = path
        self.code = code
        try:
            self.status: Obj = json.loads(body)
        except ValueError:
            self.status = {}
        self.message = str(self.status.get("message", body.strip()))
        self.reason = str(self.status.get("reason", ""))
        super().__init__(f"{method} {path}: HTTP {code} {self.reason}: {self.message}")


@dataclass(frozen=True)
class Resource:
    group_version: str
    plural: str
    namespaced: bool

    def collection(self, namespace: str | None) -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced:
            if not namespace:
                raise ValueError(f"{self.plural} is namespaced: a namespace is needed")
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


class Kube:
    def __init__(self, server: str, context: ssl.SSLContext) -> None:
        self.server = server.rstrip("/")
        self.context = context
        self._resources: dict[tuple[str, str], Resource] = {}

    # -- transport -------------------------------------------------------------------------
    def raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        # 429 with Retry-After (for example "storage is (re)initializing" while the watch
        # cache of a newly established CRD fills) is retried, as client-go does, a few times.
        for attempt in range(10):
            try:
                with urllib.request.urlopen(
                    request, context=self.context, timeout=timeout
                ) as reply:
                    return int(reply.status), bytes(reply.read())
            except urllib.error.HTTPError as error:
                text = error.read().decode(errors="replace")
                wait = error.headers.get("Retry-After")
                if error.code != 429 or wait is None or attempt == 9:
                    raise ApiError(method, path, error.code, text) from None
                time.sleep(min(float(wait), 5.0))
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        path: str,
        obj: Obj | None = None,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Obj:
        body = None if obj is None else json.dumps(obj).encode()
        _, data = self.raw(method, path, body, content_type, query, headers=headers)
        result: Obj = json.loads(data) if data else {}
        return result

    # -- discovery -------------------------------------------------------------------------
    def resource(self, api_version: str, kind: str) -> Resource:
        key = (api_version, kind)
        if key not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self.request("GET", base)
            except ApiError as error:
                raise LookupError(f"API server does not serve {api_version}: {error}") from None
            for entry in listing.get("resources", []):
                if "/" in entry["name"]:
                    continue  # subresource
                resource = Resource(api_version, entry["name"], bool(entry["namespaced"]))
                self._resources[(api_version, entry["kind"])] = resource
        if key not in self._resources:
            raise LookupError(f"API server does not serve kind {kind} in {api_version}")
        return self._resources[key]

    def path(self, obj: Obj, default_namespace: str = "default") -> tuple[Resource, str]:
        resource = self.resource(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or (default_namespace if resource.namespaced else None)
        return resource, f"{resource.collection(namespace)}/{meta['name']}"

    # -- verbs -----------------------------------------------------------------------------
    def apply(self, obj: Obj, dry_run: bool = False) -> Obj:
        """Server-side apply with strict field validation (unknown fields are errors)."""
        _, path = self.path(obj)
        query = {"fieldManager": FIELD_MANAGER, "force": "true", "fieldValidation": "Strict"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("PATCH", path, obj, "application/apply-patch+yaml", query)

    def create(self, obj: Obj, namespace: str | None = None, dry_run: bool = False) -> Obj:
        resource = self.resource(obj["apiVersion"], obj["kind"])
        ns = namespace or obj.get("metadata", {}).get("namespace")
        query = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("POST", resource.collection(ns), obj, query=query)

    def get(self, obj: Obj) -> Obj:
        _, path = self.path(obj)
        return self.request("GET", path)

    def wait_crd_established(self, name: str, timeout: float = 60.0) -> None:
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        deadline = time.monotonic() + timeout
        conditions: list[Obj] = []
        while time.monotonic() < deadline:
            conditions = self.request("GET", path).get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                self._resources.clear()  # discovery changed
                return
            time.sleep(0.2)
        raise TimeoutError(f"CRD {name} not established after {timeout}s: {conditions}")

    def can(
        self,
        user: str,
        groups: list[str],
        verb: str,
        resource: str,
        group: str = "",
        namespace: str | None = None,
    ) -> bool:
        """SubjectAccessReview: may `user` do `verb` on `resource` (`resource/subresource` for
        a subresource, as RBAC rules name it)?"""
        resource, _, subresource = resource.partition("/")
        attributes: Obj = {"verb": verb, "group": group, "resource": resource}
        if subresource:
            attributes["subresource"] = subresource
        if namespace:
            attributes["namespace"] = namespace
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
        }
        answer = self.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        return bool(answer.get("status", {}).get("allowed", False))

    def rules(self, user: str, namespace: str) -> set[tuple[str, str, str]]:
        """(group, resource, verb) triples `user` may use in `namespace`, cluster-wide rules
        included, from a SelfSubjectRulesReview made while impersonating `user` (for a service
        account the API server adds its groups). Rules limited to resourceNames carry them."""
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": namespace},
        }
        answer = self.request(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            review,
            headers={"Impersonate-User": user},
        )
        triples: set[tuple[str, str, str]] = set()
        for rule in answer.get("status", {}).get("resourceRules", []):
            names = rule.get("resourceNames") or []
            suffix = f" {sorted(names)}" if names else ""
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        triples.add((group, resource + suffix, verb))
        return triples
