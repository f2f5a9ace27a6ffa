"""HandoffPolicy: top-confidence action_listen while handoff_active is true, no opinion otherwise."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime.policies import HandoffPolicy

DOMAIN = Domain.from_yaml(
    """
    version: "3.1"
    intents: [greet]
    actions: [action_greet]
    slots:
      handoff_active: {type: bool, initial_value: false, influence_conversation: false, mappings: [{type: custom}]}
    """
)


def policy(tmp_path) -> HandoffPolicy:
    return HandoffPolicy.create(
        HandoffPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("handoff"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def tracker(active: bool) -> DialogueStateTracker:
    events = [ActionExecuted(ACTION_LISTEN_NAME), SlotSet("handoff_active", active), UserUttered("hello", {"name": "greet"})]
    return DialogueStateTracker.from_events("citizen", events, slots=DOMAIN.slots)


def test_listens_with_top_confidence_during_a_handoff(tmp_path):
    prediction = policy(tmp_path).predict_action_probabilities(tracker(True), DOMAIN)
    assert prediction.max_confidence == 1.0
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == ACTION_LISTEN_NAME
    assert prediction.is_no_user_prediction  # outranks even an active form
    assert prediction.policy_priority > 6  # above RulePolicy's


def test_abstains_otherwise(tmp_path):
    prediction = policy(tmp_path).predict_action_probabilities(tracker(False), DOMAIN)
    assert max(prediction.probabilities) == 0.0
