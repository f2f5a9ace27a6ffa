"""Dialogue policies of our own, plugged into Rasa's DefaultV1Recipe.

`HandoffPolicy` keeps a bot silent while a human officer has the conversation.
Config keys (config.yml, under `policies:`):
  - `slot` (default `handoff_active`): the bool slot that marks a handed-off conversation.
  - `priority` (default 7, above RulePolicy's 6): wins ties against every built-in policy.
Release a conversation with `POST /bots/<bot>/conversations/<sender>/handoff/release`
(see docs/server.md, "Handoff"), which appends `SlotSet("handoff_active", False)`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

HANDOFF_SLOT = "handoff_active"
HANDOFF_PRIORITY = 7


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPolicy(Policy):
    """While the handoff slot is true, predict `action_listen` with top confidence; otherwise abstain."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"slot": HANDOFF_SLOT, "priority": HANDOFF_PRIORITY}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the rule is fixed."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Silence (listen) during a handoff; zeros, i.e. no opinion, otherwise."""
        probabilities = self._default_predictions(domain)
        if tracker.get_slot(self.config["slot"]) is True:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            # A no-user prediction outranks even an active form's loop prediction.
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)
