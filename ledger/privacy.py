"""Crypto-shredding (PRODUCT.md section 10): personal data in events, encrypted with a key per person.

A person is identified, for keying, as everywhere else in the ledger (`people.person_key`):
by their email when they gave one, else by their normalised name. Each identity gets a random
AES-256-GCM key in the `person_keys` side table, outside the hash chain; an event stores only
the key's random id beside the ciphertext, and the chain seals those bytes. Destroying the
key (`meetings erase`) leaves the chain intact and the data unreadable: every reader then
sees ERASED in its place.

What is personal, and whose key covers it (`_SUBJECT`, `_FIELDS`): the person an attendance
event is about (their name, person key, email, remark and a withdrawal's reason), a topic's
title under its proposer's key, a retitle's title and a topic withdrawal's reason under the
key of whoever wrote it, an email change's earlier person key under that earlier identity's key
(`_PREVIOUS`), and on every meeting event the person acted for (`actor`). The
account (`principal`) is not personal data here: it is the login that proves who acted.
In the directory, an account's person and email and a muted person are keyed the same way.

Notes. A notes edit stores the section's whole new text (revisions are read one at a time:
a stale base, a restore, `notes history`), so the text is stored as runs of lines, each run
encrypted with its author's key. A line's author is whoever first wrote that exact line in
that section: the first revision that held it. Keeping, moving, merging or restoring a line
keeps its author, so erasing a person replaces their lines in every revision that holds them,
while the lines other people wrote, in the same revisions, stay. Blank lines belong to no one
and are stored as they are. (A diff per edit would store each line once, but reading any
revision would then replay every edit before it.)

Decryption happens in `reveal` only: the transcoder calls it for the domain, the read side's
event decoder for the read models and the audit. Both then see plaintext, or ERASED.
"""

from __future__ import annotations

import base64
import collections
import datetime
import functools
import hashlib
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from ledger import people

ERASED = "[erased]"
SEALED = "\x00"  # a sealed field's place holder in the stored state (a user can type no NUL)
ENVELOPES = "personal"  # the stored state's list of {"k": key id, "f": fields, "c": ciphertext}
RUNS = "text_runs"  # a notes edit's text: [{"k": key id, "c": ciphertext} | {"t": blank lines}]
_NOTES = "NotesEdited"
CIPHERS_KEPT = 512
SECRETS_KEPT = 20_000

# Event kind -> the field naming the person whose key covers `_FIELDS` (a person key, or a name).
_SUBJECT = {
    "SignedUp": "person_key",
    "Withdrew": "person_key",
    "AttendanceChanged": "person_key",
    "Promoted": "person_key",
    "EmailChanged": "person_key",
    "TopicProposed": "person",
    "TopicRetitled": "actor",
    "TopicWithdrawn": "actor",
    "Directory.Muted": "person_key",
    "Directory.Unmuted": "person_key",
}
_FIELDS = {
    "SignedUp": ("person", "person_key", "email", "remark"),
    "Withdrew": ("person", "person_key", "reason"),
    "AttendanceChanged": ("person", "person_key", "remark"),
    "Promoted": ("person", "person_key"),
    "EmailChanged": ("person", "person_key", "email"),
    "TopicProposed": ("title", "person"),
    "TopicRetitled": ("title",),
    "TopicWithdrawn": ("reason",),
    # An account's login (`name`) stays readable: it is what proves who acted. Its person and email
    # are keyed as that person's sign-ups are (`_subject_of`), so erasing the person covers them too.
    "Directory.AccountAdded": ("person", "email"),
    "Directory.Muted": ("person_key", "person"),
    "Directory.Unmuted": ("person_key", "person"),
}
# A rekeying (ledger/rekeying.py) names the person's identity before it too, sealed under that
# identity's key: erased, it then reads as the earlier events' erased person key does, so a
# replay still finds the entry it moves.
_PREVIOUS = {"EmailChanged": "previous_key"}
_KEY_FIELDS = frozenset({"person_key", "previous_key"})


@functools.lru_cache(maxsize=4096)
def identity(value: str) -> str:
    """The keying identity of a person key ("email:..."/"name:...") or of a bare name.

    Kept for the names seen lately: a batch names its actor on every event, and matching a
    name (normalising it) costs more than sealing the field.
    """
    return value if value.startswith(("email:", "name:")) else people.person_key(value, None)


def lookup_of(identity_: str) -> str:
    return hashlib.sha256(b"meeting-ledger person key\x00" + identity_.encode()).hexdigest()


def personal_fields(kind: str) -> tuple[str, ...]:
    """The fields of a meeting event of this kind that an erasure can turn into ERASED: its actor,
    the fields under its subject's key, an earlier identity, and a notes edit's text."""
    previous = (_PREVIOUS[kind],) if kind in _PREVIOUS else ()
    return ("actor", *_FIELDS.get(kind, ()), *previous, *(("text",) if kind == _NOTES else ()))


def erased_value(field: str, key_id: str) -> str:
    # Two erased people in one meeting must stay two entries: their person key names the key.
    return f"erased:{key_id}" if field in _KEY_FIELDS else ERASED


def _aead(secret: bytes) -> Any:
    """AES-GCM. The Rust binding is what `cryptography.hazmat.primitives.ciphers.aead` re-exports;
    importing it directly skips a dozen modules a write command would otherwise load at start-up."""
    try:
        from cryptography.hazmat.bindings._rust import openssl

        return openssl.aead.AESGCM(secret)
    except (ImportError, AttributeError):  # another layout of the package: its public name
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(secret)


class Keyring:
    """The ledger's person keys, read from the key table as they are needed."""

    def __init__(self, table: Callable[[], Any]) -> None:
        self._table = table  # makes the ledger.storage.keys.KeyTable, once the storage exists
        self._secrets: collections.OrderedDict[str, bytes] = collections.OrderedDict()  # key id -> key
        self._gone: set[str] = set()  # key ids known to be destroyed (or never held)
        # AES-GCM objects hold OpenSSL contexts (kilobytes each): only the recently used are kept.
        self._ciphers: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._by_identity: dict[str, str] = {}  # identity -> key id (sealing)
        self._new: dict[str, tuple[str, str, str, str]] = {}  # lookup -> row not yet stored

    @functools.cached_property
    def table(self) -> Any:
        return self._table()

    # ----- reading -----------------------------------------------------------------------------

    def cipher(self, key_id: str) -> Any:
        found = self._ciphers.get(key_id)
        if found is not None:
            self._ciphers.move_to_end(key_id)
            return found
        if key_id in self._gone:
            return None
        secret = self._secrets.get(key_id)
        if secret is None:
            self.prefetch([key_id])
            secret = self._secrets.get(key_id)
            if secret is None:
                return None
        return self._remember(key_id, secret)

    def prefetch(self, key_ids: Iterable[str]) -> None:
        """Read the keys not in memory yet in one query (a batch of events names a few hundred at most)."""
        missing = sorted({k for k in key_ids if k not in self._secrets and k not in self._gone})
        if not missing:
            return
        found = self.table.secrets(missing)
        for key_id in missing:
            if key_id in found:
                self._keep(key_id, bytes.fromhex(found[key_id]))
            else:
                self._gone.add(key_id)

    def _keep(self, key_id: str, secret: bytes) -> None:
        # Memory stays bounded however many people the ledger holds: the least recently read go first.
        self._secrets[key_id] = secret
        self._secrets.move_to_end(key_id)
        while len(self._secrets) > SECRETS_KEPT:
            self._secrets.popitem(last=False)

    def _remember(self, key_id: str, secret: bytes) -> Any:
        aead = self._ciphers[key_id] = _aead(secret)
        if len(self._ciphers) > CIPHERS_KEPT:
            self._ciphers.popitem(last=False)
        return aead

    def open(self, key_id: str, sealed: str) -> Any:
        """The decrypted JSON value, or None when the key was destroyed."""
        aead = self.cipher(key_id)
        if aead is None:
            return None
        raw = base64.b64decode(sealed)
        return orjson.loads(aead.decrypt(raw[:12], raw[12:], key_id.encode()))

    def forget(self, key_ids: Iterable[str]) -> None:
        """Keys just destroyed: never serve them from memory again."""
        gone = set(key_ids)
        for key_id in gone:
            self._ciphers.pop(key_id, None)
            self._secrets.pop(key_id, None)
        self._gone |= gone
        self._by_identity = {i: k for i, k in self._by_identity.items() if k not in gone}

    # ----- writing -----------------------------------------------------------------------------

    def key_for(self, identity_: str) -> str:
        """The key id of an identity, making a key (stored by `flush`) for one seen for the first time."""
        key_id = self._by_identity.get(identity_)
        if key_id is not None:
            return key_id
        lookup = lookup_of(identity_)
        found = self.table.by_lookup([lookup]).get(lookup)
        if found is not None:
            key_id, secret = found
        else:
            key_id, secret = uuid.uuid4().hex, os.urandom(32).hex()
            now = datetime.datetime.now(datetime.UTC).isoformat()
            self._new[lookup] = (key_id, lookup, secret, now)
        self._gone.discard(key_id)
        self._keep(key_id, bytes.fromhex(secret))
        self._by_identity[identity_] = key_id
        return key_id

    def seal(self, key_id: str, value: Any) -> str:
        nonce = os.urandom(12)
        sealed = self.cipher(key_id).encrypt(nonce, orjson.dumps(value), key_id.encode())
        return base64.b64encode(nonce + sealed).decode()

    def flush(self) -> bool:
        """Store the keys made since the last flush; False when another process stored a key for
        one of those people first (what was sealed with ours must be sealed again)."""
        if not self._new:
            return True
        rows = list(self._new.values())
        self._new.clear()
        stored = self.table.add(rows)
        lost = [r for r in rows if stored.get(r[1], (r[0],))[0] != r[0]]
        for row in lost:
            self._ciphers.pop(row[0], None)
            self._secrets.pop(row[0], None)
            self._by_identity = {i: k for i, k in self._by_identity.items() if k != row[0]}
        return not lost

    def discard_new(self) -> None:
        for row in self._new.values():
            self._ciphers.pop(row[0], None)
            self._secrets.pop(row[0], None)
            self._by_identity = {i: k for i, k in self._by_identity.items() if k != row[0]}
        self._new.clear()


# ----- the stored form ---------------------------------------------------------------------------


def seal_state(kind: str, state: dict[str, Any], keyring: Keyring, line_authors: Callable[[], dict[str, str]]) -> None:
    """Replace the personal fields of a meeting event's state (in place) by their ciphertext.

    `line_authors` gives, for a notes edit, the key id of each line already written in its
    section (read only when the event is a notes edit).
    """
    envelopes: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}

    def cover(identity_: str, field: str) -> None:
        value = state.get(field)
        if not isinstance(value, str) or not value:
            return  # nothing personal in an empty or absent value
        key_id = keyring.key_for(identity_)
        by_key.setdefault(key_id, {})[field] = value
        state[field] = SEALED

    actor = state.get("actor")
    if isinstance(actor, str) and actor:
        cover(identity(actor), "actor")
    subject_field = _SUBJECT.get(kind)
    if kind == "Directory.AccountAdded":
        person = state.get("person") or state.get("name") or ""
        email = state.get("email")
        for field in _FIELDS[kind]:
            cover(people.person_key(str(person), email if isinstance(email, str) else None), field)
    elif subject_field is not None:
        subject = state.get(subject_field)
        if isinstance(subject, str) and subject and subject != SEALED:
            subject_identity = identity(subject)
        elif subject_field == "actor" and isinstance(actor, str) and actor:
            subject_identity = identity(actor)
        else:
            subject_identity = ""
        if subject_identity:
            for field in _FIELDS[kind]:
                cover(subject_identity, field)
    previous = state.get(_PREVIOUS.get(kind, ""))
    if isinstance(previous, str) and previous:
        cover(identity(previous), _PREVIOUS[kind])
    for key_id, values in by_key.items():
        envelopes.append({"k": key_id, "f": list(values), "c": keyring.seal(key_id, values)})
    if kind == _NOTES and isinstance(state.get("text"), str) and isinstance(actor, str) and actor:
        state[RUNS] = _seal_runs(state["text"], keyring, keyring.key_for(identity(actor)), line_authors())
        state["text"] = SEALED
    if envelopes:
        state[ENVELOPES] = envelopes


def _seal_runs(text: str, keyring: Keyring, writer: str, authors: dict[str, str]) -> list[dict[str, str]]:
    runs: list[tuple[str | None, list[str]]] = []
    for line in text.splitlines(keepends=True):
        owner = None if not line.strip() else authors.setdefault(line.rstrip("\r\n"), writer)
        if runs and runs[-1][0] == owner:
            runs[-1][1].append(line)
        else:
            runs.append((owner, [line]))
    return [
        {"t": "".join(lines)} if owner is None else {"k": owner, "c": keyring.seal(owner, "".join(lines))}
        for owner, lines in runs
    ]


def reveal_all(states: list[dict[str, Any]], keyring: Keyring | None) -> list[dict[str, Any]]:
    """`reveal` over a batch, reading the keys it needs in one query first."""
    if keyring is not None:
        wanted = [e["k"] for s in states for e in s.get(ENVELOPES) or ()]
        wanted += [r["k"] for s in states for r in s.get(RUNS) or () if "k" in r]
        keyring.prefetch(wanted)
    for state in states:
        reveal(state, keyring)
    return states


def reveal(data: dict[str, Any], keyring: Keyring | None) -> dict[str, Any]:
    """A decoded stored state with its personal data in plaintext, or ERASED where the key is gone."""
    envelopes = data.pop(ENVELOPES, None)
    runs = data.pop(RUNS, None)
    if envelopes is None and runs is None:
        return data
    for envelope in envelopes or ():
        key_id = envelope["k"]
        values = None if keyring is None else keyring.open(key_id, envelope["c"])
        if values is None:
            for field in envelope["f"]:
                data[field] = erased_value(field, key_id)
        else:
            data.update(values)
    if runs is not None:
        data["text"] = "".join(_open_run(run, keyring) for run in runs)
    return data


def _open_run(run: dict[str, str], keyring: Keyring | None) -> str:
    if "t" in run:
        return run["t"]
    text = None if keyring is None else keyring.open(run["k"], run["c"])
    return str(text) if text is not None else ERASED + "\n"


def run_authors(data: dict[str, Any], keyring: Keyring | None) -> dict[str, str]:
    """line -> key id of a stored (still sealed) notes edit's lines whose key is still held."""
    found: dict[str, str] = {}
    for run in data.get(RUNS) or ():
        if "k" in run and keyring is not None:
            text = keyring.open(run["k"], run["c"])
            for line in str(text or "").splitlines():
                if line.strip():
                    found.setdefault(line, run["k"])
    return found
