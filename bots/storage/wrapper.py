"""The base of our tracker-store wrappers (per-bot keys, the in-process cache, privacy redaction)."""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain


class WrappingTrackerStore(TrackerStore):
    """A Rasa tracker store around another one: same domain, and the event-history limit handed down."""

    def __init__(self, inner: TrackerStore) -> None:
        self.inner = inner
        super().__init__(inner.domain, inner.event_broker)

    @property
    def domain(self) -> Domain:
        return self.inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        if hasattr(self, "inner"):  # TrackerStore.__init__ sets it before we are ready
            self.inner.domain = domain or Domain.empty()

    def _sync(self) -> Any:
        """The inner store, with this store's `max_event_history` (Rasa sets it on the outermost)."""
        self.inner.max_event_history = self.max_event_history
        return self.inner

    def __getattr__(self, name: str) -> Any:
        # Store-specific helpers (e.g. SQLTrackerStore.engine) stay reachable through the wrapper.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
