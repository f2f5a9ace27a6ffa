"""Rasa speed-ups (bots/runtime/speedups.py) on a real trained bot: same results as Rasa's own code paths."""
from __future__ import annotations

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime import speedups as rasa_speedups


@pytest.fixture(scope="module")
def agent(trained_models) -> Agent:
    rasa_speedups.install()
    return Agent.load(str(trained_models["dog_licence"]))


def parse_graph(agent: Agent, runner_run, text: str) -> dict:
    processor = agent.processor
    target = processor.model_metadata.nlu_target
    results = runner_run(processor.graph_runner, {"__message__": [UserMessage(text)], "__tracker__": None}, [target])
    return results[target][0].as_dict(only_output_properties=True)


def test_models_load_with_the_sequential_runner(agent):
    assert isinstance(agent.processor.graph_runner, rasa_speedups.SequentialGraphRunner)


@pytest.mark.parametrize("text", ["狗牌幾錢", "我想renew個dog licence", "how much is a dog licence", "你係咪真人", "what's the weather"])
def test_the_sequential_runner_parses_exactly_as_dask(agent, text):
    ours = parse_graph(agent, rasa_speedups.SequentialGraphRunner.run, text)
    dasks = parse_graph(agent, DaskGraphRunner.run, text)
    assert ours == dasks
    assert ours["intent"]["name"]


def test_the_sequential_runner_predicts_exactly_as_dask(agent):
    processor = agent.processor
    tracker = DialogueStateTracker.from_events("citizen", [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet", "confidence": 1.0})], slots=agent.domain.slots)
    target = processor.model_metadata.core_target
    inputs = {"__tracker__": tracker}
    ours = rasa_speedups.SequentialGraphRunner.run(processor.graph_runner, dict(inputs), [target])[target]
    dasks = DaskGraphRunner.run(processor.graph_runner, dict(inputs), [target])[target]
    assert (ours.max_confidence_index, ours.policy_name, list(ours.probabilities)) == (dasks.max_confidence_index, dasks.policy_name, list(dasks.probabilities))


def test_inputs_named_like_nodes_are_refused_as_rasa_does(agent):
    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__message__": node}, [agent.processor.model_metadata.nlu_target])


def test_event_types_resolve_as_before_and_unknown_names_still_fail():
    rasa_speedups.remember_event_types()
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("user") is UserUttered  # the remembered answer
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards-compatible answer
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def row_matrix(row, width):
    """`sentence_row`'s (columns, values) as a 1 x width CSR matrix."""
    import scipy.sparse

    columns, values = row
    return scipy.sparse.csr_matrix((values, (columns * 0, columns)), shape=(1, width))


def test_a_sentence_row_is_the_blocks_side_by_side_as_scipys_hstack():
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    left = scipy.sparse.coo_matrix(np.array([[0, 2, 0]], dtype=np.int64))
    right = scipy.sparse.coo_matrix(np.array([[0.5, 3.0]]))
    message = Message({"text": "x"})
    message.features = [Features(left, "sentence", "text", "a"), Features(right, "sentence", "text", "b")]
    expected = scipy.sparse.hstack([left, right])
    ours = row_matrix(rasa_speedups.sentence_row(message), expected.shape[1])
    assert ours.shape == expected.shape and rasa_speedups.sentence_row(message)[1].dtype == np.float64
    assert (ours.toarray() == expected.toarray()).all()
    message.features.append(Features(np.ones((1, 4)), "sentence", "text", "dense"))
    assert rasa_speedups.sentence_row(message) is None  # dense features: Rasa's own path


def test_the_intent_classifier_sees_the_same_rows_and_predicts_the_same(agent):
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    runner = agent.processor.graph_runner
    name = next(name for name in runner._instantiated_nodes if "LogisticRegression" in name)
    classifier = runner._instantiated_nodes[name]._component
    target = next(n for n in runner._graph_schema.nodes if n.startswith("run_CountVectorsFeaturizer3"))
    messages = [runner.run({"__message__": [UserMessage(text)], "__tracker__": None}, [target])[target][0]
                for text in ("狗牌幾錢", "hello there")]
    for message in messages:
        theirs = scipy_rows_as_rasa_builds_them(message)
        ours = row_matrix(rasa_speedups.sentence_row(message), theirs.shape[1])
        assert ours.shape == theirs.shape and (ours != theirs).nnz == 0
        assert (classifier.clf.predict_proba(ours) == classifier.clf.predict_proba(theirs)).all()
    both = classifier._create_X(messages)  # Rasa's own, which the fast path no longer calls
    assert isinstance(classifier, LogisticRegressionClassifier) and both.shape == (2, ours.shape[1])


def scipy_rows_as_rasa_builds_them(message) -> object:
    """Rasa 3.6's LogisticRegressionClassifier._create_X for one message, verbatim."""
    from rasa.shared.nlu.constants import TEXT
    from scipy.sparse import csr_matrix, hstack, vstack

    sparse_feats = message.get_sparse_features(attribute=TEXT)[1]
    dense_feats = message.get_dense_features(attribute=TEXT)[1]
    together = hstack([csr_matrix(sparse_feats.features if sparse_feats else []), csr_matrix(dense_feats.features if dense_feats else [])])
    return vstack([together])


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


def count_vectorizers(agent) -> list:
    nodes = agent.processor.graph_runner._instantiated_nodes
    return [node._component for name, node in nodes.items() if name.startswith("run_CountVectorsFeaturizer")]


@pytest.mark.parametrize("documents", [
    ["狗", "牌", "幾錢", "呀"], ["我", "想", "renew", "個", "dog", "licence"], ["licence licence licence"],
    ["zzqx", "🐶", "<b>", "'; drop table"], ["how much is a dog licence", "", "狗牌"],
])
def test_token_counts_are_the_same_matrices_as_sklearns_transform(agent, documents):
    vectorizers = [component.vectorizers["text"] for component in count_vectorizers(agent)]
    assert {vectorizer.analyzer for vectorizer in vectorizers} == {"word", "char_wb"}
    for vectorizer in vectorizers:
        ours = rasa_speedups.count_rows(vectorizer, documents)
        theirs = vectorizer.transform(documents)
        theirs.sort_indices()
        theirs = theirs.tocoo()
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert ours.row.tolist() == theirs.row.tolist() and ours.col.tolist() == theirs.col.tolist()
        assert ours.data.tolist() == theirs.data.tolist()
    assert any(rasa_speedups.count_rows(vectorizer, documents).nnz for vectorizer in vectorizers)


def test_sentence_rows_are_the_blocks_combined_and_leave_the_messages_own_untouched(agent):
    from rasa.shared.nlu.constants import TEXT

    runner = agent.processor.graph_runner
    target = next(n for n in runner._graph_schema.nodes if n.startswith("run_CountVectorsFeaturizer3"))
    message = runner.run({"__message__": [UserMessage("我想renew個dog licence")], "__tracker__": None}, [target])[target][0]
    blocks = [f for f in message.features if f.attribute == TEXT and f.type == "sentence"]
    before = [block.features.toarray().copy() for block in blocks]
    row = rasa_speedups.sentence_row(message)
    combined = message.get_sparse_features(TEXT)[1]  # Rasa's own combination
    assert len(blocks) == 2 and combined.origin == []
    import numpy as np
    assert (row_matrix(row, combined.features.shape[1]).toarray() == np.hstack(before)).all()
    assert (combined.features.toarray() == np.hstack(before)).all()
    row[1][:] = 99
    assert all((block.features.toarray() == kept).all() for block, kept in zip(blocks, before))


@pytest.mark.parametrize("binary", [False, True])
def test_token_counts_follow_the_vectorizers_binary_setting(binary):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(binary=binary, token_pattern=r"\S+").fit(["dog dog licence", "licence fee"])
    documents = ["dog dog dog licence", "fee cat"]
    assert (rasa_speedups.count_rows(vectorizer, documents).toarray() == vectorizer.transform(documents).toarray()).all()


def test_an_empty_domain_is_still_recognised():
    from rasa.shared.core.domain import Domain

    rasa_speedups.compare_with_one_empty_domain()
    assert Domain.empty().is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()


async def test_rulepolicy_finds_the_same_rules_at_every_step_of_a_real_conversation(agent, monkeypatch):
    from rasa.core.policies.rule_policy import RulePolicy

    rasa_speedups.match_rules_once_per_state()
    ours = RulePolicy._get_possible_keys
    compared = []

    def both(self, lookup, states):
        found = ours(self, lookup, states)
        compared.append((found == ours.rasa_original(self, lookup, states), len(states)))
        return found

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", both)
    for text in ("hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "thanks", "how long is a licence valid", "bye"):
        await agent.handle_message(UserMessage(text, sender_id="rules-citizen"))
    assert len(compared) > 10 and max(length for _, length in compared) > 10
    assert all(same for same, _ in compared)


def _event_pool():
    from rasa.shared.core.events import (
        ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop, Restarted, SessionStarted, SlotSet,
        UserUttered, UserUtteranceReverted,
    )

    return [
        lambda: ActionExecuted("action_listen"), lambda: UserUttered("hi", {"name": "greet"}), lambda: ActionExecuted("utter_greet"),
        lambda: ActionExecuted("checklist_form"), lambda: ActiveLoop("checklist_form"), lambda: ActiveLoop(None),
        lambda: ActionExecutionRejected("checklist_form"), lambda: SlotSet("requested_slot", "dog_application"),
        lambda: ActionReverted(), lambda: UserUtteranceReverted(), lambda: Restarted(), lambda: SessionStarted(),
        lambda: ActionExecuted("other_form"), lambda: ActiveLoop("other_form"),
    ]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=13), max_size=40))
def test_applied_events_are_rasas_after_every_new_event(choices):
    rasa_speedups.remember_applied_events()
    rasas = DialogueStateTracker.applied_events.rasa_original
    pool = _event_pool()
    tracker = DialogueStateTracker("citizen", [])
    for choice in choices:
        tracker.update(pool[choice]())
        ours = tracker.applied_events()
        assert [id(event) for event in ours] == [id(event) for event in rasas(tracker)]
        ours.clear()  # callers may change the list they get
    assert [id(e) for e in tracker.applied_events()] == [id(e) for e in rasas(tracker)]


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
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    rasa_speedups.match_rules_once_per_state()
    policy = RulePolicy.__new__(RulePolicy)  # matching reads no instance state
    lookup = {json.dumps([_STATES[i] for i in rule]): "utter_x" for rule in rules}
    ours = RulePolicy._get_possible_keys
    for conversation in conversations:  # later ones reuse what the policy remembered from earlier ones
        states = [_STATES[i] for i in conversation]
        assert ours(policy, lookup, states) == ours.rasa_original(policy, lookup, states)


@pytest.mark.parametrize("solver, multi_class, classes", [
    ("lbfgs", "auto", 3), ("liblinear", "auto", 3), ("lbfgs", "auto", 2), ("lbfgs", "multinomial", 2), ("lbfgs", "ovr", 3),
])
def test_intent_probabilities_are_sklearns(solver, multi_class, classes):
    import numpy as np
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    generator = np.random.default_rng(7)
    X = scipy.sparse.random(60, 40, density=0.2, format="csr", random_state=7)
    y = generator.integers(0, classes, 60)
    classifier = LogisticRegression(solver=solver, multi_class=multi_class, max_iter=500).fit(X, y)
    for row in X[:10]:
        row = row.tocoo()
        ours = rasa_speedups.intent_probabilities(classifier, row.col, row.data)
        theirs = classifier.predict_proba(row.tocsr())[0]
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_the_intent_classifier_ranks_as_rasa_does(agent):
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    rasa_speedups.classify_intents_directly()
    runner = agent.processor.graph_runner
    classifier = next(node._component for name, node in runner._instantiated_nodes.items() if "LogisticRegression" in name)
    target = next(n for n in runner._graph_schema.nodes if n.startswith("run_CountVectorsFeaturizer3"))
    for text in ("狗牌幾錢", "hello there", "我想renew個dog licence", "你係咪真人", "bye", "zzz"):
        message = runner.run({"__message__": [UserMessage(text)], "__tracker__": None}, [target])[target][0]
        ours = LogisticRegressionClassifier.process(classifier, [message])[0].get("intent_ranking")
        theirs = LogisticRegressionClassifier.process.rasa_original(classifier, [message])[0].get("intent_ranking")
        assert [r["name"] for r in ours] == [r["name"] for r in theirs]
        assert np.allclose([r["confidence"] for r in ours], [r["confidence"] for r in theirs], rtol=1e-12)
        assert all(isinstance(r["confidence"], np.float64) for r in ours)


@pytest.mark.parametrize("shape, entries", [((1, 4689), [(0, 3, 2), (0, 17, 1)]), ((3, 50), [(0, 1, 1), (2, 49, 4)]), ((2, 7), [])])
def test_matrices_from_parts_are_what_scipys_constructor_builds(shape, entries):
    import numpy as np
    import scipy.sparse

    rows = np.asarray([r for r, _, _ in entries], dtype=np.int32)
    cols = np.asarray([c for _, c, _ in entries], dtype=np.int32)
    data = np.asarray([v for _, _, v in entries], dtype=np.int64)
    ours = rasa_speedups.coo_from_parts(data, rows, cols, shape)
    theirs = scipy.sparse.coo_matrix((data, (rows, cols)), shape=shape)
    assert type(ours) is type(theirs) and set(vars(ours)) == set(vars(theirs))
    for name, value in vars(theirs).items():
        mine = vars(ours)[name]
        if isinstance(value, np.ndarray):
            assert mine.dtype == value.dtype and mine.tolist() == value.tolist(), name
        else:
            assert mine == value and type(mine) is type(value), name
    assert (ours.tocsr() != theirs.tocsr()).nnz == 0 and ours.sum() == theirs.sum()


CONVERSATION = ("hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "thanks", "how long is a licence valid", "bye")


async def talk(agent, sender: str) -> list:
    for text in CONVERSATION:
        await agent.handle_message(UserMessage(text, sender_id=sender))
    tracker = await agent.tracker_store.retrieve(sender)
    return [(type(e).__name__, getattr(e, "action_name", None), getattr(e, "text", None), getattr(e, "key", None), getattr(e, "value", None))
            for e in tracker.events if type(e).__name__ != "SessionStarted"]


async def test_actions_run_on_the_tracker_itself_with_the_same_conversation(agent, monkeypatch):
    from rasa.core.processor import MessageProcessor

    rasa_speedups.run_read_only_actions_on_the_tracker()
    ours = MessageProcessor._run_action
    copies = []
    original_copy = DialogueStateTracker.copy
    monkeypatch.setattr(DialogueStateTracker, "copy", lambda self: copies.append(1) or original_copy(self))
    with_ours = await talk(agent, "copy-ours")
    ours_copies = len(copies)
    monkeypatch.setattr(MessageProcessor, "_run_action", ours.rasa_original)
    copies.clear()
    with_rasas = await talk(agent, "copy-rasa")
    assert with_ours == with_rasas and any(e[1] == "checklist_form" for e in with_ours)
    assert 0 < ours_copies < len(copies)  # the form still gets its copies; answers and listens do not


def test_deep_copies_in_the_listed_modules_only_feed_debug_messages():
    import ast
    import importlib
    import inspect

    for name in rasa_speedups.LOG_ONLY_COPIES:
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        logged = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call)
                  and isinstance(call.func, ast.Attribute) and call.func.attr == "debug"
                  for argument in call.keywords for node in ast.walk(argument.value)}
        copies = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "deepcopy"]
        assert copies and all(id(node) in logged for node in copies), name


def test_logged_values_are_copied_only_when_debug_messages_are_kept():
    import logging

    import structlog
    from rasa.utils.log_utils import configure_structlog

    rasa_speedups.copy_logged_values_only_when_logged()
    import rasa.core.processor as processor

    saved = structlog.get_config()
    value = [{"event": "user"}]
    try:
        configure_structlog(logging.INFO)
        assert processor.copy.deepcopy(value) is value
        configure_structlog(logging.DEBUG)
        copied = processor.copy.deepcopy(value)
        assert copied == value and copied is not value and copied[0] is not value[0]
        assert processor.copy.copy(value) is not value  # everything else is the copy module's own
    finally:
        structlog.configure(**saved)
