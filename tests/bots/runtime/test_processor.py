"""hkbot's Agent and MessageProcessor (bots/runtime/processor.py, graph_runner.py): what Rasa's own give, with less work."""
from __future__ import annotations

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime import processor as hk_processor
from bots.runtime.graph_runner import SequentialGraphRunner
from bots.runtime.processor import HkbotAgent, HkbotProcessor

CONVERSATION = ("hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "thanks", "how long is a licence valid", "bye")


@pytest.fixture(scope="module")
def agent(runtime) -> Agent:
    return runtime.agent


def parse_graph(agent: Agent, runner_run, text: str) -> dict:
    processor = agent.processor
    target = processor.model_metadata.nlu_target
    results = runner_run(processor.graph_runner, {"__message__": [UserMessage(text)], "__tracker__": None}, [target])
    return results[target][0].as_dict(only_output_properties=True)


def test_the_runtime_loads_hkbots_agent_with_the_sequential_runner(agent):
    assert type(agent) is HkbotAgent and type(agent.processor) is HkbotProcessor
    assert type(agent.processor.graph_runner) is SequentialGraphRunner
    assert MessageProcessor._load_model is not HkbotProcessor._load_model  # Rasa's own is left alone
    plain = Agent.load(str(agent.processor.model_path))
    assert type(plain.processor) is MessageProcessor and type(plain.processor.graph_runner) is DaskGraphRunner


def test_other_library_versions_load_with_rasas_runner(agent, monkeypatch):
    monkeypatch.setattr(hk_processor, "speedups_allowed", lambda part: False)
    assert type(HkbotProcessor._load_model(agent.processor.model_path)[2]) is DaskGraphRunner


@pytest.mark.parametrize("text", ["狗牌幾錢", "我想renew個dog licence", "how much is a dog licence", "你係咪真人", "what's the weather"])
def test_the_sequential_runner_parses_exactly_as_dask(agent, text):
    ours = parse_graph(agent, SequentialGraphRunner.run, text)
    dasks = parse_graph(agent, DaskGraphRunner.run, text)
    assert ours == dasks
    assert ours["intent"]["name"]


def test_the_sequential_runner_predicts_exactly_as_dask(agent):
    processor = agent.processor
    tracker = DialogueStateTracker.from_events("citizen", [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet", "confidence": 1.0})], slots=agent.domain.slots)
    target = processor.model_metadata.core_target
    inputs = {"__tracker__": tracker}
    ours = SequentialGraphRunner.run(processor.graph_runner, dict(inputs), [target])[target]
    dasks = DaskGraphRunner.run(processor.graph_runner, dict(inputs), [target])[target]
    assert (ours.max_confidence_index, ours.policy_name, list(ours.probabilities)) == (dasks.max_confidence_index, dasks.policy_name, list(dasks.probabilities))


def test_inputs_named_like_nodes_are_refused_as_rasa_does(agent):
    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__message__": node}, [agent.processor.model_metadata.nlu_target])


async def talk(agent, sender: str) -> list:
    for text in CONVERSATION:
        await agent.handle_message(UserMessage(text, sender_id=sender))
    tracker = await agent.tracker_store.retrieve(sender)
    return [(type(e).__name__, getattr(e, "action_name", None), getattr(e, "text", None), getattr(e, "key", None), getattr(e, "value", None))
            for e in tracker.events if type(e).__name__ != "SessionStarted"]


async def test_actions_run_on_the_tracker_itself_with_the_same_conversation(agent, monkeypatch):
    copies = []
    original_copy = DialogueStateTracker.copy
    monkeypatch.setattr(DialogueStateTracker, "copy", lambda self: copies.append(1) or original_copy(self))
    with_ours = await talk(agent, "copy-ours")
    ours_copies = len(copies)
    monkeypatch.setattr(HkbotProcessor, "_run_action", MessageProcessor._run_action)  # Rasa's own
    copies.clear()
    with_rasas = await talk(agent, "copy-rasa")
    assert with_ours == with_rasas and any(e[1] == "checklist_form" for e in with_ours)
    assert 0 < ours_copies < len(copies)  # the form still gets its copies; answers and listens do not


async def test_the_warm_up_conversation_never_reaches_the_real_store(trained_models, tmp_path, monkeypatch):
    import sqlite3

    from hkbot.bot_config import load_bots
    from bots.runtime.agents import WARM_UP_SENDER, load_runtime, warm_up

    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path))
    runtime = load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"])
    store = runtime.agent.processor.tracker_store
    await warm_up(runtime)
    assert runtime.agent.processor.tracker_store is store
    assert await runtime.agent.tracker_store.retrieve(WARM_UP_SENDER) is None
    with sqlite3.connect(tmp_path / "trackers.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_officer_messages_are_handed_only_to_the_channel_the_conversation_came_from():
    """What an officer pushed since the citizen's last message goes to that channel's next turn, once; a REST caller
    posting as a Telegram conversation's id gets nothing (a code review)."""
    from rasa.shared.core.events import BotUttered

    from bots.runtime.processor import unseen_pushed

    tracker = DialogueStateTracker("citizen", slots=[])
    tracker.update(UserUttered("我想搵真人", input_channel="rest"))
    tracker.update(BotUttered("An officer will reply", {}, {"kind": "handoff"}))
    tracker.update(BotUttered("Joined", {}, {"kind": "agent"}))
    tracker.update(BotUttered("Hello, this is 1823", {}, {"kind": "agent"}))
    assert [e.text for e in unseen_pushed(tracker, "rest")] == ["Joined", "Hello, this is 1823"]
    assert unseen_pushed(tracker, "telegram") == []
    tracker.update(UserUttered("thanks", input_channel="rest"))
    assert unseen_pushed(tracker, "rest") == []  # seen with that turn
    telegram = DialogueStateTracker("telegram:42", slots=[])
    telegram.update(UserUttered("officer please", input_channel="telegram"))
    telegram.update(BotUttered("Hello", {}, {"kind": "agent"}))
    assert unseen_pushed(telegram, "rest") == []
