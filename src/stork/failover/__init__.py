"""Starting applications on the destination and stopping them: activation, deactivation."""
