"""The `meetings export` group, shared by the calendar and page exporters."""

from __future__ import annotations

import click


@click.group("export")
def export_group() -> None:
    """Write meetings out as calendars or pages."""
