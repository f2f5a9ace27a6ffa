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


# ----------------------------------------------------------------------------- Rasa's policies, incremental

import json  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rasa.core.policies.memoization import MemoizationPolicy  # noqa: E402
from rasa.core.policies.policy import Policy  # noqa: E402
from rasa.core.policies.rule_policy import RulePolicy  # noqa: E402

from bots.runtime import policies as hk_policies  # noqa: E402
from bots.runtime.policies import IncrementalMemoizationPolicy, IncrementalRulePolicy  # noqa: E402

SCRIPT = ("hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "thanks",
          "我想renew個dog licence", "switch to English", "how long is a licence valid", "bye")


def loaded_policies(runtime) -> dict:
    nodes = runtime.agent.processor.graph_runner._instantiated_nodes.values()
    return {type(node._component): node._component for node in nodes if isinstance(getattr(node, "_component", None), Policy)}


def test_the_config_names_the_incremental_policies_and_the_model_runs_them(runtime):
    from hkbot.settings import PROJECT_ROOT

    config = (PROJECT_ROOT / "config.yml").read_text()
    assert "- name: RulePolicy" not in config and "- name: MemoizationPolicy" not in config
    found = loaded_policies(runtime)
    assert {IncrementalRulePolicy, IncrementalMemoizationPolicy} <= set(found)
    assert found[IncrementalRulePolicy].remembers_matches  # loaded, so its rules no longer change


async def test_every_prediction_of_a_real_conversation_is_rasas(runtime, monkeypatch):
    """Each policy call answered by hkbot's policy and by Rasa's own class on the same trained policy and tracker."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bots.runtime.agents import handle_message

    compared = []
    rasas_classes = {IncrementalRulePolicy: RulePolicy, IncrementalMemoizationPolicy: MemoizationPolicy}
    for node in runtime.agent.processor.graph_runner._instantiated_nodes.values():
        rasas_class = rasas_classes.get(type(getattr(node, "_component", None)))
        if rasas_class is None:
            continue

        def both(self, tracker, domain, rule_only_data=None, ours_predict=node._fn, rasas_class=rasas_class, **kwargs):
            ours = ours_predict(self, tracker, domain, rule_only_data=rule_only_data, **kwargs)
            states = self._prediction_states(tracker, domain, rule_only_data=rule_only_data)
            rasas_states = rasas_class._prediction_states(self, tracker, domain, rule_only_data=rule_only_data)
            with monkeypatch.context() as rasa_only:  # the same trained policy object with Rasa's own methods
                rasa_only.setattr(type(self), "_prediction_states", rasas_class._prediction_states)
                if rasas_class is RulePolicy:
                    rasa_only.setattr(type(self), "_get_possible_keys", RulePolicy._get_possible_keys)
                rasas = ours_predict(self, tracker, domain, rule_only_data=rule_only_data, **kwargs)
            compared.append((type(self).__name__, states == rasas_states, list(ours.probabilities) == list(rasas.probabilities),
                             ours.is_no_user_prediction == rasas.is_no_user_prediction, ours.events == rasas.events, len(states)))
            return ours

        monkeypatch.setattr(node, "_fn", both)  # the graph node calls the function it took at load time
    for text in SCRIPT:
        await handle_message(runtime, UserMessage(text, CollectingOutputChannel(), "policies-citizen"))
    assert {name for name, *_ in compared} == {"IncrementalRulePolicy", "IncrementalMemoizationPolicy"}
    assert len(compared) > 2 * len(SCRIPT) and max(length for *_, length in compared) > 10
    assert all(all(same) for _, *same, _ in compared), [entry for entry in compared if not all(entry[1:5])]


async def test_rulepolicy_finds_the_same_rules_at_every_step_of_a_real_conversation(runtime, monkeypatch):
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bots.runtime.agents import handle_message

    ours = IncrementalRulePolicy._get_possible_keys
    compared = []

    def both(self, lookup, states):
        found = ours(self, lookup, states)
        compared.append((found == RulePolicy._get_possible_keys(self, lookup, states), len(states)))
        return found

    monkeypatch.setattr(IncrementalRulePolicy, "_get_possible_keys", both)
    for text in SCRIPT:
        await handle_message(runtime, UserMessage(text, CollectingOutputChannel(), "rules-citizen"))
    assert len(compared) > 10 and max(length for _, length in compared) > 10
    assert all(same for same, _ in compared)


def test_training_matches_rules_with_rasas_code(tmp_path, monkeypatch):
    """A policy being trained (not loaded) has a lookup still being built: no remembered matches."""
    policy = IncrementalRulePolicy.create(
        IncrementalRulePolicy.get_default_config(), LocalModelStorage(tmp_path), Resource("rules"), ExecutionContext(GraphSchema({}), "test"),
    )
    assert not policy.remembers_matches
    monkeypatch.setattr(hk_policies, "_frozen", lambda state: pytest.fail("the remembering path ran"))
    lookup = {json.dumps([_STATES[1]]): "utter_x"}
    assert policy._get_possible_keys(lookup, [_STATES[1]]) == RulePolicy._get_possible_keys(policy, lookup, [_STATES[1]])


_STATES = [
    {},
    {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}},
    {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "faq"}},
    {"prev_action": {"action_name": "utter_greet"}, "user": {"intent": "greet"}},
    {"prev_action": {"action_name": "checklist_form"}, "active_loop": {"name": "checklist_form"}},
    {"prev_action": {"action_name": "action_listen"}, "active_loop": {"name": "should_not_be_set"}},
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4), min_size=1, max_size=8),
    st.lists(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=12), min_size=1, max_size=3),
)
def test_rule_matching_remembers_and_stops_early_with_the_same_rules(rules, conversations):
    policy = IncrementalRulePolicy.__new__(IncrementalRulePolicy)  # matching reads no instance state
    policy.remembers_matches = True
    lookup = {json.dumps([_STATES[i] for i in rule]): "utter_x" for rule in rules}
    for conversation in conversations:  # later ones reuse what the policy remembered from earlier ones
        states = [_STATES[i] for i in conversation]
        assert policy._get_possible_keys(lookup, states) == RulePolicy._get_possible_keys(policy, lookup, states)
