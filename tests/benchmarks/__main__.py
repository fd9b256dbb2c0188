"""`python -m tests.benchmarks`: run every bar and print the table."""

from __future__ import annotations

if __name__ == "__main__":
    from tests.benchmarks.runner import main

    raise SystemExit(main())
