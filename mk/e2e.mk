# End-to-end tests against a real kube-apiserver and etcd (issue 5). Included by the main
# Makefile, which defines VENV, PY and the targets venv (virtualenv with the dev tools) and tools
# (pinned kustomize in ./bin).
#
#   make e2e         build the binaries if e2e/ changed, then run pytest tests/e2e
#   make e2e-bin     only build kube-apiserver, kube-controller-manager and etcd into $(E2E_BIN)
#   make e2e-clean   remove the cached binaries (Go's own build cache is left alone)
#
# The binaries come from the wrapper Go module in e2e/: it requires k8s.io/kubernetes and
# replaces every staging module (k8s.io/api, k8s.io/apiserver, ...) by its published version,
# and builds etcd from go.etcd.io/etcd/server/v3 at the version Kubernetes itself requires
# (v3.7.0; Debian 12's etcd-server is 3.4.23, below the 3.5.24 minimum of kubeadm 1.37), so
# nothing is needed from apt. Downloads come from the Go module proxy only. The binaries are
# cached in .cache/e2e/bin (git-ignored) and rebuilt only when a file under e2e/ is newer.
# From scratch (downloads included) the build took 16 to 26 minutes on 2 shared cores (about 18
# CPU-minutes); keep .cache/e2e between CI steps. kube-controller-manager (namespaces finalize,
# garbage collection, Jobs) shares most packages with kube-apiserver: it added 6m02s (2m46s CPU)
# to a cached kube-apiserver build; all three from scratch (empty module and build caches) took
# 17m05s (11m24s CPU) on 2 shared cores. e2e/flux is a module of its own (mk/flux.mk).

KUBE_VERSION := v1.37.2
KUBE_MAJOR   := $(word 2,$(subst ., ,$(subst v,v ,$(KUBE_VERSION))))
KUBE_MINOR   := $(word 2,$(subst ., ,$(KUBE_VERSION)))
E2E_DIR      := e2e
E2E_BIN      := .cache/e2e/bin
E2E_SOURCES  := $(E2E_DIR)/go.mod $(E2E_DIR)/go.sum \
	$(shell find $(E2E_DIR) -path $(E2E_DIR)/flux -prune -o -name '*.go' -print 2>/dev/null)
# The version the server reports (/version, --version): what hack/lib/version.sh stamps.
E2E_VERSION_PKGS := k8s.io/component-base/version k8s.io/client-go/pkg/version
E2E_LDFLAGS  := -s -w $(foreach p,$(E2E_VERSION_PKGS),-X $(p).gitVersion=$(KUBE_VERSION) \
	-X $(p).gitMajor=$(KUBE_MAJOR) -X $(p).gitMinor=$(KUBE_MINOR) -X $(p).gitTreeState=clean)
E2E_PYTEST_ARGS ?=
# Folder of the published chart archives (tests/e2e/test_chart_rbac.py reads the real chart's
# RBAC templates from it; the real-engine tests serve it as a loopback Helm repository, see
# mk/flux.mk); .ci/run passes it.
E2E_CHARTS ?=

.PHONY: e2e e2e-bin e2e-clean

# One go build for the three commands, so they share compiled packages. The stamp is the cache key.
$(E2E_BIN)/.stamp: $(E2E_SOURCES)
	@command -v go >/dev/null || { echo "make e2e: Go 1.26 or newer is needed to build kube-apiserver $(KUBE_VERSION)." >&2; exit 1; }
	@mkdir -p $(E2E_BIN)
	@echo "Building kube-apiserver, kube-controller-manager $(KUBE_VERSION) and etcd into $(E2E_BIN) (16 to 26 minutes on 2 cores the first time)"
	cd $(E2E_DIR) && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags '$(E2E_LDFLAGS)' \
		-o $(abspath $(E2E_BIN))/ ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/etcd
	$(E2E_BIN)/kube-apiserver --version | grep -qx 'Kubernetes $(KUBE_VERSION)'
	$(E2E_BIN)/kube-controller-manager --version | grep -qx 'Kubernetes $(KUBE_VERSION)'
	$(E2E_BIN)/etcd --version | head -n 1
	@touch $@

e2e-bin: $(E2E_BIN)/.stamp ## Build kube-apiserver, kube-controller-manager and etcd for the e2e tests (cached)

e2e: e2e-bin flux-bin helm venv tools crds ## Every tree on a real kube-apiserver, through real Flux, kustomize and helm (E2E_CHARTS=folder of chart archives)
	E2E_BIN_DIR=$(abspath $(E2E_BIN)) E2E_FLUX_BIN_DIR=$(abspath $(FLUX_BIN)) \
	E2E_CRD_DIR=$(abspath $(CRD_DIR)) E2E_CHARTS=$(if $(E2E_CHARTS),$(abspath $(E2E_CHARTS))) \
	PATH=$(CURDIR)/$(BIN):$$PATH $(PY) -m pytest tests/e2e $(E2E_PYTEST_ARGS)

e2e-clean: ## Remove the cached e2e binaries
	rm -rf $(E2E_BIN)
