"""`LanguageDetector`: tags every message en / yue / zh-Hant / zh-Hans / und.

The tag is stored on the message under `language` with `add_to_output=True`, so it shows
in Rasa's parse result (`/model/parse`, `tracker.latest_message["language"]`).
No config keys. Registered as a featurizer so the default recipe runs it, in pipeline
order, both on training data and on incoming messages.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.language_id import detect_language
from nlu.parse_keys import LANGUAGE
from nlu.types import UNDETERMINED



def message_language(text: str) -> str:
    """The tag of a citizen's text; `und` for a button payload (`/intent{...}`), which is no language."""
    if text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
        return UNDETERMINED
    return detect_language(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Stores the detected language tag of each message's text under `language`."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        # None = any pipeline `language`: the component decides per message, whatever
        # the pipeline's nominal language (`zh` in config.yml) says.
        return None

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Tag incoming messages (those with text: core's action messages have none)."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(LANGUAGE, message_language(text), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Tag training examples too, so later components see the same data as at run time."""
        self.process(training_data.training_examples)
        return training_data
