"""A generic controller runtime (no Stork knowledge): informers, work queue, controller loop,
leader election, events, conditions, health and metrics servers, logging, clocks."""
