"""Where and how the ledger is stored: the --db value, opening it, and the one storage adapter.

`database` parses `--db` and opens the application on SQLite or PostgreSQL; `adapter` is the
only code that knows eventsourcing's tables, the SQL dialects and the datastore; `recorders`
seal every event into the hash chain as it is inserted.
"""

from __future__ import annotations

from ledger.storage.database import Database, default_path, open_ledger, resolve

__all__ = ["Database", "default_path", "open_ledger", "resolve"]
