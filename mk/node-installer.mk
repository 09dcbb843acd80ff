# The node installer's script, run for real (issue 18). Included by the main Makefile.
#
#   make e2e-installer   build the cached Debian root if needed, then run only these tests
#   make e2e             runs them too (with every other e2e test)
#
# The tests chroot into a Debian bookworm root filesystem (debootstrap --variant=minbase, from the
# mirror /etc/apt/sources.list* names; override with NODE_MIRROR=URL) and into small fake roots,
# so they need root, and the Debian run needs that mirror. debootstrap and busybox-static come
# from apt-get when missing. The root is built once into .cache/node-installer (85 s here; a
# 204 MB tarball) and unpacked afresh for each test; `make e2e-installer-clean` removes it.
# The tests themselves took 203 s (41 tests; the Debian ones download nfs-common each time).

NODE_ROOTFS := .cache/node-installer/debian-bookworm-minbase.tar
NODE_MIRROR ?=

.PHONY: e2e-installer e2e-installer-clean e2e-installer-host

# Debian packages the tests need on this machine: debootstrap builds the Debian root; busybox
# (static) is Alpine's /bin/sh in the Alpine fake root (the others use the host's dash and bash).
NODE_HOST_PACKAGES := debootstrap busybox-static
NODE_HOST_COMMANDS := debootstrap busybox

e2e-installer-host:
	@[ "$$(id -u)" = 0 ] || { echo "make e2e-installer: chroot and debootstrap need root" >&2; exit 1; }
	@missing=; for c in $(NODE_HOST_COMMANDS); do command -v $$c >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then echo "Installing $(NODE_HOST_PACKAGES) with apt-get"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $(NODE_HOST_PACKAGES); fi

$(NODE_ROOTFS): | venv e2e-installer-host
	$(PY) -m tests.e2e.node_roots build --suite bookworm --output $@ $(if $(NODE_MIRROR),--mirror $(NODE_MIRROR))

e2e-installer: venv e2e-installer-host $(NODE_ROOTFS) ## Run the node installer's script in a real Debian root and fake roots
	$(PY) -m pytest tests/e2e/test_node_installer.py $(E2E_PYTEST_ARGS)

e2e-installer-clean: venv ## Remove the cached Debian root (undoing any mount a killed run left)
	$(PY) -m tests.e2e.node_roots clean

# make e2e runs every test under tests/e2e, these included: it needs the root too.
e2e: e2e-installer-host $(NODE_ROOTFS)
