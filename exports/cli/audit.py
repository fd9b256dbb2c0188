"""`meetings audit` and `meetings verify`: who changed what and when, and proof the history is intact."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

import click

from exports.cli.support import Progress, session


@click.command("audit")
@click.argument("slug", required=False)
@click.option("--actor", metavar="ACCOUNT", help="Only events performed by ACCOUNT (ignoring case).")
@click.option(
    "--person", metavar="NAME", help="Only events about NAME, attendee or proposer (ignoring case and repeated spaces)."
)
@click.option("--since", metavar="TIME", help="Only events at or after TIME (ISO 8601; no offset: local time).")
@click.option("--until", metavar="TIME", help="Only events at or before TIME (ISO 8601; no offset: local time).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default=None,
    help="text (one sentence per event, the default), json or csv.",
)
@click.option("--diffs", is_flag=True, help="Show each notes edit as a unified diff against the revision before it.")
def audit(
    slug: str | None,
    actor: str | None,
    person: str | None,
    since: str | None,
    until: str | None,
    fmt: str | None,
    diffs: bool,
) -> None:
    """List every event, oldest first: time, actor, meeting, person, action and a sentence.

    Give SLUG for one meeting. On a terminal the output is paged, like `git log`. Email
    addresses are shown to admins only: for anyone else the email field is null and an
    address written into a remark or the notes reads "[email hidden]".
    """
    from exports import audit as trail
    from ledger import text
    from ledger.errors import NotFoundError
    from ledger.timing import parse_moment
    from projections import queries

    filters = trail.Filters(
        actor=actor,
        person=person,
        since=parse_moment(since, "--since") if since else None,
        until=parse_moment(until, "--until") if until else None,
    )
    fmt = fmt or ("json" if session().as_json else "text")
    if slug and "/" not in slug:
        text.slug(slug)  # a malformed slug is bad input (exit 2), not an unknown meeting
    # A meeting's stream, else a series' (SERIES/DATE: that occurrence's own stream).
    streams = queries.stream_ids(slug) if slug else [None]
    for stream in streams:
        events = trail.stream_events(session().reader, stream)
        first = next(events, None)
        if first is not None:
            break
    if slug and first is None and "/" not in slug:
        raise NotFoundError(f"no meeting {slug!r}")
    persons = {account.name: account.person for account in session().reader.accounts()}
    read: Iterable[Any] = _prepend(first, events)
    if not session().reader.current_account().admin:
        read = trail.without_emails(read)  # email addresses are for admins only, in every format
    found = trail.entries(read, filters, diffs, persons, _not_notified(stream if slug else None))
    write(trail.render(found, fmt, diffs))


def _not_notified(meeting_id: str | None) -> dict[int, list[tuple[str, str]]]:
    """Whom the notifier skipped, by event position (its outbox; nothing before it first ran)."""
    from projections.notices import SKIPPED, Outbox

    found: dict[int, list[tuple[str, str]]] = {}
    for row in Outbox(session().store(catch_up=False)).rows(status=SKIPPED, meeting_id=meeting_id):
        found.setdefault(row.position, []).append((row.recipient, row.reason))
    return found


def _prepend(first: Any, rest: Iterable[Any]) -> Iterable[Any]:
    if first is not None:
        yield first
    yield from rest


def write(chunks: Iterable[str]) -> None:
    """Page on a terminal; stream plainly into a pipe, stopping quietly when the reader does."""
    if sys.stdout.isatty():
        click.echo_via_pager(chunks)
        return
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        # `meetings audit | head`: the reader has all it wants; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _chain_and_caches(app: Any, expected: Any, events: int) -> tuple[Any, Any]:
    """`verify --deep`: the chain, and what the deep check found (None when the chain is broken).

    On a long ledger the chain is verified by a second process while this one folds the events
    (ledger/chain_process.py); the caches are only reported on when the chain holds, so a fold that
    fails on events too damaged to read is reported as the chain's break it comes from.
    """
    from ledger.verifying import chain_beside, resolve, verify_ledger
    from projections.verification import deep_findings

    beside = chain_beside(resolve(session().db_option), expected, events)
    if beside is None:
        with Progress("Verifying", events) as progress:
            result = verify_ledger(app.recorder, expected, progress=progress.advance)
        if result.broken is not None:
            return result, None
        with Progress("Checking the caches", events) as progress:
            return result, deep_findings(app, progress.advance)
    try:
        with Progress("Verifying", events) as progress:
            try:
                found: Any = deep_findings(app, progress.advance)
            except Exception as error:  # noqa: BLE001 (kept until the chain says whether the events are sound)
                found = error
        result = beside.result() or verify_ledger(app.recorder, expected)
    finally:
        beside.stop()
    if result.broken is not None:
        return result, None
    if isinstance(found, Exception):
        raise found
    return result, found


@click.command("verify")
@click.option("--head", "head_only", is_flag=True, help="Print only the head digest (after checking the chain).")
@click.option(
    "--expect", metavar="DIGEST", help="Also check that the history still extends the one DIGEST was taken from."
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also check that every meeting's newest snapshot and every read model equal the events.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def verify(head_only: bool, expect: str | None, deep: bool, as_json: bool) -> None:
    """Recompute the hash chain over every event and report the first one altered,
    removed, reordered or inserted (exit 1); print the head digest when intact.

    Keep a printed head digest somewhere else: `--expect` later proves the ledger
    still contains exactly that history, with only new events after it.
    """
    from ledger.errors import LedgerError
    from ledger.verifying import Digest, verify_ledger

    expected = Digest.parse(expect) if expect else None
    deep_result: Any = None
    if deep:
        app = session().reader
        events = app.recorder.max_notification_id() or 0
        result, deep_result = _chain_and_caches(app, expected, events)
    else:
        recorder = session().recorder()  # the application is opened below only if a finding needs it
        with Progress("Verifying", recorder.max_notification_id() or 0) as progress:
            result = verify_ledger(recorder, expected, progress=progress.advance)
    data: dict[str, Any] = {"ok": result.intact, "events": result.count, "head": str(result.head)}
    problem = None
    if result.broken is not None:
        from projections.verification import meeting_named

        broken = result.broken
        meeting = meeting_named(session().reader, broken.meeting_id, broken.position)
        data.update(position=broken.position, problem=broken.kind, message=broken.message)
        if meeting is not None:
            data["meeting"] = meeting
        where = f" (meeting {meeting})" if meeting is not None else ""
        problem = f"the ledger has been tampered with: {broken.message}{where}"
    elif expected is not None:
        data.update(expect=str(expected), extends=result.expected == "extends")
        if result.expected == "differs":
            problem = (
                f"the history does not extend {expected}: the history up to position {expected.position} "
                "has been rewritten since that digest was taken"
            )
        elif result.expected == "missing":
            problem = (
                f"the history does not extend {expected}: there is no event at position "
                f"{expected.position} any more (removed)"
            )
        if problem is not None and session().reader.migrated_from() == str(expected):
            # The ledger was migrated from one whose head was that digest (its first event says so).
            problem = None
            data.update(extends=True, migrated_from=str(expected))
        data["ok"] = problem is None
    deep_line = ""
    if deep and result.broken is not None:
        data["deep"] = None  # the events themselves are in doubt: nothing to compare the caches with
    elif deep:
        findings, checked_snapshots, documents = deep_result
        data["deep"] = {
            "snapshots": checked_snapshots,
            "documents": documents,
            "findings": [f.to_dict() for f in findings],
        }
        if findings:
            data["ok"] = False
            more = f" (and {len(findings) - 1} more; --json lists them all)" if len(findings) > 1 else ""
            problem = problem or f"the ledger's cached state has been tampered with: {findings[0].message}{more}"
        deep_line = (
            f"ok: the snapshots of {checked_snapshots} meetings and {documents} read-model documents match the events"
        )
    if as_json or session().as_json:
        click.echo(json.dumps(data, indent=2))
        if problem:
            raise click.exceptions.Exit(1)
        return
    if problem:
        raise LedgerError(problem)
    if head_only:
        click.echo(str(result.head))
        return
    if expected is not None and "migrated_from" in data:
        click.echo(
            f"ok: {result.count} events continue the migrated ledger whose head was {expected}, head {result.head}"
        )
    elif expected is not None:
        click.echo(f"ok: {result.count} events extend {expected}, head {result.head}")
    else:
        click.echo(f"ok: {result.count} events, head {result.head}")
    if deep_line:
        click.echo(deep_line)
