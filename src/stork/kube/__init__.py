"""Clients per cluster, kubeconfig loading, server-side apply and watch helpers."""
