"""`SmallTalkMatcher`: reads small talk by meaning where the word classifier refused it or read it wrong.

Runs after `FaqRetriever`, which has decided between a topic and the shared intents. A message it
refused (`out_of_scope`) takes the shared intent whose training examples it is clearly nearest to
(`nlu.small_talk`: "Thank you very much for your patience and your clear explanation" -> thanks);
a message it gave a shared intent takes another one only when the meaning says so by a wider lead
("No, I am afraid that is not what I meant at all" is no question about the bot: deny), and is
refused when it is like no example of that intent and nearest to out-of-scope chit-chat. A topic
answer (`faq`) and a bot's own intents are never touched. Without the sentence encoder
(HKBOT_SEMANTIC=off, or no wheel for the platform) it changes nothing. Dev files of 2026-12-06
(eleventh session): docs/new-knowledge.md.

Config keys:
- `intents`: the shared intents it may set (the eight small-talk ones); their examples and the
  `out_of_scope` ones are what a message is compared with.
- `min_similarity` (0.92): the nearest example's cosine a refused message needs.
- `acting_intents`, `acting_similarity` (ask_human, switch_language; 0.95): intents that act on their own
  need a nearer example: "can I speak English at the immigration counter?" is 0.92 from "can you answer
  in English" and is no request to switch, and a wrong hand-off costs an officer and the citizen more
  than a refusal, after which the citizen can still ask for one.
- `min_lead` (0.02): how much nearer that label must be than any other label's nearest example
  (out-of-scope chit-chat examples count as a label: nearest to them, nothing changes).
- `override_lead` (0.03): the lead with which the meaning overrides the classifier's shared intent
  (the same `min_similarity`); null never overrides.
- `veto_similarity` (0.87): a shared intent the classifier gave ("air quality health index today" was
  thanks to it, from the word "today") is refused instead when none of that intent's examples is this
  near and the message is nearer to the out-of-scope examples than to any small talk; null never vetoes.
  (Typos and slang, "thnk u", "mornin", sit low for e5 too, but not nearest to out-of-scope.)
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.faq import set_intent
from nlu.semantic import encoder
from nlu.small_talk import OUT_OF_SCOPE, SmallTalk

logger = logging.getLogger(__name__)

#: The shared intents read by meaning; a bot's own intents (a checklist form) are not small talk.
SMALL_TALK = ("greet", "goodbye", "thanks", "affirm", "deny", "bot_identity", "ask_human", "switch_language")
#: Intents that act on their own (an officer takes the conversation; the reply language changes).
ACTING = ("ask_human", "switch_language")
EXAMPLES_FILE = "small_talk_examples.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SmallTalkMatcher(GraphComponent, IntentClassifier):
    """Sets a shared intent on refused (or misread) small talk from the nearest training example by meaning."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None  # the encoder is multilingual

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": list(SMALL_TALK), "min_similarity": 0.92, "min_lead": 0.02, "override_lead": 0.03,
                "acting_intents": list(ACTING), "acting_similarity": 0.95, "veto_similarity": 0.87}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 examples: Optional[List[Tuple[str, str]]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.examples: List[Tuple[str, str]] = [(str(text), str(intent)) for text, intent in examples or []]
        self._matcher: Optional[SmallTalk] = None
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SmallTalkMatcher:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the examples (text, intent) of the small-talk intents and of `out_of_scope`; no knowledge variant."""
        kept = {*self.config["intents"], OUT_OF_SCOPE}
        self.examples = sorted({(str(m.get(TEXT)), str(m.get(INTENT))) for m in training_data.intent_examples
                                if m.get(INTENT) in kept and m.get(TEXT)})
        with self._model_storage.write_to(self._resource) as directory:
            (directory / EXAMPLES_FILE).write_text(json.dumps(self.examples, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SmallTalkMatcher:
        try:
            with model_storage.read_from(resource) as directory:
                examples = json.loads((directory / EXAMPLES_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:
            logger.warning("No small-talk examples in the model (%s); small talk is read by the classifier alone", error)
            examples = []
        component = cls(config, model_storage, resource, examples)
        component.matcher()  # embed the examples now, not on the first citizen's message
        return component

    def matcher(self) -> Optional[SmallTalk]:
        """The nearest-example lookup, built once (None without the encoder or examples)."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._matcher = self._build()
                    self._ready = True
        return self._matcher

    def _build(self) -> Optional[SmallTalk]:
        model = encoder()
        if model is None:
            logger.warning("No sentence encoder: small talk is read by the intent classifier alone")
            return None
        if not self.examples:
            return None
        try:
            return SmallTalk(model, [t for t, _ in self.examples], [i for _, i in self.examples])
        except Exception:
            logger.exception("Could not embed the small-talk examples; small talk is read by the classifier alone")
            return None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip():
                try:
                    self._process(message, text)
                except Exception:  # a lookup bug must not break the conversation: keep the decision made
                    logger.exception("Small-talk lookup failed; keeping the intent")
        return messages

    def _process(self, message: Message, text: str) -> None:
        name = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        refused = name == OUT_OF_SCOPE
        if not refused and name not in self.config["intents"]:
            return  # a topic answer, or a bot's own intent
        matcher = self.matcher()
        if matcher is None:
            return
        veto, override = self.config["veto_similarity"], self.config["override_lead"]
        if not refused and veto is None and override is None:
            return  # no rule reads an answered small-talk intent: the message need not be embedded
        similarities = matcher.similarities(text)  # one product with the examples serves every rule below
        if not refused and veto is not None:
            own = similarities.get(str(name), 0.0)
            nearest = max(similarities, key=lambda label: similarities[label])
            if own < float(veto) and nearest == OUT_OF_SCOPE:  # like chit-chat we do not serve, not like this intent
                set_intent(message, OUT_OF_SCOPE, round(1.0 - own, 4), dropped=str(name))
                name, refused = OUT_OF_SCOPE, True  # ... and it is read as a refused message
        if not refused and override is None:
            return
        lead = self.config["min_lead"] if refused else max(self.config["min_lead"], override)
        found = matcher.intent(text, float(self.config["min_similarity"]), float(lead), similarities)
        if found is None or found.label == name or found.label not in self.config["intents"]:
            return
        if found.label in self.config["acting_intents"] and found.similarity < float(self.config["acting_similarity"]):
            return
        set_intent(message, found.label, found.similarity)
