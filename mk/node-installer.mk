# The node installer's script, run for real (issue 18). Included by the main Makefile.
#
#   make e2e-installer   build the cached Debian root if needed, then run only these tests
#   make e2e             runs them too (with every other e2e test)
#
# The tests chroot into a Debian bookworm root filesystem (debootstrap --variant=minbase, from the
# mirror /etc/apt/sources.list* names; override with NODE_MIRROR=URL) and into small fake roots,
# so they need root, and the Debian run needs that mirror. debootstrap comes from apt-get when it
# is missing. The root is built once into .cache/node-installer (about 80 s, 206 MB unpacked)
# and unpacked afresh for each test; `make e2e-installer-clean` removes it.

NODE_ROOTFS := .cache/node-installer/debian-bookworm-minbase.tar
NODE_MIRROR ?=

.PHONY: e2e-installer e2e-installer-clean

$(NODE_ROOTFS): | venv
	@[ "$$(id -u)" = 0 ] || { echo "make $@: debootstrap and chroot need root" >&2; exit 1; }
	@command -v debootstrap >/dev/null || { echo "Installing debootstrap with apt-get"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; }
	$(PY) -m tests.e2e.node_roots build --suite bookworm --output $@ $(if $(NODE_MIRROR),--mirror $(NODE_MIRROR))

e2e-installer: venv $(NODE_ROOTFS) ## Run the node installer's script in a real Debian root and fake roots
	$(PY) -m pytest tests/e2e/test_node_installer.py $(E2E_PYTEST_ARGS)

e2e-installer-clean: venv ## Remove the cached Debian root (undoing any mount a killed run left)
	$(PY) -m tests.e2e.node_roots clean

# make e2e runs every test under tests/e2e, these included: it needs the root too.
e2e: $(NODE_ROOTFS)
