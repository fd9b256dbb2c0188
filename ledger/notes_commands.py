"""The notes commands of `Ledger`: edit a section (merging a stale edit) and restore a revision."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from ledger import text
from ledger.errors import NotFoundError
from ledger.meeting import TOPIC_PREFIX, Meeting
from ledger.privacy import reveal
from ledger.steps import Step

if TYPE_CHECKING:
    from ledger.application import Saved
    from ledger.storage.adapter import Storage


class NotesCommands:
    """Notes edits and restores: mixed into `Ledger`."""

    # Provided by Ledger.
    if TYPE_CHECKING:

        @property
        def storage(self) -> Storage: ...

    _revision_texts: dict[tuple[Any, str, int], str]
    keyring: Any
    _update: Callable[..., Saved]
    _run: Callable[..., Saved]

    def _notes_history(self, meeting: Meeting) -> Callable[[str, int], str]:
        """Looks up an older notes revision's text in the meeting's stored notes events."""
        return lambda section, revision: self._notes_revision_text(meeting, section, revision)

    def _notes_revision_text(self, meeting: Meeting, section: str, revision: int) -> str:
        # A revision's text never changes once stored, so a command retried after a lost race
        # asks the database once. Only the meeting's notes events are read, newest first.
        key = (meeting.id, section, revision)
        if key not in self._revision_texts:
            topic = f"{TOPIC_PREFIX}.NotesEdited"
            for state in self.storage.select_states(meeting.id, topic, meeting.version):
                edited = reveal(orjson.loads(state), self.keyring)  # decrypted; plain fields only, no custom types
                if edited["section"] == section and edited["revision"] == revision:
                    self._revision_texts[key] = str(edited["text"])
                    break
            else:
                raise NotFoundError(f"{meeting.slug} {section} notes have no revision {revision}")
        return self._revision_texts[key]

    def edit_notes(self, slug: str, topic_id: int | None, new_text: str, base_revision: int | None = None) -> Saved:
        return self._run(slug, self.edit_notes_step(slug, topic_id, new_text, base_revision))

    def edit_notes_step(self, slug: str, topic_id: int | None, new_text: str, base_revision: int | None) -> Step:
        new_text = text.check("notes", new_text)

        def change(meeting: Meeting) -> str:
            revision = meeting.edit_notes(topic_id, new_text, base_revision, self._notes_history(meeting))
            return f"saved notes revision {revision} of {slug}"

        return Step("notes-edit", change)

    def restore_notes(self, slug: str, topic_id: int | None, revision: int) -> Saved:
        """A restore is a new edit whose text is an old revision's."""

        def change(meeting: Meeting) -> str:
            section = meeting.check_section(topic_id)
            old = meeting.notes_text(section, revision, self._notes_history(meeting))
            new_revision = meeting.edit_notes(topic_id, old, None)
            return f"restored revision {revision} of {slug} notes as revision {new_revision}"

        return self._update(slug, "notes-restore", change)
