# helm, pinned (issue 12). Included by the Makefile, which defines BIN (from mk/validate.mk).
# The e2e tests render the real upstream chart with `helm template` to prove that what the tree
# hands the chart reads back unchanged (tests/e2e/test_helm_template.py). The chart archives
# come from a folder CI names, E2E_CHARTS (.ci/run sets it); nothing is downloaded for them.
#
#   make helm          pinned helm into ./bin (go install; needs Go)
#   make e2e E2E_CHARTS=DIR

HELM_VERSION := v3.21.4
HELM_MODULE  := helm.sh/helm/v3/cmd/helm
# go install does not stamp the release; without this, `helm version` says v3.21.
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION)
E2E_CHARTS   ?=
export E2E_CHARTS

.PHONY: helm

$(BIN)/.version-helm-$(HELM_VERSION):
	@mkdir -p $(BIN) && touch $@

$(BIN)/helm: $(BIN)/.version-helm-$(HELM_VERSION)
	@command -v go >/dev/null || { echo "make helm: Go is needed to install helm $(HELM_VERSION) into ./bin." >&2; exit 1; }
	GOBIN=$(CURDIR)/$(BIN) go install -ldflags '$(HELM_LDFLAGS)' $(HELM_MODULE)@$(HELM_VERSION)
	@touch $@

helm: $(BIN)/helm ## Install pinned helm into ./bin (Go); make e2e uses it with E2E_CHARTS

e2e: $(BIN)/helm
