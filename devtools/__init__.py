"""Developer tools run by the Makefile; not part of the installed nfs-gitops package."""
