# Fuzzing (issue 4): load + validate + render must render a tree that parses back, or refuse the
# input with located problems whose codes docs/errors.md lists. tests/fuzz.py is the target.
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 30

.PHONY: fuzz fuzz-quick

fuzz: venv ## Fuzz load/validate/render for FUZZ_SECONDS (default 300); a finding fails
	$(PY) -m tests.fuzz --seconds $(FUZZ_SECONDS)

# make test fuzzes too, on a small budget.
test: fuzz-quick
fuzz-quick: venv
	$(PY) -m tests.fuzz --seconds $(FUZZ_TEST_SECONDS)
