"""Values files written for the user: `init` (a new cluster) and `adopt` (a manual helm install
taken over, with its runbook)."""
