"""The policy zoo: named fixture policies (Kubernetes docs, upstream e2e, pathological) and their truth tables."""
