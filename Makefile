# nfs-gitops: every target sets up what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NFS_GITOPS := $(VENV)/bin/nfs-gitops
# The folder of values files: nfs-gitops itself picks the cluster files in it (*.yaml and *.yml,
# not those starting with _ or .), so make and the CLI follow one rule.
VALUES ?= values
OUTPUT ?= output

.PHONY: help venv render check test lint lint-python golden docs bench path

help: ## Show this help and the layout of the package
	@echo "nfs-gitops: generator/ by stage, imports one way (README, Development):"
	@echo "  schema -> values (load, fleet, checks) -> drivers, engines -> model -> render -> output;"
	@echo "  lint beside; report, cli, doctor, scaffold on top. templates/: common, drivers, engines."
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## Create the virtualenv with nfs-gitops and the dev tools

path: venv ## Print the export that puts .venv/bin (nfs-gitops) on PATH; use: eval "$(make -s path)"
	@echo 'export PATH="$(CURDIR)/$(VENV)/bin:$$PATH"'

render: venv ## Render every cluster file of values/ into output/<cluster>/; remove trees of removed clusters
	$(NFS_GITOPS) render --prune $(VALUES) --output-dir $(OUTPUT)

check: venv ## Fail (exit 1, with a diff) if output/ is not what values/ renders to
	$(NFS_GITOPS) render --check --prune $(VALUES) --output-dir $(OUTPUT)

lint-python: venv ## Static checks of the project's Python: ruff and mypy --strict
	$(VENV)/bin/ruff check generator tests devtools bench
	$(VENV)/bin/ruff format --check generator tests devtools bench
	$(VENV)/bin/mypy

lint: lint-python ## Old name of lint-python

# Tests marked `tools` (pyproject) run kubeconform and kustomize: installed here, never skipped.
test: venv lint-python tools schemas kubeconform ## Run the whole test suite; installs the tools `tools` tests need
	$(PY) -m pytest tests --ignore=tests/e2e --ignore=tests/nfs

golden: venv ## Refresh tests/golden/*/expected through the CLI (render --prune) after an intended change
	$(PY) -m tests.golden_refresh

docs: venv ## Refresh the values reference in README.md from the schema
	$(PY) -m devtools.values_reference

bench: venv tools schemas helm ## Time one cluster (beside helm template: E2E_CHARTS=DIR), fleets of 10/100/1,000, kubeconform; write BENCHMARKS.md
	$(PY) -m bench.run

include mk/validate.mk
include mk/crds.mk
include mk/fuzz.mk
include mk/e2e.mk
include mk/helm.mk
include mk/node-installer.mk
include mk/nfs.mk
include mk/flux.mk
