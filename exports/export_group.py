"""The `meetings export` group; each output format attaches its own commands to it."""

from __future__ import annotations

import click


@click.group("export")
def export_group() -> None:
    """Write meetings out as calendars or pages."""
