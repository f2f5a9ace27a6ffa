"""A Rasa tracker store wrapper that redacts personal data before anything reaches storage.

`RedactingTrackerStore(inner, kinds)` implements Rasa 3.6's `TrackerStore` interface and
delegates everything to `inner` (SQL, Redis, Mongo, in-memory, a per-bot key wrapper...).
On `save` it hands `inner` a redacted copy of the tracker: the text and parse data of
`UserUttered`, the text, data and metadata of `BotUttered`, string slot values (`SlotSet`)
and entity values. The tracker the dialogue is running on is never changed, so the current
turn still works on what the citizen typed; what is read back later is the redacted copy.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Any, Callable, Iterable, Optional, Union

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import BotUttered, EntitiesAdded, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.sentences import every_text
from bots.storage.wrapper import WrappingTrackerStore
from hkbot.settings import bots_dir, knowledge_dir
from knowledge.live import served_contacts
from privacy.config import privacy_config
from privacy.public import published_contacts
from privacy.redact import KINDS, could_hold_personal_data, find_personal_data, redact_value

#: Contacts never redacted: a set, or a callable read on every save (the live knowledge's contacts).
Keep = Union[AbstractSet[str], Callable[[], AbstractSet[str]]]

#: The fields of an event's dict form that can hold what a citizen typed or was told.
_FIELDS = {
    UserUttered: ("text", "parse_data", "metadata"),
    BotUttered: ("text", "data", "metadata"),
    SlotSet: ("value",),
    EntitiesAdded: ("entities",),
}


def _holds_personal_data(value: Any, kinds: tuple[str, ...], keep: AbstractSet[str]) -> bool:
    """True when some string inside `value` holds personal data of `kinds` (no copies).

    Strings that cannot hold any (most of them: intent names, ids, scores) are skipped by
    a quick test, so an event is only copied and redacted when there is something to hide.
    """
    if isinstance(value, str):
        return could_hold_personal_data(value) and bool(find_personal_data(value, kinds, keep))
    if isinstance(value, dict):
        return any(_holds_personal_data(item, kinds, keep) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_personal_data(item, kinds, keep) for item in value)
    return False


#: Set on an event found clean (or made clean) for a (kinds, keep) policy, so a kept tracker's
#: older events are not searched again on every save.
_CHECKED = "_hkbot_redacted_for"


def redact_event(event: Event, kinds: Iterable[str] = KINDS, keep: AbstractSet[str] = frozenset()) -> Event:
    """The event itself when it holds no personal data, else a redacted copy of it."""
    return _checked(event, (tuple(kinds), frozenset(keep)))


def _checked(event: Event, policy: tuple[tuple[str, ...], AbstractSet[str]]) -> Event:
    """`redact_event` for a policy built once per tracker; events already checked are returned as they are."""
    if getattr(event, _CHECKED, None) == policy:
        return event
    clean = _redact_event(event, policy[0], policy[1])
    setattr(clean, _CHECKED, policy)
    return clean


def _redact_event(event: Event, kinds: tuple[str, ...], keep: AbstractSet[str]) -> Event:
    fields = next((names for kind, names in _FIELDS.items() if isinstance(event, kind)), None)
    if not fields or not any(_holds_personal_data(getattr(event, name, None), kinds, keep) for name in fields):
        return event  # most events: no dict copy needed
    data = event.as_dict()
    changed = False
    for name in fields:
        if name in data:
            cleaned = redact_value(data[name], kinds, keep)
            if cleaned != data[name]:
                data[name] = cleaned
                changed = True
    if not changed:
        return event
    copy = Event.from_parameters(data)
    return copy if copy is not None else event


def redacted_tracker(tracker: DialogueStateTracker, kinds: Iterable[str] = KINDS, keep: AbstractSet[str] = frozenset()) -> DialogueStateTracker:
    """A new tracker with the same sender and events, each redacted; `tracker` is left as it was."""
    policy = (tuple(kinds), frozenset(keep))
    events = [_checked(event, policy) for event in tracker.events]
    if all(new is old for new, old in zip(events, tracker.events)):
        return tracker  # nothing to hide: no copy needed
    slots = tracker.slots.values() if type(tracker.slots) is dict else None
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        events,
        slots=slots,
        max_event_history=getattr(tracker, "_max_event_history", None),
        sender_source=getattr(tracker, "sender_source", None),
    )


class RedactingTrackerStore(WrappingTrackerStore):
    """Stores redacted copies of trackers in `inner`; reads and everything else go straight to `inner`.

    `keep`: the published contacts (privacy.public), not personal; a callable is asked on every save, so a hotline
    published while the bots run is kept from the next save on."""

    def __init__(self, inner: TrackerStore, kinds: Iterable[str] = KINDS, keep: Keep = frozenset()) -> None:
        self.kinds = tuple(kinds)
        self._keep = keep if callable(keep) else frozenset(keep)
        super().__init__(inner)

    @property
    def keep(self) -> AbstractSet[str]:
        """The contacts kept as they are, now."""
        return self._keep() if callable(self._keep) else self._keep

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._sync().save(redacted_tracker(tracker, self.kinds, self.keep))

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return await self._sync().retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await self._sync().retrieve_full_tracker(conversation_id)

    async def exists(self, conversation_id: str) -> bool:
        return await self._sync().exists(conversation_id)

    async def keys(self) -> Iterable[str]:
        return await self.inner.keys()

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        await self.inner.stream_events(redacted_tracker(tracker, self.kinds, self.keep))


def wrap_tracker_store(store: TrackerStore, bot: Any = None) -> TrackerStore:
    """The store, redacting the kinds of personal data the bot's `privacy.redact` names (all by default)."""
    kinds = privacy_config(bot).redact
    if not kinds or isinstance(store, RedactingTrackerStore):
        return store
    _read_public_contacts(bots_dir(), knowledge_dir())  # read the files now, at start-up, not on the first citizen's save
    return RedactingTrackerStore(store, kinds, public_contacts)


def public_contacts() -> frozenset[str]:
    """What is never redacted: the contacts the bots' files and knowledge publish, the numbers the bots' own
    sentences give (the crisis lines, so a stored history and an officer's transcript show them as given), and
    the contacts in the answers and titles now served (an answer an operator published in the console's database).

    The files are read once per process and directory pair; the served answers once per knowledge version, by the
    shared store as it applies the version (`knowledge.live.served_contacts`): a save never reads either."""
    return _union(_read_public_contacts(bots_dir(), knowledge_dir()), served_contacts())


@lru_cache(maxsize=4)
def _read_public_contacts(bots: Path, knowledge: Path) -> frozenset[str]:
    """`public_contacts()` for one pair of folders (tests run bots on folders of their own)."""
    return published_contacts(every_text(), bots, knowledge)


@lru_cache(maxsize=4)
def _union(files: frozenset[str], served: frozenset[str]) -> frozenset[str]:
    """One object per pair, so the events a tracker store checked against it are not searched again."""
    return files | served
