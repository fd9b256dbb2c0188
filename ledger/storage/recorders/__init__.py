"""Event recorders that seal each event into the ledger's hash chain as it is stored.

One persistence module per backend (`ledger.storage.recorders.sqlite`, `ledger.storage.recorders.postgres`),
selected by PERSISTENCE_MODULE, so a SQLite user never imports psycopg.
"""
