"""meeting-ledger's domain and application: meetings as append-only event streams."""
