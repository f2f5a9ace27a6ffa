"""`CrisisDetector`: a message whose writer may be thinking of ending their life gets the crisis reply.

Runs last in the pipeline: whatever the classifier, FaqRetriever or SmallTalkMatcher decided ("我不想活了" read as
affirm, "I want to kill myself" refused), a message with a phrase of nlu/data/crisis.txt (`nlu.crisis`) gets
`crisis` in the parse data and, unless a topic answers it, becomes `out_of_scope` with confidence 1: action_fallback
gives crisis hotlines and an officer, and action_answer_faq gives them before the topic's answer (a false alarm
loses no answer). Inside a checklist the form gives way to it; while waiting for an officer it is still answered
(bots.runtime.policies.HandoffPolicy). No config keys.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.faq import FAQ_INTENT, OUT_OF_SCOPE, set_intent
from nlu.crisis import crisis_lexicon, in_crisis
from nlu.parse_keys import CRISIS

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisDetector(GraphComponent, IntentClassifier):
    """Sets `out_of_scope` and `crisis` on a message with a crisis phrase, whatever was decided before."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CrisisDetector:
        crisis_lexicon()  # read the phrases now, not on the first citizen's message
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            try:
                if isinstance(text, str) and text.strip() and in_crisis(text):
                    message.set(CRISIS, True, add_to_output=True)
                    if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != FAQ_INTENT:  # a topic is still answered
                        set_intent(message, OUT_OF_SCOPE, 1.0)
            except Exception:  # a lookup bug must not break the conversation
                logger.exception("Crisis phrase lookup failed; keeping the intent")
        return messages
