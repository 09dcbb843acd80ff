# End-to-end tests against a real kube-apiserver and etcd (issue 5).
# Included by the main Makefile, which defines VENV, PY and the targets venv and tools.
#
#   make e2e            build the binaries when e2e/ changed, then run pytest tests/e2e
#   make e2e-bin        only build the binaries into $(E2E_BIN)
#   make e2e-clean      remove the cached binaries (the Go build cache is left alone)
#
# The binaries come from the wrapper module in e2e/, which requires k8s.io/kubernetes and
# replaces each staging module by its published version. They are cached in .cache/e2e/bin
# (git-ignored) and rebuilt only when a file under e2e/ is newer than them.

KUBE_VERSION  ?= v1.37.2
KUBE_MAJOR    := $(word 2,$(subst ., ,$(subst v,v ,$(KUBE_VERSION))))
KUBE_MINOR    := $(word 2,$(subst ., ,$(KUBE_VERSION)))
E2E_DIR       := e2e
E2E_BIN       := .cache/e2e/bin
E2E_SOURCES   := $(E2E_DIR)/go.mod $(E2E_DIR)/go.sum $(shell find $(E2E_DIR) -name '*.go' 2>/dev/null)
E2E_GOFLAGS   ?= -trimpath
E2E_VERSION_PKGS := k8s.io/component-base/version k8s.io/client-go/pkg/version
E2E_LDFLAGS   := -s -w $(foreach p,$(E2E_VERSION_PKGS),\
	-X $(p).gitVersion=$(KUBE_VERSION) -X $(p).gitMajor=$(KUBE_MAJOR) \
	-X $(p).gitMinor=$(KUBE_MINOR) -X $(p).gitTreeState=clean)
E2E_PYTEST_ARGS ?=

.PHONY: e2e e2e-bin e2e-clean

# One go build for both commands so they share compiled packages; the stamp is the
# make-level cache key, and both binaries are produced together.
$(E2E_BIN)/.stamp: $(E2E_SOURCES)
	@mkdir -p $(E2E_BIN)
	cd $(E2E_DIR) && CGO_ENABLED=0 go build $(E2E_GOFLAGS) -ldflags '$(E2E_LDFLAGS)' \
		-o $(abspath $(E2E_BIN))/ ./cmd/kube-apiserver ./cmd/etcd
	$(E2E_BIN)/kube-apiserver --version
	$(E2E_BIN)/etcd --version
	@touch $@

e2e-bin: $(E2E_BIN)/.stamp

e2e: e2e-bin venv tools
	E2E_BIN_DIR=$(abspath $(E2E_BIN)) $(PY) -m pytest tests/e2e $(E2E_PYTEST_ARGS)

e2e-clean:
	rm -rf $(E2E_BIN)
