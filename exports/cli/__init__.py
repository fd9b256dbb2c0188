"""`meetings`: the command line over the ledger. Thin: parse, call the application, print.

One module per noun (meetings, attendance, agenda, notes, pages, calendar, audit, admin), each importing
only `support`; `group` names them all and imports only the one a command needs.
"""

from __future__ import annotations

from exports.cli.group import main

__all__ = ["main"]
