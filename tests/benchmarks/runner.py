"""`python -m tests.benchmarks [--size small|large] [--json-out FILE] [--postgres URL] [--no-khal] [--keep]`."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks import bars, pgload, privacy, processes, series, verify, web
from tests.benchmarks.table import Row, render, write_json

CACHE = Path(__file__).resolve().parents[2] / ".bench-cache"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description="Measure every quality bar of PRODUCT.md section 8 beside its baseline, in one run.",
    )
    parser.add_argument(
        "--size",
        choices=sorted(bars.SIZES),
        default="small",
        help="small (default): 1,000 meetings / 100,000 events, under 10 minutes on 2 cores;"
        " large: 1,000,000 events (tiny only proves the machinery)",
    )
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="Also write the table as JSON to FILE.")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("MEETINGS_TEST_POSTGRES") or None,
        help="PostgreSQL server for the concurrency bar (else $MEETINGS_TEST_POSTGRES).",
    )
    parser.add_argument("--no-khal", action="store_true", help="Skip the khal comparison (no PyPI install).")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder with the ledgers.")
    parser.add_argument(
        "--install",
        choices=["installed", "checkout"],
        default="installed",
        help="installed (default): measure a fresh `pip install .` of the checkout in its own venv, as users"
        " install it; checkout: measure the `meetings` beside this Python (an editable install)",
    )
    parser.add_argument(
        "--deps-beside",
        action="store_true",
        help="with --install installed: install only the package (`pip install --no-deps .`) into a new venv"
        " that takes its dependencies from this Python's (quicker; the smoke test)",
    )
    return parser.parse_args(argv)


def commit() -> str:
    """The checkout's commit, with "+changes" when its files differ from it."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True)
    return (head.stdout.strip() or "unknown") + ("+changes" if dirty.stdout.strip() else "")


def compile_package() -> None:
    import compileall

    root = Path(__file__).resolve().parents[2]
    for package in ("ledger", "projections", "exports"):
        compileall.compile_dir(root / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    size = bars.SIZES[args.size]
    work = bars.scratch()
    CACHE.mkdir(exist_ok=True)
    began = time.perf_counter()
    load_before = os.getloadavg()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.0f}s] {message}", file=sys.stderr, flush=True)

    # Measure the package as users install it (a wheel, byte-compiled by pip). The checkout is
    # compiled too: the benchmark itself builds ledgers with it, and an editable install where
    # PYTHONDONTWRITEBYTECODE is set would compile every module in every process.
    compile_package()
    if args.install == "installed":
        log("installing the checkout with `pip install .` into its own venv")
        install = processes.install_package_alone if args.deps_beside else processes.install_package
        processes.use_installed(install((work if args.deps_beside else CACHE) / "installed-venv"))
    log(f"measuring {processes.meetings_command()[0]} ({args.install}, commit {commit()})")
    ctx = bars.Context(size, work, CACHE, not args.no_khal, args.postgres, log)
    rows: list[Row] = []

    def attempt(what: str, bar_ids: list[tuple[str, str]], step: Callable[[], list[Row]]) -> None:
        log(what)
        try:
            rows.extend(step())
        except Exception as error:  # noqa: BLE001 - one failing bar must not hide the others
            traceback.print_exc(file=sys.stderr)
            rows.extend(
                Row(bar, name, None, "", None, "", None, "-", "ERROR", f"{type(error).__name__}: {error}")
                for bar, name in bar_ids
            )

    try:
        log(f"building ledgers ({size.meetings:,} meetings, {size.events:,} events) in {work}")
        led = bars.build_ledgers(ctx)
        rebuilt: dict[str, bars.Rebuilt] = {}

        def rebuild_rows() -> list[Row]:
            result, big, small = bars.bar_rebuild(ctx, led)
            rebuilt.update(big=big, small=small)
            return result

        attempt("bar 2: read latency", [("2", "read latency")], lambda: [bars.bar_read(ctx, led)])
        attempt(
            "bar 1: write latency", [("1a", "write latency"), ("1b", "write vs khal")], lambda: bars.bar_write(ctx, led)
        )
        attempt(
            "bar 3: bulk append",
            [("3", "bulk append"), ("3b", "bulk append: import_page"), ("3c", "bulk append: copy")],
            lambda: bars.bar_import(ctx, led),
        )
        attempt("bar 4: rebuild", [("4a", "rebuild rate"), ("4b", "rebuild memory")], rebuild_rows)
        attempt(
            "bar 12: verify",
            [("12a", "verify the chain"), ("12b", "verify --deep")],
            lambda: verify.bar_verify(ctx, led),
        )
        attempt("bar 5: loading a long meeting", [("5", "load a long meeting")], lambda: [bars.bar_load(ctx)])
        attempt("bar 6: serving the feed", [("6a", "serve 200"), ("6b", "serve 304")], lambda: bars.bar_serve(ctx))
        attempt(
            "bar 7: concurrency",
            [("7a", "concurrency SQLite"), ("7b", "concurrency PostgreSQL")],
            lambda: bars.bar_concurrency(ctx),
        )
        attempt(
            "bar 7c: sign-ups per second under contention, PostgreSQL",
            [("7c", "signups per second vs psql")],
            lambda: pgload.bar_throughput(ctx),
        )
        attempt(
            "bar 9: the web page",
            [("9a", "web page 200"), ("9b", "web page 304")],
            lambda: web.bar_page(ctx),
        )
        attempt(
            "bar 9: web sessions signing up at once",
            [("9c", "web signups SQLite"), ("9d", "web signups PostgreSQL")],
            lambda: web.bar_web_signups(ctx),
        )
        attempt(
            "bar 10: a ten-year series",
            [("10a", "series feed"), ("10b", "series page"), ("10c", "occurrence load")],
            lambda: series.bar_series(ctx),
        )
        attempt(
            "bar 11: personal data encrypted",
            [("11a", "privacy attendees"), ("11b", "privacy page"), ("11c", "privacy feed")],
            lambda: privacy.bar_encrypted_reads(ctx),
        )
        attempt("bar 11: erasure", [("11d", "privacy erase")], lambda: [privacy.bar_erase(ctx)])
        attempt(
            "bar 8: a million events",
            [("8", "memory at a million events")],
            lambda: [bars.bar_million(ctx, led, rebuilt.get("big"), rebuilt.get("small"))],
        )
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    rows.sort(key=lambda r: r.bar)
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()
    # Other work on the machine skews absolute times; ratios interleave runs with their baselines.
    load = f"load average {load_before[0]:.1f} at start, {load_after[0]:.1f} at end"
    print(
        f"\nmeeting-ledger benchmark, size {size.name} ({size.meetings:,} meetings, {size.events:,} events),"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}, {elapsed:.0f}s, {load};"
        f" commit {commit()}, measured on the {args.install} package\n"
    )
    print(render(rows))
    if args.json_out:
        write_json(
            rows,
            args.json_out,
            {
                "size": size.name,
                "events": size.events,
                "meetings": size.meetings,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "commit": commit(),
                "install": args.install,
                "executable": processes.meetings_command()[0],
                "seconds": round(elapsed, 1),
                "load_average_start": load_before[0],
                "load_average_end": load_after[0],
            },
        )
    return 1 if any(r.status == "ERROR" for r in rows) else 0
