"""Typed models of Stork's custom resources, their constants and CRD manifests.

Import from the modules (``stork.api.constants``, ``stork.api.migration``...): this package
file stays empty so that using a constant does not load every model.
"""
