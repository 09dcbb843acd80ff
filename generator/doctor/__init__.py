"""`nfs-gitops doctor`: probe each cluster's NFS export from this machine (checks, squash, probe)
and print the lines (report)."""
