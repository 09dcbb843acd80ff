# kubeconform validation of the rendered trees (issue 7), offline. Included by the main Makefile,
# which defines VENV, PY, NFS_GITOPS, OUTPUT and the file target $(VENV)/.installed.
#
#   make tools      pinned kubeconform and kustomize into ./bin (go install; needs Go)
#   make schemas    self-contained schemas of built-in kinds into $(SCHEMA_CACHE), from the
#                   kubernetes-validate wheel on PyPI, for every supported Kubernetes version
#   make validate   nfs-gitops lint over every tree in output/: kubeconform -strict, every
#                   supported version, the tree's files and its kustomize build output
#
# Online instead of offline, for example:
#   make validate K8S_SCHEMA_LOCATION=default \
#     CRD_SCHEMAS=https://raw.githubusercontent.com/datreeio/CRDs-catalog/main

BIN                 := bin
KUBECONFORM_VERSION := v0.7.0
KUSTOMIZE_VERSION   := v5.8.1
KUBECONFORM_MODULE  := github.com/yannh/kubeconform/cmd/kubeconform
KUSTOMIZE_MODULE    := sigs.k8s.io/kustomize/kustomize/v5

# The wheel the built-in kind schemas come from, pinned by version and sha256.
KUBERNETES_VALIDATE_VERSION := 1.37.0
KUBERNETES_VALIDATE_SHA256  := 85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBERNETES_VALIDATE_WHEEL   := kubernetes_validate-$(KUBERNETES_VALIDATE_VERSION)-py3-none-any.whl

SCHEMA_CACHE        ?= .cache/schemas
CRD_SCHEMAS         ?= ../shared/schemas/crds
K8S_SCHEMA_LOCATION ?= $(SCHEMA_CACHE)/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json
CRD_SCHEMA_LOCATION ?= $(CRD_SCHEMAS)/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json

# The tests (tests/test_lint.py) lint through the same locations as make validate.
export NFS_GITOPS_K8S_SCHEMA_LOCATION := $(K8S_SCHEMA_LOCATION)
export NFS_GITOPS_CRD_SCHEMA_LOCATION := $(CRD_SCHEMA_LOCATION)

.PHONY: tools schemas validate

# $(1): module@version. The version stamp makes a pin change reinstall; go install may leave an
# up-to-date binary untouched, hence the touch.
define go-install
	@command -v go >/dev/null || { \
	  echo "make tools: Go (1.24 or newer) is needed to install kubeconform $(KUBECONFORM_VERSION) and kustomize $(KUSTOMIZE_VERSION) into ./bin." >&2; \
	  echo "  Install Go (https://go.dev/dl/, or apt-get install golang-go), then run make tools again." >&2; \
	  exit 1; }
	GOBIN=$(CURDIR)/$(BIN) go install $(1)
	@touch $@
endef

$(BIN)/.version-kubeconform-$(KUBECONFORM_VERSION) $(BIN)/.version-kustomize-$(KUSTOMIZE_VERSION):
	@mkdir -p $(BIN) && touch $@

$(BIN)/kubeconform: $(BIN)/.version-kubeconform-$(KUBECONFORM_VERSION)
	$(call go-install,$(KUBECONFORM_MODULE)@$(KUBECONFORM_VERSION))

$(BIN)/kustomize: $(BIN)/.version-kustomize-$(KUSTOMIZE_VERSION)
	$(call go-install,$(KUSTOMIZE_MODULE)@$(KUSTOMIZE_VERSION))

tools: $(BIN)/kubeconform $(BIN)/kustomize ## Install pinned kubeconform and kustomize into ./bin (Go)

$(SCHEMA_CACHE)/wheel/$(KUBERNETES_VALIDATE_WHEEL): | $(VENV)/.installed
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: \
		'kubernetes-validate==$(KUBERNETES_VALIDATE_VERSION)' -d $(@D)
	echo '$(KUBERNETES_VALIDATE_SHA256)  $@' | sha256sum --check --quiet

# Rebuilt when the converter, the wheel or the supported versions (values schema) change.
$(SCHEMA_CACHE)/.stamp: $(SCHEMA_CACHE)/wheel/$(KUBERNETES_VALIDATE_WHEEL) \
		devtools/k8s_schemas.py generator/values.schema.json | $(VENV)/.installed
	$(PY) -m devtools.k8s_schemas --wheel $< --out $(SCHEMA_CACHE) $$($(NFS_GITOPS) kubernetes-versions)
	@touch $@

schemas: $(SCHEMA_CACHE)/.stamp ## Build offline schemas of built-in kinds for every supported version

validate: tools schemas venv ## kubeconform -strict over every tree in output/, every supported version
	$(NFS_GITOPS) lint $(OUTPUT)/*/ \
		--schema-location '$(K8S_SCHEMA_LOCATION)' --schema-location '$(CRD_SCHEMA_LOCATION)'
