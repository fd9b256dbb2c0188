"""The Ledger's commands about accounts, admins and organizers, and the one permission check.

Who is authenticated is set by the edge through `acting()`; every write command then calls
`_authorize` with its action from the rules table in `ledger/roles.py`, before it appends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import EventSourcingError

from ledger import people, text
from ledger.accounts import Directory
from ledger.credentials import API_TOKEN, SIGN_IN, SIGN_IN_LIFETIME, Credentials
from ledger.errors import BadInputError, PermissionDeniedError
from ledger.roles import Account, acts_as_self, authorize, roles_of
from ledger.streams import DIRECTORY_ID

if TYPE_CHECKING:
    from ledger.application import Saved
    from ledger.meeting import Meeting
    from ledger.roles import Subject

LEDGER = "the ledger"


class AccessCommands:
    """Accounts, admins, organizers, and who is acting: mixed into `Ledger`."""

    # Provided by Ledger.
    storage: Any
    repository: Any
    events: Any
    recorder: Any
    mapper: Any
    _retrying: Callable[..., Any]
    _save: Callable[..., Saved]
    _update: Callable[..., Saved]
    get_meeting: Callable[[str], Meeting]

    # ----- who is acting -------------------------------------------------------------------

    def authenticate(self, account: str | None = None, *, for_person: str | None = None) -> None:
        """Say who is acting in this context: an account (default: the one the storage itself
        authenticated, PostgreSQL's session user or the OS login of a SQLite file's user) and
        the person acted for (`--as`; default: the account's own person, which only organizers
        may change for someone else, checked by every command)."""
        name = account if account is not None else (self.storage.session_user() or people.login_name())
        people.principal_var.set(text.check("account", name))
        people.actor_var.set(people.display_name(for_person) if for_person else "")

    @contextmanager
    def acting(self, account: str, *, for_person: str | None = None) -> Iterator[Account]:
        """Run the commands inside as this authenticated account (a server's request)."""
        principal, actor = people.principal_var.get(), people.actor_var.get()
        try:
            self.authenticate(account, for_person=for_person)
            yield self.current_account()
        finally:
            people.principal_var.set(principal)
            people.actor_var.set(actor)

    def current_account(self) -> Account:
        """The authenticated account, as the directory knows it."""
        name = people.principal_var.get()
        if not name:
            raise PermissionDeniedError("no authenticated account: nothing may be written")
        return self.account(name) or Account(name, None, name, admin=name in self._founders())

    def account(self, name: str) -> Account | None:
        """An account by name; an account nobody registered is known only by its own name."""
        directory = self._directory()
        if directory is None:
            return Account(name, None, name, admin=name in self._founders())
        return directory.account(name)

    def accounts(self) -> list[Account]:
        directory = self._directory()
        if directory is None:
            return [Account(name, None, name, admin=True) for name in self._founders()]
        names = sorted({*directory.accounts, *directory.admins})
        return [directory.account(name) for name in names]

    def _directory(self) -> Directory | None:
        """The directory, replayed from its events: it is small, and it is never snapshotted, so
        no snapshot outside the chain can change who may do what."""
        directory: Any = None
        for event in self.events.get(DIRECTORY_ID):
            directory = event.mutate(directory)
        assert directory is None or isinstance(directory, Directory)
        return directory

    def _founders(self) -> list[str]:
        """The account that recorded the ledger's first event: its first admin (none yet: whoever writes first)."""
        try:
            first = self.recorder.select_notifications(start=None, limit=1)
            if not first:
                principal = people.principal_var.get()
                return [principal] if principal else []
            event = self.mapper.to_domain_event(first[0])
        except (TypeError, ValueError, KeyError, EventSourcingError):
            return []  # a tampered first event: nobody is its admin (`meetings verify` names it)
        return [str(getattr(event, "principal", "") or "")]

    # ----- the check -------------------------------------------------------------------------

    def _acting_for(self, account: Account) -> str | None:
        """The person named by `--as` when it is not the account's own, else None."""
        person = people.actor_var.get()
        return None if not person or acts_as_self(account, person) else person

    def organizers_of(self, meeting: Meeting) -> list[str]:
        """A meeting's organizers; one created before they were recorded has its creator."""
        if meeting.organizers is not None:
            return list(meeting.organizers)
        created = next(iter(self.events.get(meeting.id, lte=1)), None)
        creator = str(getattr(created, "principal", "") or "")
        return [creator] if creator else []

    def _authorize(self, action: str, meeting: Meeting | None = None, subject: Subject | None = None) -> None:
        """The one permission check every write passes before it changes anything."""
        account = self.current_account()
        if not people.actor_var.get():
            # Nobody named with --as: the events record the account's own person as the actor.
            people.actor_var.set(account.person)
        authorize(
            action,
            account,
            where=meeting.slug if meeting is not None else LEDGER,
            organizers=self.organizers_of(meeting) if meeting is not None else (),
            acting_for=self._acting_for(account),
            subject=subject,
        )

    def meeting_organizers(self, slug: str) -> list[str]:
        return self.organizers_of(self.get_meeting(slug))

    def roles(self, slug: str, account: str) -> frozenset[str]:
        """The roles an account holds in a meeting (for showing the controls it may use)."""
        found = self.account(account) or Account(account, None, account)
        return roles_of(found, self.organizers_of(self.get_meeting(slug)))

    # ----- organizers ------------------------------------------------------------------------

    def add_organizer(self, slug: str, account: str) -> Saved:
        account = _account_name(account)

        def change(meeting: Meeting) -> str:
            meeting.add_organizer(account, self.organizers_of(meeting))
            return f"{account} now organizes {slug}"

        return self._update(slug, "organizers", change)

    def remove_organizer(self, slug: str, account: str) -> Saved:
        def change(meeting: Meeting) -> str:
            meeting.remove_organizer(account, self.organizers_of(meeting))
            return f"{account} no longer organizes {slug}"

        return self._update(slug, "organizers", change)

    # ----- accounts and admins ---------------------------------------------------------------

    def _update_directory(self, action: str, change: Callable[[Directory], str]) -> Saved:
        def attempt() -> Saved:
            self._authorize(action)
            directory = self._directory() or Directory(founder=self._founders()[0])
            return self._save(directory, change(directory))

        saved: Saved = self._retrying(attempt)
        return saved

    def add_account(self, name: str, email: str | None = None, person: str | None = None) -> Saved:
        name = _account_name(name)
        email = text.check("email", email) if email else None
        person = people.display_name(person) if person else None

        def change(directory: Directory) -> str:
            directory.add_account(name, email, person)
            linked = f" as {person}" if person else ""
            return f"added account {name}{linked}"

        return self._update_directory("accounts", change)

    def revoke_account(self, name: str) -> Saved:
        """Revoke an account; its tokens and unused sign-in links stop working with it."""

        saved = self._directory_command("accounts", Directory.revoke_account, name, f"revoked account {name}")
        for kind in (API_TOKEN, SIGN_IN):
            self._credentials.revoke(name, kind)
        return saved

    # ----- secrets that prove an account ---------------------------------------------------

    @functools.cached_property
    def _credentials(self) -> Credentials:
        return Credentials(self.storage)

    def issue_api_token(self, name: str) -> str:
        """A personal API token for the account, shown once; it replaces the account's earlier one."""
        return self._credentials.issue(self.check_may_issue_credentials(name).name, API_TOKEN)

    def revoke_api_token(self, name: str) -> bool:
        return self._credentials.revoke(self.check_may_issue_credentials(name).name, API_TOKEN) > 0

    def issue_sign_in_token(self, name: str) -> str:
        """A one-time sign-in secret for the account's sign-in link (single use, short-lived)."""
        return self._credentials.issue(self.check_may_issue_credentials(name).name, SIGN_IN, SIGN_IN_LIFETIME)

    def account_for_token(self, token: str) -> Account | None:
        """The live account a personal API token proves, or None (unknown, replaced or revoked)."""
        return self._live(self._credentials.account_for(token, API_TOKEN))

    def redeem_sign_in_token(self, token: str) -> Account | None:
        """The live account a sign-in link proves, once, or None (unknown, used, expired or revoked)."""
        return self._live(self._credentials.redeem(token))

    def _live(self, name: str | None) -> Account | None:
        account = self.account(name) if name else None
        return account if account is not None and not account.revoked else None

    def grant_admin(self, name: str) -> Saved:
        name = _account_name(name)
        return self._directory_command("admins", Directory.grant_admin, name, f"{name} is now an admin")

    def revoke_admin(self, name: str) -> Saved:
        return self._directory_command("admins", Directory.revoke_admin, name, f"{name} is no longer an admin")

    def _directory_command(self, area: str, command: Callable[[Directory, str], None], name: str, done: str) -> Saved:
        """One directory command about the account NAME, checked as `area` needs; `done` says what happened."""

        def change(directory: Directory) -> str:
            command(directory, name)
            return done

        return self._update_directory(area, change)

    def check_may_issue_credentials(self, name: str) -> Account:
        """Tokens and sign-in links: an admin issues them for any registered account, anyone for their own."""
        me = self.current_account()
        directory = self._directory()
        if name != me.name:
            authorize("accounts", me, where=LEDGER)
            if directory is None or not directory.registered(name):
                raise BadInputError(f"no account {name!r}; add it first with 'meetings account add'")
        target = self.account(name) or me
        if target.revoked:
            raise PermissionDeniedError(f"account {name!r} has been revoked")
        return target


def _account_name(name: str) -> str:
    name = text.check("account", name)
    if any(c.isspace() for c in name):
        raise BadInputError(f"account name {name!r} must not contain spaces")
    return name
