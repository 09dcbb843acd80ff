# The NFS server tier (issue 17): the preflight Job's probe script and `nfs-gitops doctor` against
# nfs-ganesha, a userspace NFS server, on 127.0.0.1. Included by the main Makefile (VENV, PY,
# venv). Needs root (apt-get, setpriv, mount, rpcbind) and free ports 111 and 2049, so it is part
# of `make e2e`, never of `make test`. The tests start and stop rpcbind and ganesha themselves.
#
#   make e2e-nfs          install the server packages if missing, then run pytest tests/nfs
#   make nfs-deps         only install nfs-ganesha, nfs-ganesha-vfs, rpcbind and busybox-static (the
#                         probe script also runs under busybox ash, as in the Job's image)

NFS_SERVER_PACKAGES := nfs-ganesha nfs-ganesha-vfs rpcbind busybox-static
NFS_PYTEST_ARGS ?=

.PHONY: e2e-nfs nfs-deps

nfs-deps: ## Install nfs-ganesha (+ VFS), rpcbind, busybox for make e2e-nfs (Debian, root)
	@missing=$$(for p in $(NFS_SERVER_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null || { echo "make e2e-nfs: apt-get is needed to install $$missing" >&2; exit 1; }; \
		echo "Installing $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

e2e-nfs: venv nfs-deps ## Probe script and doctor against a real NFS server (root, ports 111/2049)
	$(PY) -m pytest tests/nfs $(NFS_PYTEST_ARGS)

# make e2e runs this tier too (a prerequisite added here, so mk/e2e.mk stays as it is).
e2e: e2e-nfs
