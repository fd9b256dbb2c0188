"""Read models built from the ledger's events. Each module holds one model."""
