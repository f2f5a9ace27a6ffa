"""Dialogue policies of our own, plugged into Rasa's DefaultV1Recipe.

`HandoffPolicy` keeps a bot silent while a human officer has the conversation.
`IncrementalRulePolicy` and `IncrementalMemoizationPolicy` are Rasa's RulePolicy and
MemoizationPolicy (same config keys, training, stored model and predictions) that get a
conversation's dialogue states from `bots.runtime.dialogue_states` (continued from the last
call instead of rebuilt from the first event); the rule policy also matches its rules once per
distinct state (`IncrementalRulePolicy._get_possible_keys`). Equivalence with Rasa's own
policies: tests/bots/runtime/test_policies.py.
Config keys (config.yml, under `policies:`):
  - `slot` (default `handoff_active`): the bool slot that marks a handed-off conversation.
  - `priority` (default 7, above RulePolicy's 6): wins ties against every built-in policy.
Release a conversation with `POST /bots/<bot>/conversations/<sender>/handoff/release`
(see docs/server.md, "Handoff"), which appends `SlotSet("handoff_active", False)`.
"""
from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Set, Text

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime import dialogue_states
from nlu.components.versions import speedups_allowed
from nlu.parse_keys import CRISIS

HANDOFF_SLOT = "handoff_active"
HANDOFF_PRIORITY = 7


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPolicy(Policy):
    """While the handoff slot is true, predict `action_listen` with top confidence; otherwise abstain (also for a
    message with a crisis phrase, nlu.components.crisis: its crisis lines are given even while waiting for an officer)."""

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
        crisis = bool((tracker.latest_message.parse_data or {}).get(CRISIS)) if tracker.latest_message else False
        if tracker.get_slot(self.config["slot"]) is True and not crisis:  # crisis lines are given even while waiting
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            # A no-user prediction outranks even an active form's loop prediction.
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)


class IncrementalStates:
    """Mixin for a MemoizationPolicy (or subclass): its prediction states continued from the conversation's last call.

    Rasa's `Policy._prediction_states` asks the featurizer, which rebuilds every state from
    the first event (`Domain.states_for_tracker_history`) two or three times a turn, so a
    turn got slower the longer the conversation ran. Here the states come from
    `dialogue_states.states_for_tracker_history` (equal to Rasa's, see that module), then go
    through the rest of Rasa 3.6's `MaxHistoryTrackerFeaturizer.prediction_states`. Trackers
    used in training (`TrackerWithCachedStates`, which cache their own states) and any other
    featurizer, and library versions other than the tested ones, keep Rasa's code.
    """

    featurizer: Any

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        featurizer = self.featurizer
        if type(tracker) is not DialogueStateTracker or type(featurizer) is not MaxHistoryTrackerFeaturizer or not speedups_allowed("policy states"):
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)  # type: ignore[misc]
        ml_data = self.supported_data() == SupportedData.ML_DATA  # type: ignore[attr-defined]
        states = dialogue_states.states_for_tracker_history(domain, tracker, ignore_rule_only_turns=ml_data, rule_only_data=rule_only_data)
        # From here on Rasa 3.6's MaxHistoryTrackerFeaturizer.prediction_states for one tracker.
        if ml_data:  # ignore_action_unlikely_intent
            states = featurizer._remove_action_unlikely_intent_from_states(states)
        trackers_as_states = [featurizer.slice_state_history(states, featurizer.max_history)]
        featurizer._choose_last_user_input(trackers_as_states, use_text_for_last_user_input)
        return trackers_as_states[0]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IncrementalMemoizationPolicy(IncrementalStates, MemoizationPolicy):
    """Rasa's MemoizationPolicy with incremental prediction states."""


def _frozen(state: Dict[str, Any]) -> Optional[tuple]:
    """A hashable copy of a dialogue state (sub-state dicts of strings and tuples); None if it has anything else."""
    try:
        frozen = tuple(sorted((name, tuple(sorted(sub_state.items()))) for name, sub_state in state.items()))
        hash(frozen)
    except (AttributeError, TypeError):
        return None
    return frozen


#: Remembered (distance, state) answers per rule lookup, at most this many before they are dropped.
RULE_MEMO_SIZE = 10_000


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IncrementalRulePolicy(IncrementalStates, RulePolicy):
    """Rasa's RulePolicy with incremental prediction states and rules matched once per distinct state.

    `_get_possible_keys` filters the rules state by state from the newest. Whether a rule
    applies at a distance depends only on the rule, the distance and the state, and the same
    few states recur in every conversation, so the set of rules that apply is remembered
    per (distance, state) and intersected. A rule shorter than the distance walked applies
    by definition, so once every remaining rule is that short the set cannot change and the
    walk stops (Rasa kept testing every rule against every older state, so its time grew
    with the conversation). Same set of rules. Only a loaded (trained) policy remembers:
    during training its rule lookup is still being built, so training keeps Rasa's matching.
    """

    remembers_matches = False

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> "IncrementalRulePolicy":
        """Rasa's load; the loaded policy's rules no longer change, so its matches may be remembered."""
        policy = super().load(*args, **kwargs)
        policy.remembers_matches = True
        return policy

    def _applicable(self, lookup: Dict[Text, Text], index: int, state: State) -> FrozenSet[Text]:
        frozen = _frozen(state)
        if frozen is None:
            return frozenset(key for key in lookup if self._is_rule_applicable(key, index, state))
        memos = self.__dict__.setdefault("_hkbot_applicable_rules", {})
        entry = memos.get(id(lookup))
        if entry is None or entry[0] is not lookup:  # held, so its id is not reused meanwhile
            entry = memos[id(lookup)] = (lookup, {})
        known = entry[1]
        if len(known) > RULE_MEMO_SIZE:
            known.clear()
        memo_key = (len(lookup), index, frozen)
        found = known.get(memo_key)
        if found is None:
            found = known[memo_key] = frozenset(key for key in lookup if self._is_rule_applicable(key, index, state))
        return found

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        if not self.remembers_matches or not speedups_allowed("rule matching"):
            return super()._get_possible_keys(lookup, states)
        possible_keys = set(lookup.keys())
        for index, state in enumerate(reversed(states)):
            if all(index >= len(self._rule_key_to_state(key)) for key in possible_keys):
                break  # every remaining rule is applicable at this and every older state
            possible_keys &= self._applicable(lookup, index, state)
        return possible_keys
