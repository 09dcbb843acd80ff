# CustomResourceDefinitions of the custom kinds a tree uses (Flux, Argo CD, CSI snapshots),
# generated offline from the pinned upstream Go API types with controller-gen, the way Flux, Argo
# CD and external-snapshotter generate their own. Included by the main Makefile after
# mk/validate.mk (BIN, SCHEMA_CACHE, go-install).
#
#   make crds      CRD YAML into $(CRD_DIR) (the real CRDs: make e2e installs these)
#   make schemas   also turns them into strict kubeconform schemas under $(CRD_SCHEMA_DIR)
#                  (defined in mk/validate.mk)
#
# Versions live in one place each: controller-gen here, the API modules in crdgen/*/go.mod
# (Flux 2.9.5: helm-controller/api v1.6.4, source-controller/api and kustomize-controller/api
# v1.9.5; Argo CD v3.5.0; external-snapshotter client/v8 v8.6.0, the release csi-driver-nfs
# 4.13.4's csi-snapshotter sidecar is built from). Changing a pin, a go.sum or the converter
# rebuilds. The snapshot CRDs (snapshot.storage.k8s.io) lack the api-approved.kubernetes.io
# annotation upstream's published copies carry, which the API server requires for *.k8s.io
# groups: kubeconform does not care; the e2e install adds it (tests/e2e/crds.py).

CONTROLLER_GEN_VERSION := v0.21.0
CONTROLLER_GEN_MODULE  := sigs.k8s.io/controller-tools/cmd/controller-gen
CRD_DIR                := .cache/crds
# Per wrapper module under crdgen/: the API packages controller-gen reads.
CRDGEN_MODULES         := flux argocd snapshot
CRDGEN_PATHS_flux      := github.com/fluxcd/helm-controller/api/... \
	github.com/fluxcd/source-controller/api/... github.com/fluxcd/kustomize-controller/api/...
CRDGEN_PATHS_argocd    := github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1
CRDGEN_PATHS_snapshot  := \
	github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1
CRDGEN_INPUTS          := $(foreach m,$(CRDGEN_MODULES),crdgen/$(m)/go.mod crdgen/$(m)/go.sum crdgen/$(m)/tools.go)

.PHONY: crds

$(BIN)/.version-controller-gen-$(CONTROLLER_GEN_VERSION):
	@mkdir -p $(BIN) && touch $@

$(BIN)/controller-gen: $(BIN)/.version-controller-gen-$(CONTROLLER_GEN_VERSION)
	$(call go-install,$(CONTROLLER_GEN_MODULE)@$(CONTROLLER_GEN_VERSION))

# Written to a staging folder and swapped in whole, so an interrupted run leaves no half set.
$(CRD_DIR)/.stamp: $(CRDGEN_INPUTS) mk/crds.mk $(BIN)/controller-gen devtools/crd_schemas.py | $(VENV)/.installed
	@rm -rf $(CRD_DIR).staging && mkdir -p $(CRD_DIR).staging
	$(foreach m,$(CRDGEN_MODULES),cd crdgen/$(m) && $(CURDIR)/$(BIN)/controller-gen crd:crdVersions=v1 \
		$(addprefix paths=,$(CRDGEN_PATHS_$(m))) output:crd:dir=$(CURDIR)/$(CRD_DIR).staging && cd $(CURDIR) &&) true
	$(PY) -m devtools.crd_schemas --crds $(CRD_DIR).staging --tidy
	@rm -rf $(CRD_DIR) && mv $(CRD_DIR).staging $(CRD_DIR)
	@ls $(CRD_DIR)
	@touch $@

crds: $(CRD_DIR)/.stamp ## Generate the Flux, Argo CD and CSI snapshot CRDs from their pinned Go API modules

$(CRD_SCHEMA_DIR)/.stamp: $(CRD_DIR)/.stamp devtools/crd_schemas.py | $(VENV)/.installed
	$(PY) -m devtools.crd_schemas --crds $(CRD_DIR) --out $(CRD_SCHEMA_DIR)
	@touch $@
