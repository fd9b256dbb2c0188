"""The agenda: the `topic` group (propose, retitle, move, withdraw) and `agenda`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from exports.cli.support import meeting_view, report, session

if TYPE_CHECKING:
    from projections.results import AgendaView


@click.group("topic")
def topic() -> None:
    """Propose, retitle, move and withdraw discussion topics."""


@topic.command("propose")
@click.argument("slug")
@click.argument("title")
@click.option("--by", "proposer", metavar="NAME", help="Who proposes it (default: whoever is acting).")
@click.option("--under", "parent", type=int, metavar="TOPIC_ID", help="Make it a sub-topic of this topic.")
def topic_propose(slug: str, title: str, proposer: str | None, parent: int | None) -> None:
    """Add TITLE to the agenda."""

    app = session().app
    saved = app.propose_topic(slug, title, proposer, parent)
    if session().as_json:
        report(saved)
        return
    from projections import queries

    topic_id = int(saved.summary.split()[2])  # "proposed topic 7 for m"
    numbers = {t.id: t.number for t in queries.agenda(session().store(), slug).topics()}
    click.echo(f"Proposed topic {numbers.get(topic_id, topic_id)} for {slug} (id {topic_id}).")


@topic.command("retitle")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.argument("title")
def topic_retitle(slug: str, topic_id: int, title: str) -> None:
    """Give topic TOPIC_ID a new title."""
    report(session().app.retitle_topic(slug, topic_id, title))


@topic.command("move")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.argument("position", type=int)
def topic_move(slug: str, topic_id: int, position: int) -> None:
    """Move topic TOPIC_ID to POSITION (1-based) among its siblings."""
    report(session().app.move_topic(slug, topic_id, position))


@topic.command("withdraw")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.option("--reason", default="", help="Why; recorded in the audit trail.")
def topic_withdraw(slug: str, topic_id: int, reason: str) -> None:
    """Withdraw topic TOPIC_ID (and its sub-topics)."""
    report(session().app.withdraw_topic(slug, topic_id, reason))


@meeting_view("agenda")
def agenda(items: AgendaView) -> None:
    """Show the agenda numbered as on the page (4, 4a...)."""
    if not items:
        click.echo("No topics proposed yet.")
    for item in items:
        click.echo(f"{item.number}. {item.title} ({item.proposer})  [id {item.id}]")
        for sub in item.subtopics:
            letter = sub.number[len(item.number) :]
            click.echo(f"  - {letter}. {sub.title} ({sub.proposer})  [id {sub.id}]")
