"""`meetings notify`: mail the people concerned when their meeting or sign-up changes (PRODUCT.md section 11).

smtplib and email are imported only by these commands, inside them.
"""

from __future__ import annotations

import json

import click

from exports.cli.support import report, session


@click.group("notify")
def notify() -> None:
    """Mail people when a meeting they attend moves, is cancelled, or their sign-up changes."""


@notify.command("run")
@click.option("--once", is_flag=True, help="One round (follow the log, send what is due), then stop.")
@click.option(
    "--from-start",
    is_flag=True,
    help="On the notifier's first run, notify every event since the ledger began (default: from now on).",
)
def notify_run(once: bool, from_start: bool) -> None:
    """Follow the events and send the mails they call for, until interrupted."""
    import threading

    from exports.notifier.runner import Runner

    s = session()
    runner = Runner(s.app, s.store(catch_up=False), from_start=from_start)
    if once:
        done = runner.once()
        message = f"Sent {done.sent} message(s)" + (f"; {done.failed} failed, to be retried" if done.failed else "")
        click.echo(json.dumps({"sent": done.sent, "failed": done.failed}) if s.as_json else message + ".")
        return
    click.echo("Notifier running (Ctrl-C to stop).", err=True)
    try:
        runner.run(threading.Event())
    except KeyboardInterrupt:
        pass


@notify.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def notify_status(as_json: bool) -> None:
    """The notifier's position, its queue, and the last errors."""
    from exports.notifier.runner import status

    found = status(session().store(catch_up=False))
    if as_json or session().as_json:
        click.echo(json.dumps(found, indent=2))
        return
    q = found["queue"]
    click.echo(f"Position: {found['position']} of {found['last_position']}")
    click.echo(
        f"SMTP: {found['smtp'] or 'not configured'}" + (f" (from {found['mail_from']})" if found["mail_from"] else "")
    )
    if found["config_error"]:
        click.echo(f"Configuration: {found['config_error']}")
    click.echo(f"Queue: {q['pending']} pending, {q['sent']} sent, {q['skipped']} not notified")
    for error in found["errors"]:
        click.echo(f"Error: {error['recipient']} ({error['kind']}, {error['attempts']} attempts): {error['error']}")


def _mute(person: str, meeting: str | None, muted: bool) -> None:
    report(session().app.mute(person, muted=muted, meeting=meeting))


meeting_option = click.option(
    "--meeting", metavar="SLUG", help="A meeting PERSON signed up for (lets its organizers mute its attendees)."
)


@notify.command("mute")
@click.argument("person")
@meeting_option
def notify_mute(person: str, meeting: str | None) -> None:
    """Send PERSON (a name or an email) no more mail; anyone may mute themselves, admins anyone."""
    _mute(person, meeting, True)


@notify.command("unmute")
@click.argument("person")
@meeting_option
def notify_unmute(person: str, meeting: str | None) -> None:
    """Send PERSON mail again."""
    _mute(person, meeting, False)


@notify.command("configure")
@click.option("--smtp-url", metavar="URL", help="smtp://host:port, smtp+starttls://user@host:port or smtps://...")
@click.option("--from", "sender", metavar="ADDRESS", help="The sender's address (MEETINGS_MAIL_FROM).")
@click.option("--base-url", metavar="URL", help="Where the web pages are, for the unsubscribe link.")
def notify_configure(smtp_url: str | None, sender: str | None, base_url: str | None) -> None:
    """Store the SMTP server and sender in the ledger (admins only); the environment overrides them.

    The password is never stored: give it in MEETINGS_SMTP_PASSWORD (or in MEETINGS_SMTP_URL).
    """
    from exports.notifier.config import parse_smtp_url
    from ledger.errors import BadInputError

    s = session()
    s.app.check_may_configure_notifier()
    if smtp_url is None and sender is None and base_url is None:
        raise BadInputError("give --smtp-url, --from or --base-url")
    from projections.notices import Outbox

    outbox = Outbox(s.store(catch_up=False))
    if smtp_url is not None:
        url = parse_smtp_url(smtp_url)
        if url.password:
            click.echo("The password was not stored: give it in MEETINGS_SMTP_PASSWORD when running.", err=True)
        outbox.set_setting("smtp-url", url.shown)
    if sender is not None:
        if "@" not in sender:
            raise BadInputError(f"--from must be an email address, not {sender!r}")
        outbox.set_setting("mail-from", sender.strip())
    if base_url is not None:
        outbox.set_setting("base-url", base_url.strip().rstrip("/"))
    click.echo("Stored the notifier's settings.")
