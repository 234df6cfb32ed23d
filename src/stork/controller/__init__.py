"""The controller: runtime and one reconciler per kind (``stork run``)."""
