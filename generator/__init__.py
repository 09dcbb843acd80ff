"""nfs-gitops: render NFS dynamic storage for Kubernetes into Git-ready kustomize trees."""

__version__ = "0.1.0"
