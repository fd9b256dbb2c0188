"""Rekeying: a sign-up gains an email (or changes it), and with it the identity that keys the person.

An email identifies a person when given (PRODUCT.md section 2), so giving one to a sign-up made
by name moves its person key from "name:..." to "email:...". That is more than an edit of a
field: later events are about the new key, personal data from then on is sealed under the new
identity's key (ledger/privacy.py), and a personal feed of the email now reaches this meeting
too. The `EmailChanged` event records both keys, so that erasing either identity erases both
(the `erase` command follows that link) and a replay after an erasure still matches the entry.
"""

from __future__ import annotations

from ledger import people
from ledger.attendance import Attendee, Roster
from ledger.errors import RuleError


def new_person_key(roster: Roster, attendee: Attendee, email: str, slug: str) -> str:
    """The person key the entry takes with `email`; refused when nothing changes or the email is someone else's."""
    if attendee.email and attendee.email.casefold() == email.casefold():
        raise RuleError(f"{attendee.name} is already signed up for {slug} with that email")
    person_key = people.person_key(attendee.name, email)
    holder = roster.by_email(email) or roster.attendees.get(person_key)
    if holder is not None and holder.key != attendee.key:
        # Two entries would be one person: the email identifies them (withdraw one first).
        raise RuleError(f"{holder.name} is already signed up for {slug} with that email")
    return person_key
