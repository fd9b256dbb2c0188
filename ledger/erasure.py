"""The Ledger's crypto-shredding commands: its sealing mapper and keyring, and `erase`.

See ledger/privacy.py for what is encrypted under whose key.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger import people, text
from ledger.errors import BadInputError, NotFoundError
from ledger.lineage import LINEAGE_TOPIC
from ledger.privacy import Keyring, identity, lookup_of
from ledger.storage import keys
from ledger.storage.keys import KeyTable
from ledger.storage.mapper import SealingEventStore, SealingMapper
from ledger.streams import DIRECTORY_ID

if TYPE_CHECKING:
    from ledger.accounts import Directory


class Erasure(NamedTuple):
    position: int
    summary: str
    meetings: list[str]  # ids (32 hex digits) of the meetings whose caches were rebuilt


class ErasureCommands:
    """Mixed into the Ledger application."""

    def construct_mapper(self) -> Any:
        return SealingMapper(self.construct_transcoder(), self)  # type: ignore[attr-defined]

    def construct_event_store(self) -> Any:
        return SealingEventStore(self.mapper, self.recorder, self)  # type: ignore[attr-defined]

    @functools.cached_property
    def keyring(self) -> Keyring:
        """The person keys, read from their side table when first needed."""
        app = weakref.proxy(self)  # no reference cycle through the keyring (see ledger/storage/mapper.py)
        return Keyring(lambda: KeyTable(app.storage))

    def migrated_from(self) -> str | None:
        """The head digest of the ledger this one was migrated from, when its first event says so."""
        first = self.recorder.select_notifications(start=None, limit=1)  # type: ignore[attr-defined]
        if not first or first[0].topic != f"{LINEAGE_TOPIC}.Migrated":
            return None
        event = self.mapper.to_domain_event(first[0])  # type: ignore[attr-defined]
        return str(getattr(event, "from_digest", "")) or None

    def check_may_migrate(self) -> None:
        """A migration reads and rewrites every person's data: admins only (as erasing)."""
        self._authorize("erase")  # type: ignore[attr-defined]

    def migrate_to(self, destination: Any, progress: Callable[[int], None] | None = None) -> Any:
        """Write this ledger's events into the empty `destination`, personal data encrypted (the
        caller checked `check_may_migrate` before authenticating on the destination)."""
        from ledger.storage.migration import encrypt_personal_data

        return encrypt_personal_data(self, destination, progress)

    def erase(
        self,
        person: str,
        reason: str,
        also: Iterable[str] = (),
        rebuild: Callable[[dict[str, set[str]]], None] | None = None,
    ) -> Erasure:
        """Destroy the keys of a person (a name or an email, and `also` the names, emails or person
        keys the sign-up sheets show them under), record the erasure, drop the snapshots and rebuild
        (`rebuild`) the read-model documents of every meeting that held their data: it is given
        those meetings, each with the topics of its events that held the data.
        """
        typed = text.check("email", person) if people.is_email(person) else people.display_name(person)
        reason = text.check("reason", reason)
        if not reason:
            raise BadInputError("give the reason for the erasure with --reason")
        identities = sorted({people.typed_person_key(typed), *(_identity_of(a) for a in also)})
        spelled = [i.partition(":")[2] for i in identities]
        if any(s and s in people.name_key(reason) for s in spelled):
            raise BadInputError("the reason must not name the person erased: it stays in the audit for good")
        found = self.keyring.table.by_lookup([lookup_of(i) for i in identities])
        key_ids = sorted(key_id for key_id, _ in found.values())
        if not key_ids:
            raise NotFoundError(f"no personal data of {typed!r} is stored in this ledger")

        def change(directory: Directory) -> str:
            directory.record_erasure(key_ids, reason)
            return f"erased the personal data under {len(key_ids)} key{'s' if len(key_ids) != 1 else ''}"

        saved = self._update_directory("erase", change)  # type: ignore[attr-defined]
        storage = self.storage  # type: ignore[attr-defined]
        # With documents to rewrite, the log is checkpointed once, after them (and after a failure too).
        held = keys.destroy(storage, key_ids, identities, then_checkpoint=rebuild is None)
        try:
            held.pop(DIRECTORY_ID.hex, None)  # the directory holds only the erasure
            self.keyring.forget(key_ids)
            self._revision_texts.clear()  # type: ignore[attr-defined]
            if rebuild is not None:
                rebuild(held)
        finally:
            if rebuild is not None:
                keys.checkpoint(storage)
        return Erasure(saved.position, saved.summary, list(held))


def _identity_of(also: str) -> str:
    """A person key as given ("email:..." or "name:..."), else the key of a typed name or email."""
    return also if also.startswith(("email:", "name:")) else identity(people.typed_person_key(also))
