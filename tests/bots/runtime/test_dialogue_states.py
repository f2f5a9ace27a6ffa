"""Dialogue states carried over between policy calls (bots/runtime/dialogue_states.py): always Rasa's own answer."""
from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionReverted, Restarted, UserUttered, UserUtteranceReverted
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime import dialogue_states

RASA = dialogue_states.RASA_STATES_FOR_TRACKER_HISTORY

#: A conversation through FAQ answers, the checklist form (with an interruption), identity and a language switch.
SCRIPT = (
    "hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "thanks",
    "我想renew個dog licence", "switch to English", "how long is a licence valid", "bye",
)


@pytest.fixture(scope="module")
def runtime(trained_models, tmp_path_factory):
    import os

    from hkbot.bot_config import load_bots
    from bots.runtime.agents import load_runtime

    os.environ["HKBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("states"))
    try:
        return load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"])
    finally:
        del os.environ["HKBOT_DATA_DIR"]


@pytest.fixture
def compared(monkeypatch):
    """Every states request of hkbot's policies answered incrementally and checked against Rasa's full rebuild."""
    calls: list[tuple] = []
    incremental = dialogue_states.states_for_tracker_history

    def both(domain, tracker, *args, **kwargs):
        ours = incremental(domain, tracker, *args, **kwargs)
        # compared now: the policies change the lists they are given
        calls.append((ours == RASA(domain, tracker, *args, **kwargs), tracker.sender_id, len(tracker.events)))
        return ours

    monkeypatch.setattr(dialogue_states, "states_for_tracker_history", both)  # where hkbot's policies get their states
    return calls


async def test_policies_get_rasas_states_at_every_call_of_a_real_conversation(runtime, compared):
    from bots.runtime.agents import handle_message

    for text in SCRIPT:
        await handle_message(runtime, UserMessage(text, CollectingOutputChannel(), "states-citizen"))
    assert len(compared) > 2 * len(SCRIPT)  # the Rule and Memoization policies asked on every prediction
    for same, sender, events in compared:
        assert same, f"{sender} after {events} events"
    tracker = await runtime.agent.tracker_store.retrieve("states-citizen")
    assert tracker.active_loop_name is None and "checklist_form" in [e.action_name for e in tracker.applied_events() if isinstance(e, ActionExecuted)]


def conversation(domain: Domain, sender: str = "citizen", turns: int = 6) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    for number in range(turns):
        tracker.update(UserUttered(f"question {number}", {"name": "faq" if number % 2 else "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_answer_faq"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def counting_states(monkeypatch) -> list[int]:
    built = [0]
    original = Domain.get_active_state

    def counted(self, *args, **kwargs):
        built[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Domain, "get_active_state", counted)
    return built


def test_a_longer_conversation_builds_only_its_new_states(runtime, monkeypatch):
    domain = runtime.agent.domain
    tracker = conversation(domain, "longer")
    assert dialogue_states.states_for_tracker_history(domain, tracker) == RASA(domain, tracker)
    built = counting_states(monkeypatch)
    tracker.update(UserUttered("one more", {"name": "faq", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_answer_faq"))
    ours = dialogue_states.states_for_tracker_history(domain, tracker)
    assert built[0] == 2  # the answer's state and the current one, not all fourteen again
    assert ours == RASA(domain, tracker)


@pytest.mark.parametrize("change", ["rewind", "revert", "restart", "new objects"])
def test_a_history_that_does_not_continue_is_rebuilt(runtime, change):
    domain = runtime.agent.domain
    tracker = conversation(domain, f"changed-{change}")
    dialogue_states.states_for_tracker_history(domain, tracker, ignore_rule_only_turns=True, rule_only_data={"rule_only_slots": [], "rule_only_loops": []})
    if change == "rewind":
        tracker.update(UserUtteranceReverted())
    elif change == "revert":
        tracker.update(ActionReverted())
    elif change == "restart":
        tracker.update(Restarted())
        tracker.update(ActionExecuted("action_listen"))
    else:  # the same conversation read back from a store: equal events, other objects
        tracker = DialogueStateTracker.from_dict(tracker.sender_id, [event.as_dict() for event in tracker.events], domain.slots)
    for ignore in (False, True):
        data = {"rule_only_slots": [], "rule_only_loops": []} if ignore else None
        assert dialogue_states.states_for_tracker_history(domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data) == RASA(domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data)


def test_senders_and_rule_only_data_never_share_states(runtime):
    domain = runtime.agent.domain
    first, second = conversation(domain, "first", 2), conversation(domain, "second", 5)
    assert dialogue_states.states_for_tracker_history(domain, first) == RASA(domain, first)
    assert dialogue_states.states_for_tracker_history(domain, second) == RASA(domain, second)
    with_loop = {"rule_only_slots": [], "rule_only_loops": ["checklist_form"]}
    without = {"rule_only_slots": [], "rule_only_loops": []}
    for data in (with_loop, without, with_loop):
        assert dialogue_states.states_for_tracker_history(domain, first, ignore_rule_only_turns=True, rule_only_data=data) == \
            RASA(domain, first, ignore_rule_only_turns=True, rule_only_data=data)


def test_callers_may_change_the_states_they_get(runtime):
    domain = runtime.agent.domain
    tracker = conversation(domain, "changer")
    for state in dialogue_states.states_for_tracker_history(domain, tracker):
        for sub_state in state.values():
            sub_state.clear()  # as Rasa's featurizers do to the user sub-state, only more so
        state.clear()
    tracker.update(UserUttered("again", {"name": "faq", "confidence": 1.0}))
    assert dialogue_states.states_for_tracker_history(domain, tracker) == RASA(domain, tracker)


def test_checkpoints_are_bounded_by_the_tracker_cache_size(runtime, monkeypatch):
    monkeypatch.setenv("HKBOT_TRACKER_CACHE", "2")
    domain = runtime.agent.domain
    for number in range(6):
        dialogue_states.states_for_tracker_history(domain, conversation(domain, f"bounded-{number}", 1))
    assert len(domain.__dict__[dialogue_states._CHECKPOINTS]) == 4
