"""Who receives no mail: muting and unmuting a person, recorded as events of the directory.

A person may mute themselves; an organizer of a meeting may mute the people signed up for it
(`meeting=`); an admin anyone. An unsubscribe link in a mail mutes its recipient: the link
carries the person's key signed with a key kept in the ledger's database, and the signature is
the proof the check accepts in place of a signed-in account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ledger import people, text
from ledger.errors import BadInputError, PermissionDeniedError
from ledger.roles import Subject

if TYPE_CHECKING:
    from ledger.accounts import Directory
    from ledger.application import Saved
    from ledger.meeting import Meeting

LINK_PRINCIPAL = "unsubscribe-link"  # the principal an unsubscribe link's mute is recorded under


class MuteCommands:
    """Mixed into `Ledger`."""

    storage: Any
    _retrying: Callable[..., Any]
    _save: Callable[..., Saved]
    _authorize: Callable[..., None]
    _directory: Callable[[], Directory | None]
    _founders: Callable[[], list[str]]
    get_meeting: Callable[[str], Meeting]
    current_account: Callable[[], Any]

    def mute(self, person: str, *, muted: bool = True, meeting: str | None = None) -> Saved:
        """Mute (or unmute) a person, named by email or by name; `meeting` names where they sign up."""
        typed = " ".join(text.check("actor", person).split())
        if not typed:
            raise BadInputError("give a person's name or email")

        def attempt() -> Saved:
            if meeting is not None:
                found = self.get_meeting(meeting)
                attendee = found.find_attendee(typed)
                key, name = attendee.key, attendee.name
                self._authorize("mute", found, Subject(attendee.name, attendee.email))
            else:
                key, name = people.typed_person_key(typed), typed
                email = typed if people.is_email(typed) else None
                account = self.current_account()
                # An email names its owner: the account with that email mutes itself.
                own = email and account.email and email.casefold() == account.email.casefold()
                self._authorize("mute", None, Subject(account.person if own else typed, email))
            return self._record_mute(key, name, muted)

        saved: Saved = self._retrying(attempt)
        return saved

    def _record_mute(self, key: str, name: str, muted: bool) -> Saved:
        from ledger.accounts import Directory

        directory = self._directory() or Directory(founder=self._founders()[0])
        if muted:
            directory.mute(key, name)
        else:
            directory.unmute(key, name)
        return self._save(directory, f"{'muted' if muted else 'unmuted'} mail to {name}")

    def is_muted(self, person_key: str) -> bool:
        directory = self._directory()
        return directory is not None and directory.is_muted(person_key)

    def check_may_configure_notifier(self) -> None:
        from ledger.roles import authorize

        authorize("notify-configure", self.current_account(), where="the ledger")

    # ----- unsubscribe links -------------------------------------------------------------------

    def unsubscribe_token(self, person_key: str, name: str) -> str:
        """The signed token of a person's unsubscribe link (the same every time for that person)."""
        payload = _encode(f"{person_key}\n{name}")
        return f"{payload}.{self._sign(payload)}"

    def unsubscriber(self, token: str) -> tuple[str, str] | None:
        """The (person key, name) a token was signed for, or None when its signature is wrong."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            key, _, name = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().partition("\n")
        except (ValueError, UnicodeDecodeError):
            return None
        return key, name

    def mute_by_link(self, token: str) -> Saved:
        """Mute whoever an unsubscribe link was signed for; refused when the signature is wrong."""
        found = self.unsubscriber(token)
        if found is None:
            raise PermissionDeniedError("this unsubscribe link is not valid")
        key, name = found
        principal, actor = people.principal_var.get(), people.actor_var.get()
        people.principal_var.set(LINK_PRINCIPAL)
        people.actor_var.set(name)
        try:
            if self.is_muted(key):
                from ledger.application import Saved

                return Saved(0, f"{name} was already muted")
            saved: Saved = self._retrying(lambda: self._record_mute(key, name, True))
            return saved
        finally:
            people.principal_var.set(principal)
            people.actor_var.set(actor)

    def _sign(self, payload: str) -> str:
        from ledger.storage import outbox

        key = getattr(self, "_link_key", None)
        if key is None:
            key = self._link_key = outbox.link_key(self.storage)
        digest = hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()
        return _encode_bytes(digest[:18])


def _encode(value: str) -> str:
    return _encode_bytes(value.encode())


def _encode_bytes(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")
