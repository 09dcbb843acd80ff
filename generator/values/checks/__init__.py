"""Semantic checks the JSON Schema cannot express: small domain modules, one registry.

Each check reads the loaded document and yields problems located at the offending value.
Checks only look at values of the right type: type errors are the schema's job. A check's id
is the error code it emits (`Check.codes`, all of them when it emits several); its docstring
holds a PASS and a FAIL example per code, which the tests run.
"""

from __future__ import annotations

from generator.errors import Problem
from generator.values.checks import (
    chart,
    drivers,
    durations,
    exports,
    gitops,
    installer,
    mount_options,
    names,
    namespaces,
    nfs,
    path_pattern,
    provisioner,
    resources,
    scheduling,
    text,
)
from generator.values.checks.base import Check
from generator.values.document import Document

# Problems are sorted by place; at one place they keep this order, so keep it stable.
CHECKS: tuple[Check, ...] = (
    exports.one_form,
    exports.export_names,
    names.kubernetes_names,
    names.release_name,
    names.provisioner_name,
    nfs.nfs_server,
    nfs.nfs_path,
    mount_options.mount_options,
    path_pattern.path_pattern,
    drivers.path_pattern_for_driver,
    scheduling.node_selector,
    names.pull_secrets,
    scheduling.tolerations,
    provisioner.replicas_need_leader_election,
    drivers.driver_keys,
    drivers.distribution_keys,
    gitops.gitops_repo_url,
    gitops.gitops_path,
    text.no_control_characters,
    namespaces.reserved_namespaces,
    namespaces.csi_namespace_apart,
    chart.chart_reads_back,
    scheduling.toleration_seconds,
    resources.requests_within_limits,
    durations.go_duration,
    installer.release_beside_installer,
    text.no_credentials_in_urls,
    text.no_template_text,
)


def run_checks(doc: Document) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(doc)]


def codes() -> set[str]:
    """Every code some check declares."""
    return {code for check in CHECKS for code in check.codes}
