"""Accounts: who can be authenticated, which person each one is, and who administers the ledger.

An account is who acted (the OS login on a SQLite file, PostgreSQL's session_user, a web
account signed in by link or token); the person is whom the sign-up sheet lists. The
Directory aggregate, one per ledger, records every account, link and admin grant as an
event in the hash chain, so "who may do what" is as tamper-evident as what they did.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from ledger.attributed import LedgerAggregate
from ledger.errors import NotFoundError, RuleError
from ledger.privacy import ERASED
from ledger.roles import ADMINS, Account
from ledger.streams import DIRECTORY_ID

DIRECTORY_TOPIC = "meeting-ledger:Directory"


class Directory(LedgerAggregate):
    """The ledger's accounts and admins."""

    TOPIC = DIRECTORY_TOPIC
    STREAM_ID = DIRECTORY_ID

    @event("Opened", topic=f"{DIRECTORY_TOPIC}.Opened")
    def __init__(self, founder: str) -> None:
        # The founder is the account that created the ledger: its first admin.
        self.accounts: dict[str, dict[str, Any]] = {}
        self.admins: list[str] = [founder]
        self.muted: dict[str, str] = {}  # person key -> name: people who receive no mail

    # A directory recorded before mail could be muted has no `muted` until it is first needed.
    def is_muted(self, person_key: str) -> bool:
        return person_key in getattr(self, "muted", {})

    # ----- questions ---------------------------------------------------------------------

    def account(self, name: str) -> Account:
        """The account, known or not: an unregistered login acts as a person of its own name."""
        stored = self.accounts.get(name)
        if stored is None:
            return Account(name, None, name, admin=name in self.admins)
        email = stored["email"]
        return Account(
            name,
            None if email == ERASED else email,  # an erased person's account keeps only its login
            stored["person"] or name,
            revoked=stored["revoked"],
            admin=name in self.admins and not stored["revoked"],
        )

    def registered(self, name: str) -> bool:
        return name in self.accounts

    # ----- accounts ----------------------------------------------------------------------

    def add_account(self, name: str, email: str | None, person: str | None) -> None:
        stored = self.accounts.get(name)
        if stored is not None and not stored["revoked"]:
            raise RuleError(f"account {name!r} already exists")
        self._add_account(name=name, email=email, person=person or "")

    @event("AccountAdded", topic=f"{DIRECTORY_TOPIC}.AccountAdded")
    def _add_account(self, name: str, email: str | None, person: str) -> None:
        self.accounts[name] = {"email": email, "person": person, "revoked": False}

    def revoke_account(self, name: str) -> None:
        stored = self.accounts.get(name)
        if stored is None or stored["revoked"]:
            raise NotFoundError(f"no account {name!r} to revoke")
        if name in self.admins:
            ADMINS.check_take(self.admins, name)
        self._revoke_account(name=name)

    @event("AccountRevoked", topic=f"{DIRECTORY_TOPIC}.AccountRevoked")
    def _revoke_account(self, name: str) -> None:
        self.accounts[name]["revoked"] = True
        if name in self.admins:
            self.admins.remove(name)

    # ----- admins ------------------------------------------------------------------------

    def grant_admin(self, name: str) -> None:
        if self.account(name).revoked:
            raise RuleError(f"account {name!r} is revoked")
        ADMINS.check_give(self.admins, name)
        self._grant_admin(name=name)

    @event("AdminGranted", topic=f"{DIRECTORY_TOPIC}.AdminGranted")
    def _grant_admin(self, name: str) -> None:
        self.admins.append(name)

    def revoke_admin(self, name: str) -> None:
        ADMINS.check_take(self.admins, name)
        self._revoke_admin(name=name)

    @event("AdminRevoked", topic=f"{DIRECTORY_TOPIC}.AdminRevoked")
    def _revoke_admin(self, name: str) -> None:
        self.admins.remove(name)

    # ----- mail -------------------------------------------------------------------------------

    def mute(self, person_key: str, person: str) -> None:
        if self.is_muted(person_key):
            raise RuleError(f"{person} is already muted")
        self._mute(person_key=person_key, person=person)

    @event("Muted", topic=f"{DIRECTORY_TOPIC}.Muted")
    def _mute(self, person_key: str, person: str) -> None:
        if not hasattr(self, "muted"):
            self.muted = {}
        self.muted[person_key] = person

    def unmute(self, person_key: str, person: str) -> None:
        if not self.is_muted(person_key):
            raise RuleError(f"{person} is not muted")
        self._unmute(person_key=person_key, person=person)

    @event("Unmuted", topic=f"{DIRECTORY_TOPIC}.Unmuted")
    def _unmute(self, person_key: str, person: str) -> None:
        self.muted.pop(person_key, None)

    # ----- erasure ----------------------------------------------------------------------------

    def record_erasure(self, key_ids: list[str], reason: str) -> None:
        """An erasure: the ids of the destroyed person keys and why (never whose, never their data)."""
        self._erase(key_ids=key_ids, reason=reason)

    @event("PersonErased", topic=f"{DIRECTORY_TOPIC}.PersonErased")
    def _erase(self, key_ids: list[str], reason: str) -> None:
        self.erased: list[str] = [*getattr(self, "erased", []), *key_ids]
