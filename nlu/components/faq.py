"""`FaqRetriever`: ranks the live knowledge entries for each message and decides the intent.

It reads `knowledge.live.shared_store()`, so an edited knowledge base answers within 2 s
with no retraining. It puts the contract's `faq` object into the parse data
(`{"matches": [{"id", "kb", "score"}], "threshold", "top", "ambiguous"}`) and arbitrates
between the trained shared intents and the topics:

1. a priority intent (ask_human, switch_language, bot_identity) predicted with
   confidence >= `priority_confidence` stays, unless a topic scores >= `strong_topic`
   (the classifier only knows shared intents, so it can be confidently wrong about a
   topic question: "I want to complain about rude staff" is no request for an officer);
2. else a topic at or above `threshold` -> intent `faq` (confidence = its score); a topic at or
   above `confirmed_threshold` also does when the classifier (trained with the knowledge variants
   as `faq` examples) says `faq` with confidence >= `confirmed_confidence`;
3. else a shared intent with confidence >= `intent_confidence` stays;
4. else `out_of_scope`.

The chosen intent is put first in `intent_ranking`, which keeps no duplicate names. A message no topic answers
that names a place or organisation outside Hong Kong's government services (nlu/data/elsewhere.txt: Shenzhen,
HSBC, Towngas; not where the citizen came from) gets their names under `faq_elsewhere`: action_fallback then says
such a service is best asked of them.

Config keys:
- `knowledge_bases`: the knowledge bases this bot answers from (`hkbot train` fills it
  from bot.yml); null = every knowledge base loaded.
- `threshold`: lowest score that answers with a topic (default null: the index's own,
  `knowledge.index.DEFAULT_THRESHOLD`, to which dense-served knowledge bases' scores are scaled).
- `ambiguity_margin`: alternatives within this of the top score are listed in `ambiguous`.
- `priority_intents`, `priority_confidence`: shared intents that win over a topic.
- `strong_topic`: a topic this sure wins even over a priority intent (0.8: the shared
  priority examples score at most 0.70 against any topic; "1823有冇英文服務" scores 0.92).
- `intent_confidence`: lowest confidence at which another shared intent stays.
- `confirmed_threshold`, `confirmed_confidence` (0.45, 0.8): a topic between `confirmed_threshold`
  and `threshold` answers when the classifier is this sure the message is a topic question (not for
  a knowledge base the dense signal serves: its threshold is calibrated from its own questions) (dev
  98.0% -> 98.4%, dev2 96.6% -> 97.9%, out_of_scope still 100% on both and the near-misses of
  knowledge/near_misses.yml unchanged at the dialogue level).
- `clear_lead`, `clear_lead_threshold` (3.0, 0.38): the confirmed band starts lower, at `clear_lead_threshold`, for a
  top at least `clear_lead` times the runner-up's score (a top alone among `top` matches counts as far ahead): one
  topic far ahead of every other, the classifier sure it is a topic question ("改地址要幾多日內話俾漁護署知 有冇
  deadline": 0.445 vs 0.121). Chosen on all dev files (5,110 questions before four were dropped as held-out
  sentences; 2026-12-06, seventeenth session): 2 more answered, no near-miss more answered (`clear_lead` 2.5 answered
  two near-misses, a bird's microchip and a bank portal's password; 1.6 answered seven). Either null turns it off.
- `top`: how many matches `faq.matches` carries.
- `follow_named_department` (true): a message that turns to one of the bot's departments by name after its
  first clause ("my pipe burst at 3am, will anyone at 1823 pick up?") asks that department, when the rest
  from that clause on (the last clause that names one) is answered there (`knowledge.departments.turned_to`):
  the whole message is then decided among that department's topics (the rest's topic when the whole is not
  answered there). A message that names a department only in its first clause ("1823, how do I pay my water
  bill?") is left alone, and so is a message the other departments answer at least as well ("how do I pay my
  water bill? thanks 1823") or not at all (a refusal stays one). A bot answering every knowledge base
  (`knowledge_bases` null) does not use it. Dev files of 2026-12-06, tenth session: docs/new-knowledge.md.
- `question_focus` (0.35): a refused message of several clauses whose last clauses alone are answered (the
  first one, two or three clauses dropped: "I work night shifts at the airport and only get home after 2am. Does
  anyone answer the 1823 line that late?") is answered with that topic, when it is not ambiguous there and the
  whole message scores it at least this much (among its matches): the citizen's story first, the question last.
  A rest made only of what is asked ("Can I apply online?") is skipped in a bot of several knowledge bases. It
  runs before the confirmed band; its `faq.matches` are then the rest's, and its topic never overrules a priority
  intent. The other questions of an answered message (`other_questions`) do not use it. null turns it off. Dev
  files of 2026-12-06, thirteenth session: docs/new-knowledge.md.
- `other_questions` (2): a message answered with a topic that asks more than one question
  (`nlu.clauses.questions`: "is 1823 open 24 hours, and how do I pay my water bill?") has each question
  decided on its own; up to this many other topics that a question alone answers (at the threshold, not
  ambiguous, not the top nor one of its close alternatives) and the whole message nearly answers (among its
  matches, at `confirmed_threshold` or more) go in the parse data under `faq_also`, and action_answer_faq
  answers them after the top. 0 turns it off.
- `personal_details_words` (12): a message no topic answers that is personal data (a phone number, an e-mail,
  an HKID...: `privacy.redact`) with at most this many words or Chinese characters besides ("call me 91234567",
  "我電話係 91234567 你打俾我啦") is `out_of_scope` whatever small talk the classifier read (goodbye and bot_identity
  in a citizen review; a priority intent at `priority_confidence` stays: "please call me, 91234567" may ask for a person) and gets `personal_details` in the parse data: action_fallback says that the bot
  cannot call back and personal details are better not sent. null turns it off.
- `no_subject_concepts`: what a question asks about a topic (cost, apply, duration, documents...). A message
  made of these alone ("幾錢？", "How do I apply?", "要等幾耐？") names no subject: in a bot of several
  knowledge bases its top topic is a guess ("幾錢？" found the water tariff). Such a message gets
  `faq_no_subject` in the parse data, and a top topic gets close alternatives (up to `no_subject_options`
  topics in all): action_answer_faq (or action_fallback, for a refusal) asks it again of what the conversation
  was just about (the last answer's knowledge base, the area being browsed), and otherwise asks which topic is
  meant (a refusal stays one). After an answer, the follow-up is answered from that topic or one of its `related`
  topics (actions/follow_up.py). In a bot of one knowledge base the message is marked too (answered or refused:
  "how long does it take?" right after the TSW registration answer) but gets no alternatives: without a
  conversation before it, its subject goes without saying.
- `subject_intents` (request_checklist), `subject_knowledge_bases` (none), `subject_floor` (0.3): shared intents
  about one subject (the checklist is the dog licence's or TSW's) and the knowledge bases they are about (config.yml:
  the dog licence's and TSW's). In a bot of several knowledge bases such an intent needs its subject: it is dropped,
  and the message decided as a question, when the message names no subject ("what do I need to bring?" after a
  passport answer had started the dog licence checklist, which then trapped the citizen) or when its best topic, at
  `subject_floor` or more, is of another knowledge base ("我想check下水費" started the dog licence checklist, "check"
  being near "checklist"). A button's `/request_checklist` never reaches the classifier.
- `contact_concepts` (contact, hotline), `contact_companions` (who, where, phone): a message that asks only how to
  reach someone ("who do I call?", "電話幾多號？", "点联系他们"): at least one contact concept, its other features
  among the companions. It gets `faq_asks_contact` in the parse data: right after an answer (or while browsing one
  department's area), action_answer_faq and action_fallback give that department's hotline from its knowledge file
  (actions/follow_up.py) instead of a topic that mentions a phone ("who do I call?" after discoloured water had got
  the burst water main). A message that names one of the bot's departments and asks only how to reach it
  ("Labour Department hotline number", "勞工處電話幾多號"; with `contact_words`: number), unless its top topic is that
  department's own about reaching it (its title asks a contact concept: "Social Welfare Department 24-hour hotline"), gets `faq_contact_department` (its knowledge base) and is refused as a topic: the actions
  give that department's hotline (a citizen review got the Social Welfare Department's). An empty
  `contact_concepts` turns both off.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.departments import department_of_kb, hotline_digits, without_names
from knowledge.index import AMBIGUITY_MARGIN, TOP_MATCHES, FaqResult, KnowledgeIndex
from knowledge.live import shared_store
from nlu.components.faq_parts import named_department, other_questions, question_after_story
from nlu.parse_keys import (
    FAQ,
    FAQ_ALSO,
    FAQ_ASKS_CONTACT,
    FAQ_CONTACT_DEPARTMENT,
    FAQ_ELSEWHERE,
    FAQ_NO_SUBJECT,
    PERSONAL_DETAILS,
)
from privacy.redact import find_personal_data

logger = logging.getLogger(__name__)

#: The synthetic intent name of the briefing's contract (the parse-data key is nlu.parse_keys.FAQ).
FAQ_INTENT = "faq"
#: Words and Chinese characters besides its personal data that such a message has at most.
PERSONAL_DETAILS_WORDS = 12
_WORD_OR_HAN = re.compile(r"[A-Za-z]+|[\u3400-\u9fff]")
#: Concepts (nlu/data/concepts.txt) that say what is asked about a topic, not which topic.
NO_SUBJECT_CONCEPTS = (
    "about", "apply", "appointment", "bring", "change", "contact", "cost", "documents", "duration", "form_fill",
    "frequency", "hotline", "hours", "look", "penalty", "quantity", "register", "renew", "replace", "requirement",
    "submit", "validity", "when", "where", "who",
)
#: Concepts that ask how to reach someone, and the concepts that may come with them in such a question.
CONTACT_CONCEPTS = ("contact", "hotline")
CONTACT_COMPANIONS = ("who", "where", "phone")
#: Words (not concepts) that may come with them: "hotline number".
CONTACT_WORDS = ("number",)
OUT_OF_SCOPE = "out_of_scope"
#: `question_focus`: how well the whole message must score a topic its last clauses alone answer (dev files,
#: thirteenth session: 0.33 answered an upgrade joke's browsers, 0.40 lost four of thirteen mended questions).
QUESTION_FOCUS = 0.35
#: At most this many of a refused message's first clauses are dropped in turn (each try runs the encoder at most once).
FOCUS_TRIES = 3


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqRetriever(GraphComponent, IntentClassifier):
    """Adds the best knowledge matches to each message and sets `faq` / `out_of_scope` when they decide."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None  # the knowledge index handles every language of a message itself

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "knowledge_bases": None,
            "threshold": None,
            "ambiguity_margin": AMBIGUITY_MARGIN,
            "priority_intents": ["ask_human", "switch_language", "bot_identity"],
            "priority_confidence": 0.7,
            "strong_topic": 0.8,
            "intent_confidence": 0.6,
            "confirmed_threshold": 0.45,
            "confirmed_confidence": 0.8,
            "clear_lead": 3.0,
            "clear_lead_threshold": 0.38,
            "top": TOP_MATCHES,
            "follow_named_department": True,
            "question_focus": QUESTION_FOCUS,
            "other_questions": 2,
            "personal_details_words": PERSONAL_DETAILS_WORDS,
            "no_subject_concepts": list(NO_SUBJECT_CONCEPTS),
            "no_subject_options": 3,
            "subject_intents": ["request_checklist"],
            "subject_knowledge_bases": [],
            "subject_floor": 0.3,
            "contact_concepts": list(CONTACT_CONCEPTS),
            "contact_companions": list(CONTACT_COMPANIONS),
            "contact_words": list(CONTACT_WORDS),
        }

    def __init__(self, config: Dict[Text, Any], store=None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._store = store

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqRetriever:
        component = cls(config)
        try:  # load the lexicon and build the index now, not on the first citizen's message
            component.store.index()
        except Exception:
            logger.exception("Could not build the knowledge index at start-up; will retry per message")
        return component

    @property
    def store(self):
        if self._store is None:
            self._store = shared_store()  # the watcher starts with the first message
        return self._store

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip():
                self._process(message, text)
        return messages

    def _options(self) -> Dict[str, Any]:
        """`KnowledgeIndex.decide`'s options from this component's config."""
        threshold = self.config["threshold"]
        return {"threshold": None if threshold is None else float(threshold),
                "margin": float(self.config["ambiguity_margin"]), "top": int(self.config["top"])}

    def retrieve(self, text: str, index: Optional[KnowledgeIndex] = None) -> FaqResult:
        """The decision for one text against this bot's knowledge bases (the live index, or the one given)."""
        index = self.store.index() if index is None else index
        options, knowledge_bases = self._options(), self.config["knowledge_bases"]
        result = index.decide(text, knowledge_bases, **options)
        if not self.config["follow_named_department"]:
            return result
        return named_department(index, text, result, knowledge_bases, options)

    def _focused(self, text: str, result: FaqResult, index: KnowledgeIndex, several: bool) -> Optional[FaqResult]:
        """The decision of a refused message's last clauses alone, when the whole message leans to its topic.

        A rest that names no subject ("Can I apply online?") is skipped in a bot of several knowledge bases, where
        its topic would be a guess.
        """
        floor = self.config["question_focus"]
        if floor is None:
            return None
        options, knowledge_bases = self._options(), self.config["knowledge_bases"]
        return question_after_story(
            text, result, lambda rest: index.decide(rest, knowledge_bases, **options), float(floor), FOCUS_TRIES,
            skip=lambda rest: several and self._only_what_is_asked(index.features(rest), concepts_only=True),
        )

    def _process(self, message: Message, text: str) -> None:
        several = self._several_knowledge_bases()
        try:
            index = self.store.index()  # one version of the knowledge for the whole message, though it may change meanwhile
            result = self.retrieve(text, index)
            focused = self._focused(text, result, index, several)
        except Exception:  # a retrieval bug must not break the conversation: fall back to intents
            logger.exception("FAQ retrieval failed; keeping the classifier's intent")
            return
        intent = message.get(INTENT) or {}
        name, confidence = intent.get(INTENT_NAME_KEY), float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        result = self._confirmed(result if focused is None else focused, name, confidence, index)
        features = index.features(text)
        no_subject = bool(result.matches) and self._only_what_is_asked(features)
        if no_subject:
            # In a bot of several knowledge bases its top is a guess: the actions offer choices without a context.
            result = self._with_options(result) if result.top is not None and several else result
            message.set(FAQ_NO_SUBJECT, True, add_to_output=True)
        if several and name in (self.config["subject_intents"] or ()) and not self._has_its_subject(result, no_subject):
            name, confidence = None, 0.0  # "what do I need to bring?", "我想check下水費": no dog licence checklist
        if self._asks_contact(features):
            message.set(FAQ_ASKS_CONTACT, True, add_to_output=True)
        reached = self._contact_department(text, result, index)
        if reached is not None:
            message.set(FAQ_CONTACT_DEPARTMENT, reached, add_to_output=True)
            name = None if result.top is None else name  # a refusal, whatever small talk the classifier read
        message.set(FAQ, result.to_dict(), add_to_output=True)
        # A topic found in the message's last clauses alone is never strong enough to overrule a priority intent.
        strong = result.top is not None and focused is None and result.matches[0].score >= float(self.config["strong_topic"])
        if name in self.config["priority_intents"] and confidence >= self.config["priority_confidence"] and not strong:
            return
        if result.top is None:
            elsewhere = index.names_elsewhere(text)
            if elsewhere:
                message.set(FAQ_ELSEWHERE, sorted(elsewhere), add_to_output=True)
        if result.top is None and self._only_personal_details(text):
            message.set(PERSONAL_DETAILS, True, add_to_output=True)
            self._set_intent(message, OUT_OF_SCOPE, 1.0)
            return
        if result.top is not None:
            self._set_intent(message, FAQ_INTENT, result.matches[0].score)
            also = self._other_questions(text, result, index)
            if also:
                message.set(FAQ_ALSO, also, add_to_output=True)
        elif name and name not in (FAQ_INTENT, OUT_OF_SCOPE) and confidence >= self.config["intent_confidence"]:
            return
        elif name != OUT_OF_SCOPE:
            best = result.matches[0].score if result.matches else 0.0
            self._set_intent(message, OUT_OF_SCOPE, round(1.0 - max(best, confidence), 4))

    def _has_its_subject(self, result: FaqResult, no_subject: bool) -> bool:
        """Whether a message read as a subject intent names its subject, as it must in a bot of several knowledge bases:
        it is more than `no_subject_concepts` ("what do I need to bring?" after a passport answer), and its best topic
        is of a knowledge base the intent is about (`subject_knowledge_bases`; none listed: any) or under
        `subject_floor`."""
        if no_subject:
            return False
        subjects = self.config["subject_knowledge_bases"] or ()
        if not subjects or not result.matches:
            return True
        best = result.matches[0]
        return best.group in subjects or best.score < float(self.config["subject_floor"])

    def _only_personal_details(self, text: str) -> bool:
        """Whether a message is personal data (`privacy.redact`) with at most `personal_details_words` words besides."""
        limit = self.config["personal_details_words"]
        found = find_personal_data(text) if limit is not None else []
        if not found:
            return False
        rest, end = [], 0
        for item in sorted(found, key=lambda item: item.start):
            rest.append(text[end:item.start])
            end = max(end, item.end)
        rest.append(text[end:])
        return len(_WORD_OR_HAN.findall(" ".join(rest))) <= int(limit)

    def _several_knowledge_bases(self) -> bool:
        """Whether this bot answers more than one knowledge base (null: every one loaded)."""
        knowledge_bases = self.config["knowledge_bases"]
        return knowledge_bases is None or len(knowledge_bases) > 1

    def _only_what_is_asked(self, features: frozenset[str], concepts_only: bool = False) -> bool:
        """Whether a text's features are all `no_subject_concepts` (cost, how to apply...): it names no subject.

        With `concepts_only`, its other words are let pass ("Can I apply online?": the knowledge knows no subject
        by "online"), as the question-after-a-story rule wants of a rest.
        """
        asked = {f"c:{name}" for name in self.config["no_subject_concepts"] or ()}
        if concepts_only:
            features = frozenset(feature for feature in features if feature.startswith("c:"))
        return bool(features) and features <= asked

    def _asks_contact(self, features: frozenset[str], named: bool = False) -> bool:
        """Whether a message asks only how to reach someone: a `contact_concepts` feature, the rest `contact_companions`
        or `contact_words`. With a department `named`, its phone alone asks it too ("勞工處電話")."""
        wanted = {f"c:{name}" for name in self.config["contact_concepts"] or ()}
        if named and wanted:
            wanted.add("c:phone")
        allowed = wanted | {f"c:{name}" for name in self.config["contact_companions"] or ()}
        allowed |= {f"w:{word}" for word in self.config["contact_words"] or ()}
        return bool(features & wanted) and features <= allowed

    def _contact_department(self, text: str, result: FaqResult, index: KnowledgeIndex) -> Optional[str]:
        """The knowledge base of the one department a message names and asks only how to reach, when no topic of that
        department answers it ("Labour Department hotline number" found the SWD hotline in a citizen review)."""
        if not self.config["contact_concepts"]:
            return None
        knowledge_bases = self.config["knowledge_bases"] or sorted({entry.kb for entry in index.entries.values()})
        rest, named = without_names(text, knowledge_bases)
        if len(named) != 1:
            return None
        kb = next(iter(named))
        department = department_of_kb(kb)
        if department is None or hotline_digits(department.hotline) in department.name.values():
            return None  # a service named by its number ("1823 hotline?") is asked about, not how to call it
        if not self._asks_contact(index.features(rest), named=True):
            return None
        top = index.entries.get(result.top) if result.top is not None else None
        if top is not None and top.kb == kb and self._asks_contact(index.features(top.title_in("en")) & self._contact_set()):
            return None  # that department's own topic about reaching it (its hotline) answers better
        return kb

    def _contact_set(self) -> frozenset[str]:
        """The `contact_concepts` as features."""
        return frozenset(f"c:{name}" for name in self.config["contact_concepts"] or ())

    def _with_options(self, result: FaqResult) -> FaqResult:
        """The result with its next best topics as close alternatives (`no_subject_options` topics in all)."""
        limit = max(1, int(self.config["no_subject_options"]))
        options = [m.id for m in result.matches if m.id != result.top and m.score > 0][: limit - 1]
        ambiguous = tuple(dict.fromkeys([*result.ambiguous, *options]))[: limit - 1]
        return FaqResult(result.matches, result.threshold, result.top, ambiguous)

    def _other_questions(self, text: str, result: FaqResult, index: KnowledgeIndex) -> List[str]:
        """Topics the message's other questions answer on their own (not the top, nor its close alternatives)."""
        limit = int(self.config["other_questions"] or 0)
        return other_questions(text, result, lambda part: self.retrieve(part, index), limit, float(self.config["confirmed_threshold"]))

    def _confirmed(self, result: FaqResult, name: Optional[str], confidence: float, index: KnowledgeIndex) -> FaqResult:
        """A topic under the threshold but above `confirmed_threshold` (`clear_lead_threshold` for a topic far ahead of
        the next) answers when the classifier is sure it is a topic question.

        Not for a knowledge base the dense signal serves: its threshold is already calibrated from its own
        questions, and the classifier, trained on its few variants, calls near-misses of it topic questions too.
        """
        if result.top is not None or not result.matches or name != FAQ_INTENT:
            return result
        if result.matches[0].group in index.kb_thresholds:
            return result
        best = result.matches[0].score
        floor = float(self.config["confirmed_threshold"])
        lead, lead_floor = self.config["clear_lead"], self.config["clear_lead_threshold"]
        runner_up = result.matches[1].score if len(result.matches) > 1 else 0.0
        if lead is not None and lead_floor is not None and best >= float(lead) * runner_up:
            floor = min(floor, float(lead_floor))
        if confidence < float(self.config["confirmed_confidence"]) or best < floor:
            return result
        margin = float(self.config["ambiguity_margin"])
        ambiguous = tuple(m.id for m in result.matches[1:] if m.score >= best - margin)
        return FaqResult(result.matches, result.threshold, result.matches[0].id, ambiguous)

    @staticmethod
    def _set_intent(message: Message, name: str, confidence: float) -> None:
        set_intent(message, name, confidence)


def set_intent(message: Message, name: str, confidence: float, dropped: Optional[str] = None) -> None:
    """`name` becomes the intent and comes first in the ranking (no duplicate names); `dropped`, an intent
    judged wrong, leaves the ranking, so no lower entry outranks the choice."""
    chosen = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: float(confidence)}
    ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) not in (name, dropped)]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
