"""Migration engine: collect -> transform -> plan -> apply -> ledger."""
