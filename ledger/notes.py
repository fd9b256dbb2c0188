"""Notes: sections of Markdown text whose concurrent edits merge when they do not overlap."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import NotesConflictError
from ledger.text import check

GENERAL = "general"


def section_name(topic_id: int | None) -> str:
    """Notes have one general section and one per topic."""
    return GENERAL if topic_id is None else f"topic-{topic_id}"


def changed_since(section: str, base: int, current: int) -> str:
    """How a conflict names what moved: "the notes of topic 4 changed since revision 2 (now 3)"."""
    label = "general notes" if section == GENERAL else f"notes of topic {section.removeprefix('topic-')}"
    return f"the {label} changed since revision {base} (now {current})"


@dataclass(frozen=True)
class Merged:
    text: str
    merged: bool  # True when a concurrent change was folded in


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


SHOWN_LINES = 40  # conflicting lines a refusal carries at most (a stale edit of a huge text is not echoed whole)
SHOWN_WIDTH = 200  # characters of each line shown


def three_way_merge(base: str, current: str, proposed: str, where: str = "the notes changed") -> Merged:
    """Combine an edit made from `base` with the `current` text, or refuse with the conflict.

    Nothing is lost on refusal: the caller still holds the proposed text, and the error
    names where both sides changed (line numbers of the current text and of the edit) and
    shows the first of those lines, bounded in number and width.
    """
    if base == current:
        return Merged(proposed, merged=False)
    if proposed in (base, current):
        return Merged(current, merged=True)

    # merge3 needs every line to end in a newline to align the last line correctly.
    def terminated(text: str) -> list[str]:
        lines = _lines(text)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return lines

    import merge3  # only a stale-based edit needs it

    merger = merge3.Merge3(terminated(base), terminated(current), terminated(proposed))
    result: list[str] = []
    conflicts: list[str] = []
    for group in merger.merge_groups():
        kind = group[0]
        if kind == "conflict":
            theirs, ours = group[2], group[3]  # type: ignore[misc]
            conflicts.extend(f"- {line.rstrip()}" for line in theirs)
            conflicts.extend(f"+ {line.rstrip()}" for line in ours)
        else:
            result.extend(group[1])
    if conflicts:
        spans = [(r[3], r[4], r[5], r[6]) for r in merger.merge_regions() if r[0] == "conflict"]
        raise NotesConflictError(
            f"{where} in the same place as your edit ({_places(spans)}); nothing was saved: merge by hand and retry",
            _bounded(conflicts),
        )
    text = "".join(result)
    # Keep the proposer's choice about a final newline.
    if not proposed.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    check("notes", text)  # two texts under the limit can merge into one over it
    return Merged(text, merged=True)


def _lines_at(start: int, end: int) -> str:
    """0-based [start, end) as the 1-based lines a person reads: "line 3", "lines 3-5", "after line 2"."""
    if end <= start:
        return f"after line {start}"
    return f"line {start + 1}" if end == start + 1 else f"lines {start + 1}-{end}"


def _places(spans: list[tuple[int, int, int, int]]) -> str:
    shown = [f"{_lines_at(a1, a2)} of the current text, {_lines_at(b1, b2)} of yours" for a1, a2, b1, b2 in spans[:3]]
    more = f"; and {len(spans) - 3} more places" if len(spans) > 3 else ""
    return "; ".join(shown) + more


def _bounded(lines: list[str]) -> list[str]:
    cut = [line if len(line) <= SHOWN_WIDTH else line[:SHOWN_WIDTH] + "…" for line in lines[:SHOWN_LINES]]
    if len(lines) > SHOWN_LINES:
        cut.append(f"… and {len(lines) - SHOWN_LINES} more conflicting lines")
    return cut
