"""The controller's in-cluster installation: manifests, RBAC (source and destination), the
installer and the Helm binary the chart's test uses. ``python -m stork.deploy DIR`` writes
``deploy/``."""
