"""Notes: sections of Markdown text whose concurrent edits merge when they do not overlap."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import NotesConflictError

GENERAL = "general"


def section_name(topic_id: int | None) -> str:
    """Notes have one general section and one per topic."""
    return GENERAL if topic_id is None else f"topic-{topic_id}"


@dataclass(frozen=True)
class Merged:
    text: str
    merged: bool  # True when a concurrent change was folded in


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def three_way_merge(base: str, current: str, proposed: str) -> Merged:
    """Combine an edit made from `base` with the `current` text, or refuse with the conflict.

    Nothing is lost on refusal: the caller still holds the proposed text, and the error
    shows the lines both sides changed.
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
        raise NotesConflictError(
            "the notes changed since your revision in the same place; merge by hand and retry",
            conflicts,
        )
    text = "".join(result)
    # Keep the proposer's choice about a final newline.
    if not proposed.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    return Merged(text, merged=True)
