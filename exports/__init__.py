"""Outputs of the ledger: command line, calendars, feeds, audit and meeting pages."""
