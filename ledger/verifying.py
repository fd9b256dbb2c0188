"""The boundary for `verify`: the hash chain over a ledger's stored rows, without the application.

`verify` reads the stored rows and nothing else, and importing the application (the aggregates
and their event classes) was half of its start-up; this module gives the edges what
ledger.application would give them for it, importing none of the domain.
"""

from __future__ import annotations

from ledger.chain import Digest, Verification, verify_ledger
from ledger.chain_process import ChainBeside, chain_beside
from ledger.storage.database import Database, open_recorder, resolve

__all__ = [
    "ChainBeside",
    "Database",
    "Digest",
    "Verification",
    "chain_beside",
    "open_recorder",
    "resolve",
    "verify_ledger",
]
