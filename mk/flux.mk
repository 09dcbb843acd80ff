# The real GitOps engines the end-to-end tests run (issue 14). Included by the main Makefile
# after mk/validate.mk (BIN, go-install), mk/crds.mk (make crds: the Flux CRDs the tests install),
# mk/e2e.mk and mk/helm.mk (make helm, E2E_CHARTS).
#
#   make flux-bin    build source-controller, helm-controller and kustomize-controller into
#                    $(FLUX_BIN) from the wrapper Go module in e2e/flux (cached)
#
# E2E_CHARTS names a folder of published chart archives (<chart>-<version>.tgz: every driver's
# chart at its pin, nfs-subdir-external-provisioner and csi-driver-nfs) that make e2e serves from
# one loopback Helm repository (one index.yaml; tests/e2e/servers.py); without it the tests pull
# the pinned charts from their repositories, which needs a network.
#
# The controllers run out of cluster against the e2e kube-apiserver; e2e/flux/go.mod says how
# their module graph was carried over. One go build for the three shares compiled packages.
# Measured from scratch (empty module and build caches, downloads included) on 2 cores shared
# with other builds (load 8 to 14): the Flux controllers 15m47s (with helm: 9m55s CPU user),
# helm 2m39s; about 6 CPU-minutes for the controllers alone. Keep .cache/flux between CI runs.

FLUX_VERSION    := 2.9.5
FLUX_DIR        := e2e/flux
FLUX_BIN        := .cache/flux/bin
FLUX_SOURCES    := $(FLUX_DIR)/go.mod $(FLUX_DIR)/go.sum
FLUX_CONTROLLERS := github.com/fluxcd/source-controller github.com/fluxcd/helm-controller \
	github.com/fluxcd/kustomize-controller

.PHONY: flux-bin

$(FLUX_BIN)/.stamp: $(FLUX_SOURCES)
	@command -v go >/dev/null || { echo "make e2e: Go 1.26 or newer is needed to build the Flux $(FLUX_VERSION) controllers." >&2; exit 1; }
	@mkdir -p $(FLUX_BIN)
	@echo "Building the Flux $(FLUX_VERSION) controllers into $(FLUX_BIN) (6 to 16 minutes on 2 cores the first time)"
	cd $(FLUX_DIR) && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags '-s -w' \
		-o $(abspath $(FLUX_BIN))/ $(FLUX_CONTROLLERS)
	@touch $@

flux-bin: $(FLUX_BIN)/.stamp ## Build the Flux controllers for the e2e tests (cached)

