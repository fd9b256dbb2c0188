"""Calendar commands: `export ics`, `export feed`, `feed-token issue|revoke` and `serve`."""

from __future__ import annotations

import os
from typing import Any

import click

from exports.cli.output import output_options, write_output
from exports.cli.support import session

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class PastDays(click.ParamType):
    """A number of days from 0 to 3650, or "all" (every past meeting)."""

    name = "DAYS|all"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from exports.calendar.feeds import ALL_PAST_DAYS

        if isinstance(value, int):
            return value
        if str(value).strip().lower() == "all":
            return ALL_PAST_DAYS
        try:
            days = int(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a number of days or 'all'", param, ctx)
        if not 0 <= days <= 3650:
            self.fail(f"{days} is not in the range 0 to 3650 (or 'all')", param, ctx)
        return days


past_days_option = click.option(
    "--past-days",
    type=PastDays(),
    default=30,
    show_default=True,
    help="Also include meetings that ended this many days ago (0-3650), or 'all' past meetings.",
)


@click.command("ics")
@click.argument("slug")
@output_options
def export_ics(slug: str, output: str | None, force: bool) -> None:
    """Write one meeting as an iCalendar (.ics) file."""
    from exports.calendar import feeds

    write_output(feeds.meeting_feed(session().store(), slug).body, output, force)


@click.command("feed")
@click.option("--person", metavar="NAME", help="Only the meetings NAME (or an email) signed up for.")
@past_days_option
@output_options
def export_feed(person: str | None, past_days: int, output: str | None, force: bool) -> None:
    """Write the feed of upcoming and recent meetings (everyone's, or one person's) as .ics."""
    from datetime import UTC, datetime

    from exports.calendar import feeds

    store = session().store()
    now = datetime.now(UTC)
    if person is None:
        feed = feeds.all_meetings_feed(store, now, past_days)
    else:
        feed = feeds.person_feed(store, feeds.find_person(store, person), now, past_days)
    write_output(feed.body, output, force)


@click.group("feed-token")
def feed_token() -> None:
    """Personal calendar feed URLs ("meetings I attend"), each behind a secret token."""


base_url_option = click.option(
    "--base-url",
    metavar="URL",
    default=lambda: os.environ.get("MEETINGS_BASE_URL", DEFAULT_BASE_URL),
    help=f"Where `meetings serve` is reachable (else $MEETINGS_BASE_URL, else {DEFAULT_BASE_URL}).",
)


@feed_token.command("issue")
@click.argument("name")
@base_url_option
def feed_token_issue(name: str, base_url: str) -> None:
    """Print a new feed URL for NAME (or an email); NAME's earlier URL stops working."""
    from exports.calendar import feeds, tokens

    store = session().store()
    person = feeds.find_person(store, name)
    token = tokens.FeedTokens(store).issue(person)
    url = f"{base_url.rstrip('/')}/people/{token}.ics"
    if session().as_json:
        import json

        click.echo(json.dumps({"person": person.name, "url": url}))
    else:
        click.echo(url)


@feed_token.command("revoke")
@click.argument("name")
def feed_token_revoke(name: str) -> None:
    """Make NAME's feed URL stop working (404)."""
    from exports.calendar import feeds, tokens
    from ledger.errors import NotFoundError

    store = session().store()
    person = feeds.find_person(store, name)
    if not tokens.FeedTokens(store).revoke(person):
        raise NotFoundError(f"{person.name} has no feed URL")
    click.echo(f"Revoked the feed URL of {person.name}.")


@feed_token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def feed_token_list(as_json: bool) -> None:
    """List who has a feed URL, and since when (the URLs themselves are shown once, when issued)."""
    import json

    from exports.calendar import tokens

    issued = tokens.FeedTokens(session().store()).listing()
    if as_json or session().as_json:
        click.echo(json.dumps([{"person": name, "issued_at": at} for name, at in issued], indent=2, ensure_ascii=False))
    elif not issued:
        click.echo("No feed URLs issued yet. Issue one with 'meetings feed-token issue NAME'.")
    else:
        for name, at in issued:
            click.echo(f"{name}  (issued {at[:19]}Z)")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free)."
)
@click.option("--base-url", metavar="URL", help="Public URL for the index page's links (default: the request's Host).")
@past_days_option
@click.option("--quiet", is_flag=True, help="No access log (one line per request on stdout, tokens redacted).")
@click.option(
    "--trust-proxy-header",
    metavar="HEADER",
    help="Take the signed-in account from this header (e.g. X-Forwarded-User) set by an SSO proxy on this "
    "machine; only safe when nothing else can reach the server. Off unless given.",
)
@click.option(
    "--notify", "with_notifier", is_flag=True, help="Also run the notifier (`meetings notify run`) beside the server."
)
def serve_feeds(
    host: str,
    port: int,
    base_url: str | None,
    past_days: int,
    quiet: bool,
    trust_proxy_header: str | None,
    with_notifier: bool,
) -> None:
    """Serve calendar feeds over HTTP (waitress): /calendar.ics, /meetings/SLUG.ics, /people/TOKEN.ics,
    and the meetings' web pages, forms and JSON API beside them."""
    from exports.server.app import FeedApp
    from exports.server.dispatch import Dispatcher
    from exports.server.serve import SERVER_THREADS, own_hosts, url_of
    from exports.server.serve import serve as run
    from exports.web import create_app

    # Each worker thread may need a database connection at once (PostgreSQL pool), the notifier one more.
    session().pool_size = SERVER_THREADS + (1 if with_notifier else 0)
    session().app  # noqa: B018 - the server takes sign-ups too: like any write, it may start a new ledger
    store = session().store()
    if with_notifier:
        start_notifier(store, base_url)
    feeds = FeedApp(store, base_url=base_url, past_days=past_days)
    web = create_app(
        session().app,
        store,
        base_url=base_url,
        proxy_user_header=trust_proxy_header,
        refresh=feeds.refresh,
        position=lambda: feeds.position,
    )

    def listening(bound_host: str, bound_port: int) -> None:
        feeds.allow_hosts(own_hosts(bound_host, bound_port))
        click.echo(f"Serving calendar feeds on {url_of(host, bound_port)} (Ctrl-C to stop)", err=True)

    run(
        Dispatcher(feeds, web, web.extensions["meetings"].pages),
        host,
        port,
        access_log=not quiet,
        on_listening=listening,
    )


def start_notifier(store: Any, base_url: str | None) -> None:
    """The notifier in a thread of the server's process; its errors are reported on stderr and retried."""
    import threading

    from exports.notifier.runner import Runner

    if base_url and not os.environ.get("MEETINGS_BASE_URL"):
        os.environ["MEETINGS_BASE_URL"] = base_url  # the unsubscribe links point at this server
    runner = Runner(session().app, store)
    if runner.config() is None:  # a missing or bad SMTP setting is refused now, not in the thread
        from ledger.errors import BadInputError

        raise BadInputError("--notify needs an SMTP server: set MEETINGS_SMTP_URL or run 'meetings notify configure'")

    def loop() -> None:
        try:
            runner.run(threading.Event())
        except Exception as error:  # noqa: BLE001 - reported; the server goes on serving
            click.echo(f"notify: stopped: {error}", err=True)

    threading.Thread(target=loop, name="notifier", daemon=True).start()
    click.echo("Notifier running beside the server.", err=True)
