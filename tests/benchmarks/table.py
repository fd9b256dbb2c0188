"""One row per bar: figure, baseline, ratio, target, verdict; printed as a table and as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Row:
    """A bar's outcome. `higher_is_better` says which way the ratio must go against `target`."""

    bar: str
    name: str
    figure: float | None
    unit: str
    baseline: float | None
    baseline_name: str
    ratio: float | None
    target: str
    status: str  # PASS, FAIL or SKIPPED
    note: str = ""


def compare(
    bar: str,
    name: str,
    figure: float,
    unit: str,
    baseline: float,
    baseline_name: str,
    limit: float,
    *,
    at_most: bool,
    note: str = "",
) -> Row:
    """A ratio bar: figure / baseline must be at most (or at least) `limit`."""
    ratio = figure / baseline if baseline else float("inf")
    ok = ratio <= limit if at_most else ratio >= limit
    target = f"ratio {'<=' if at_most else '>='} {limit:g}"
    return Row(bar, name, figure, unit, baseline, baseline_name, ratio, target, "PASS" if ok else "FAIL", note)


def skipped(bar: str, name: str, target: str, reason: str) -> Row:
    return Row(bar, name, None, "", None, "", None, target, "SKIPPED", reason)


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def render(rows: list[Row]) -> str:
    header = ("bar", "what", "figure", "baseline", "ratio", "target", "result")
    body = [
        (
            r.bar,
            r.name,
            f"{number(r.figure)} {r.unit}".strip(),
            f"{number(r.baseline)} {r.unit} ({r.baseline_name})" if r.baseline is not None else r.baseline_name or "-",
            f"{r.ratio:.2f}x" if r.ratio is not None else "-",
            r.target,
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    out = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in body]
    notes = [f"  [{r.bar}] {r.note}" for r in rows if r.note]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out)


def write_json(rows: list[Row], path: Path, meta: dict[str, object]) -> None:
    path.write_text(json.dumps({"meta": meta, "bars": [asdict(r) for r in rows]}, indent=2) + "\n", encoding="utf-8")
