"""action_record_feedback: stores the helpful / not helpful verdict on an answer and thanks the citizen."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import context_of
from actions.feedback_store import FeedbackStore, default_path
from actions.knowledge_access import entry_for
from actions.messages import button, say
from actions.sentences import sentence

logger = logging.getLogger(__name__)
YES = {"yes", "true", "1", "helpful"}
NO = {"no", "false", "0", "not_helpful"}
_stores: dict[str, FeedbackStore] = {}


def feedback_store() -> FeedbackStore:
    """The store at the current data directory (one per path, created on first use)."""
    path = str(default_path())
    if path not in _stores:
        _stores[path] = FeedbackStore(path)
    return _stores[path]


class ActionRecordFeedback(Action):
    """Runs for the feedback buttons under an answer: `/feedback{"topic": "<id>", "helpful": "yes"}`."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        language = context.language
        topic = next(tracker.get_latest_entity_values("topic"), None)
        verdict = str(next(tracker.get_latest_entity_values("helpful"), "")).strip().lower()
        helpful = True if verdict in YES else False if verdict in NO else None
        if helpful is None or topic is None or entry_for(context.bot, topic) is None:
            logger.warning("Ignoring feedback with topic %r and verdict %r", topic, verdict)
        else:
            feedback_store().record(context.bot_label, topic, helpful, tracker.sender_id)
        if helpful is False:
            say(dispatcher, sentence("feedback_not_helpful", language), language=language, label="feedback",
                kind="feedback", buttons=[button(sentence("talk_to_officer", language), "ask_human")],
                topic=topic, helpful=False, bot=context.bot_label)
        else:
            say(dispatcher, sentence("feedback_helpful", language), language=language, label="feedback",
                kind="feedback", topic=topic, helpful=helpful, bot=context.bot_label)
        return []
