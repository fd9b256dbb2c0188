"""`python -m exports.cli`: the `meetings` command without the installed script."""

from __future__ import annotations

from exports.cli import main

main()
