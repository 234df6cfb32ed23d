"""Stork-compatible Metro-DR for Kubernetes."""
