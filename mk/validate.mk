# kubeconform validation of the rendered trees (issue 7), offline. Included by the main Makefile,
# which defines VENV, PY, NFS_GITOPS, OUTPUT and the file target $(VENV)/.installed.
#
#   make tools        pinned kubeconform and kustomize into ./bin (go install; needs Go)
#   make schemas      self-contained schemas into $(SCHEMA_CACHE): built-in kinds from the
#                     kubernetes-validate wheel on PyPI, for every supported Kubernetes version,
#                     and the Flux/Argo CD/CSI snapshot custom resources from their CRDs (mk/crds.mk)
#   make kubeconform  nfs-gitops kubeconform over every tree in output/: -strict, every supported
#                     version, the tree's files and its kustomize build output (old name: validate)
#
# nfs-gitops finds $(SCHEMA_CACHE) by itself. Online instead of offline, for example:
#   make kubeconform SCHEMA_LOCATIONS="default \
#     https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"

BIN                 := bin
KUBECONFORM_VERSION := v0.7.0
KUSTOMIZE_VERSION   := v5.8.1
KUBECONFORM_MODULE  := github.com/yannh/kubeconform/cmd/kubeconform
KUSTOMIZE_MODULE    := sigs.k8s.io/kustomize/kustomize/v5

# The wheel the built-in kind schemas come from, pinned by version and sha256.
KUBERNETES_VALIDATE_VERSION := 1.37.0
KUBERNETES_VALIDATE_SHA256  := 85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBERNETES_VALIDATE_WHEEL   := kubernetes_validate-$(KUBERNETES_VALIDATE_VERSION)-py3-none-any.whl

# Where nfs-gitops looks for the offline schemas (generator/lint/locations.py, SCHEMA_CACHE).
SCHEMA_CACHE        := .cache/schemas
CRD_SCHEMA_DIR      := $(SCHEMA_CACHE)/crds
# Empty: nfs-gitops's own offline locations. Otherwise kubeconform -schema-location values.
SCHEMA_LOCATIONS    ?=

.PHONY: tools schemas kubeconform validate

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

schemas: $(SCHEMA_CACHE)/.stamp $(CRD_SCHEMA_DIR)/.stamp ## Build offline schemas: built-in kinds (every supported version), Flux, Argo CD, snapshots

kubeconform: tools schemas venv ## kubeconform -strict over every tree in output/, every supported version
	$(NFS_GITOPS) kubeconform $(OUTPUT)/*/ $(foreach l,$(SCHEMA_LOCATIONS),--schema-location '$(l)')

validate: kubeconform ## Old name of kubeconform
