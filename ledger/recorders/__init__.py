"""Event recorders that seal each event into the ledger's hash chain as it is stored.

One persistence module per backend (`ledger.recorders.sqlite`, `ledger.recorders.postgres`),
selected by PERSISTENCE_MODULE, so a SQLite user never imports psycopg.
"""
