"""Who may do what (PRODUCT.md section 9): the one table of rules, and the one check of it.

Three roles: admins of the ledger may do anything; organizers of a meeting may do anything
to that meeting; everyone else is a participant, who may act on their own entry and their own
topics, propose topics and edit the notes. Acting for someone else (`--as`) is an
organizer's right.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, NamedTuple

from ledger import people
from ledger.errors import NotFoundError, PermissionDeniedError, RuleError
from ledger.privacy import ERASED

if TYPE_CHECKING:
    from ledger.meeting import Meeting

PARTICIPANT, ORGANIZER, ADMIN = "participant", "organizer", "admin"


class Holders(NamedTuple):
    """A role that is never left without a holder (the ledger's admins, a meeting's or a series'
    organizers): the rules for giving it and taking it away, and the words that refuse them, after the name."""

    holding: str  # "is already an admin"
    not_holding: str
    last: str

    def check_give(self, current: Collection[str], name: str) -> None:
        if name in current:
            raise RuleError(f"{name} {self.holding}")

    def check_take(self, current: Collection[str], name: str) -> None:
        if name not in current:
            raise NotFoundError(f"{name} {self.not_holding}")
        if len(current) == 1:
            raise RuleError(f"{name} {self.last}")


ADMINS = Holders("is already an admin", "is not an admin", "is the ledger's only admin; grant another admin first")


def organizers(slug: str) -> Holders:
    """The organizers of the meeting or series `slug`."""
    return Holders(
        f"already organizes {slug}",
        f"does not organize {slug}",
        f"is the only organizer of {slug}; add another organizer first",
    )


class Account(NamedTuple):
    """An account as the edges see it: its name, the person it signs up as, and its standing."""

    name: str
    email: str | None
    person: str  # the display name it acts as (its own name when no person is linked)
    revoked: bool = False
    admin: bool = False


def acts_as_self(account: Account, person: str, email: str | None = None) -> bool:
    """Whether a named person (and email, when the entry has one) is the account's own person.

    An email identifies a person when given (PRODUCT.md section 2), so an entry with an email
    is the account's own only when the account has that email too.
    """
    if account.person == ERASED:
        return False  # the person this account signed up as was erased: no one is its own any more
    if email and account.email:
        return email.casefold() == account.email.casefold()
    if email and not account.email:
        return False
    return people.name_key(person) == people.name_key(account.person)


class Rule(NamedTuple):
    """The least role an action needs, and what a participant may do it to on their own."""

    role: str
    what: str  # how a refusal names the action
    own: str | None = None  # "entry" or "topic": a participant's own one is allowed


RULES: dict[str, Rule] = {
    "create": Rule(PARTICIPANT, "create a meeting"),
    "edit": Rule(ORGANIZER, "edit"),
    "reschedule": Rule(ORGANIZER, "reschedule"),
    "cancel": Rule(ORGANIZER, "cancel"),
    "reinstate": Rule(ORGANIZER, "reinstate"),
    "capacity": Rule(ORGANIZER, "change the capacity of"),
    "signup": Rule(ORGANIZER, "sign someone else up for", own="entry"),
    "withdraw": Rule(ORGANIZER, "withdraw someone else from", own="entry"),
    "change": Rule(ORGANIZER, "change someone else's entry in", own="entry"),
    "topic-propose": Rule(PARTICIPANT, "propose a topic for"),
    "topic-retitle": Rule(ORGANIZER, "retitle someone else's topic in", own="topic"),
    "topic-move": Rule(ORGANIZER, "move topics of"),
    "topic-withdraw": Rule(ORGANIZER, "withdraw someone else's topic from", own="topic"),
    "notes-edit": Rule(PARTICIPANT, "edit the notes of"),
    "notes-restore": Rule(ORGANIZER, "restore notes revisions of"),
    "organizers": Rule(ORGANIZER, "change the organizers of"),
    "act-for": Rule(ORGANIZER, "act for someone else in"),
    "accounts": Rule(ADMIN, "manage accounts of"),
    "admins": Rule(ADMIN, "grant or revoke admins of"),
    "erase": Rule(ADMIN, "erase people from"),
    # Mail: anyone may mute their own; an organizer the people of their meeting; an admin anyone.
    "notify-configure": Rule(ADMIN, "configure the notifier of"),
    "mute": Rule(ORGANIZER, "mute or unmute someone else's mail in", own="entry"),
}


class Subject(NamedTuple):
    """What an action is done to, when a participant may do it to their own: a person or a topic's proposer."""

    person: str
    email: str | None = None


def roles_of(account: Account, organizers: Collection[str]) -> frozenset[str]:
    """The roles an account holds in a meeting (or in the ledger, with no organizers)."""
    held = {PARTICIPANT}
    if account.name in organizers and not account.revoked:
        held.add(ORGANIZER)
    if account.admin:
        held.update((ADMIN, ORGANIZER))
    return frozenset(held)


def authorize(
    action: str,
    account: Account,
    *,
    where: str,
    organizers: Collection[str] = (),
    acting_for: str | None = None,
    subject: Subject | None = None,
) -> None:
    """Refuse (PermissionDeniedError, naming the role needed) unless the account may do `action`.

    `where` names the meeting (or "the ledger"); `acting_for` is the person named by `--as`
    when it is not the account's own; `subject` is whose entry or topic the action touches.
    """
    if account.revoked:
        raise PermissionDeniedError(f"account {account.name!r} has been revoked")
    held = roles_of(account, organizers)
    if acting_for is not None and not acts_as_self(account, acting_for):
        _require(RULES["act-for"], account, held, where)
    rule = RULES[action]
    if rule.role in held:
        return
    if rule.own is not None and subject is not None:
        email = subject.email if rule.own == "entry" else None
        if acts_as_self(account, acting_for or subject.person, None) and acts_as_self(account, subject.person, email):
            return
    _require(rule, account, held, where)


def _require(rule: Rule, account: Account, held: frozenset[str], where: str) -> None:
    if rule.role in held:
        return
    needed = "an admin of the ledger" if rule.role == ADMIN else f"an organizer of {where} or an admin"
    raise PermissionDeniedError(
        f"{account.name} may not {rule.what} {where}: that needs the {rule.role} role ({needed})"
    )


def entry_of(meeting: Meeting, name: str) -> Subject:
    """Whose entry a command about NAME touches (the lookup also refuses an unknown name)."""
    attendee = meeting.find_attendee(name)
    return Subject(attendee.name, attendee.email)


def proposer_of(meeting: Meeting, topic_id: int) -> Subject:
    """Whose topic a command touches: its proposer's."""
    return Subject(meeting.find_topic(topic_id).proposer)
