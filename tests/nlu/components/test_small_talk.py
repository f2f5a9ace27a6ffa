"""SmallTalkMatcher (nlu/components/small_talk.py) and SmallTalk (nlu/small_talk.py), with the real e5 encoder."""
from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import semantic
from nlu.components.faq import FaqRetriever
from nlu.components.small_talk import SMALL_TALK, SmallTalkMatcher
from nlu.small_talk import SmallTalk
from tests.nlu.components.conftest import components

EXAMPLES = [
    ("thank you very much for your help", "thanks"), ("多謝晒", "thanks"), ("非常感谢你的耐心解答", "thanks"),
    ("hello there", "greet"), ("你好呀", "greet"),
    ("no, that's not what I asked", "deny"), ("唔係呢樣", "deny"),
    ("can I speak to a real person", "ask_human"), ("我想搵真人", "ask_human"),
    ("can you reply in English", "switch_language"), ("請用中文回覆", "switch_language"),
    ("tell me a joke", "out_of_scope"), ("what's the weather tomorrow", "out_of_scope"),
]
POLITE_THANKS = "Thank you so much for your help, it was very useful to me."


@pytest.fixture(scope="module")
def model():
    model = semantic.encoder()
    if model is None:
        pytest.skip("no sentence encoder on this platform")
    return model


@pytest.fixture()
def matcher(model, tmp_path) -> SmallTalkMatcher:
    """A matcher trained on EXAMPLES (plus a knowledge variant and a bot's own intent it must leave out)."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("small_talk")
    component = SmallTalkMatcher.create({}, storage, resource, None)
    data = [Message(data={TEXT: text, INTENT: intent}) for text, intent in EXAMPLES]
    data += [Message(data={TEXT: "how much is a dog licence", INTENT: "faq"}),
             Message(data={TEXT: "give me the checklist", INTENT: "request_checklist"})]
    component.train(TrainingData(data))
    return SmallTalkMatcher.load({}, storage, resource, None)


def decided(matcher: SmallTalkMatcher, text: str, intent: str, confidence: float = 0.9) -> str:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    matcher.process([message])
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == message.get(INTENT)["name"]
    return message.get(INTENT)["name"]


def test_training_keeps_the_small_talk_and_out_of_scope_examples_only(matcher):
    kept = {intent for _, intent in matcher.examples}
    assert kept == {"thanks", "greet", "deny", "ask_human", "switch_language", "out_of_scope"}
    assert len(matcher.examples) == len(EXAMPLES)


def test_a_refused_long_thank_you_is_read_as_thanks(matcher):
    assert decided(matcher, POLITE_THANKS, "out_of_scope") == "thanks"
    assert decided(matcher, "承蒙閣下耐心解答，本人深表謝意", "out_of_scope") == "thanks"


def test_a_refused_question_stays_refused(matcher):
    assert decided(matcher, "how do I adopt a cat from the SPCA", "out_of_scope") == "out_of_scope"
    assert decided(matcher, "what's the weather like tomorrow", "out_of_scope") == "out_of_scope"  # chit-chat: no intent


def test_a_topic_answer_and_a_bots_own_intent_are_never_touched(matcher):
    assert decided(matcher, POLITE_THANKS, "faq") == "faq"
    assert decided(matcher, POLITE_THANKS, "request_checklist") == "request_checklist"


def test_a_small_talk_intent_like_none_of_its_examples_is_vetoed(matcher):
    assert decided(matcher, "air quality health index today", "thanks") == "out_of_scope"  # nearest to chit-chat
    assert decided(matcher, "多謝你呀", "thanks") == "thanks"
    # a typo sits low for e5 too, but nearer to small talk than to chit-chat: the classifier keeps it
    assert decided(matcher, "thnk u", "thanks") == "thanks"


def test_the_vetoed_intent_leaves_the_ranking(matcher):
    message = Message(data={TEXT: "air quality health index today"})
    message.set(INTENT, {"name": "thanks", "confidence": 0.83})
    message.set(INTENT_RANKING_KEY, [{"name": "thanks", "confidence": 0.83}, {"name": "faq", "confidence": 0.1}])
    matcher.process([message])
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["out_of_scope", "faq"]


def test_an_intent_that_acts_needs_a_nearer_example(matcher):
    # 0.95 from "can you reply in English": under the bar for switching the reply language
    assert decided(matcher, "please reply in English", "out_of_scope") == "out_of_scope"
    assert decided(matcher, "can you please reply in English", "out_of_scope") == "switch_language"
    lenient = SmallTalkMatcher({"acting_intents": []}, None, None, matcher.examples)
    assert decided(lenient, "please reply in English", "out_of_scope") == "switch_language"


def test_the_meaning_overrides_the_classifier_only_with_a_wide_lead(matcher):
    assert decided(matcher, "no, you have misunderstood, that is not my question at all", "greet") == "deny"
    overrides_off = SmallTalkMatcher({"override_lead": None, "veto_similarity": None}, None, None, matcher.examples)
    assert decided(overrides_off, "no, you have misunderstood, that is not my question at all", "greet") == "greet"


def test_without_the_encoder_nothing_changes(matcher, monkeypatch):
    monkeypatch.setattr("nlu.components.small_talk.encoder", lambda: None)
    blind = SmallTalkMatcher({}, None, None, matcher.examples)
    assert decided(blind, POLITE_THANKS, "out_of_scope") == "out_of_scope"
    assert decided(blind, "air quality health index today", "thanks") == "thanks"


def test_a_model_without_its_examples_file_loads_and_changes_nothing(tmp_path, model):
    storage = LocalModelStorage(tmp_path)
    empty = SmallTalkMatcher.load({}, storage, Resource("never_trained"), None)
    assert empty.examples == [] and empty.matcher() is None
    assert decided(empty, POLITE_THANKS, "out_of_scope") == "out_of_scope"


def test_nearest_reports_the_label_and_its_lead(model):
    lookup = SmallTalk(model, [t for t, _ in EXAMPLES], [i for _, i in EXAMPLES])
    found = lookup.nearest("many thanks for your help")
    assert found is not None and found.label == "thanks" and found.lead > 0.02
    assert set(lookup.similarities("hi")) == {"thanks", "greet", "deny", "ask_human", "switch_language", "out_of_scope"}
    assert lookup.intent("what's the weather like tomorrow", 0.5, 0.0) is None  # chit-chat is no intent
    with pytest.raises(ValueError):
        SmallTalk(model, ["a", "b"], ["thanks"])


def test_the_config_runs_it_after_the_faq_retriever_with_the_shared_examples(graph):
    from hkbot.settings import PROJECT_ROOT

    config = (PROJECT_ROOT / "config.yml").read_text()
    assert config.index("nlu.components.faq.FaqRetriever") < config.index("nlu.components.small_talk.SmallTalkMatcher")
    [matcher] = components(graph, SmallTalkMatcher)
    assert components(graph, FaqRetriever)
    intents = {intent for _, intent in matcher.examples}
    assert intents == {*SMALL_TALK, "out_of_scope"} and len(matcher.examples) > 300


def test_the_trained_bot_answers_long_thank_yous_the_classifier_alone_refuses(graph):
    from rasa.core.channels.channel import UserMessage

    retriever = next(name for name in graph._graph_schema.nodes if "FaqRetriever" in name and name.startswith("run_"))
    last = next(name for name in graph._graph_schema.nodes if "SmallTalkMatcher" in name and name.startswith("run_"))
    texts = ["衷心感謝閣下撥冗作出如此周詳的解答，本人獲益匪淺。", "真係好多謝你耐心咁逐樣解釋俾我聽，我而家終於搞清楚晒喇",
             "非常感谢您不厌其烦地一一解答，实在太有帮助了"]
    refused_before = 0
    for text in texts:
        before = graph.run({"__message__": [UserMessage(text)], "__tracker__": None}, [retriever])[retriever][0]
        after = graph.run({"__message__": [UserMessage(text)], "__tracker__": None}, [last])[last][0]
        refused_before += before.get(INTENT)["name"] == "out_of_scope"
        assert after.get(INTENT)["name"] == "thanks", text
    assert refused_before >= 2  # the classifier and the retriever alone refuse them: the matcher reads them


@pytest.mark.parametrize(("text", "intent"), [
    # Written for this test (not case-file sentences): long and polite small talk, and chit-chat that is none
    ("Thank you kindly for taking the time to explain all this to me, it is much appreciated.", "thanks"),
    ("多得你咁詳細咁解釋，真係幫咗我好多，唔該晒你", "thanks"),
    ("非常感谢您这么细心的说明，对我很有帮助", "thanks"),
    ("敬謝閣下撥冗詳細說明，本人受益良多。", "thanks"),
    ("No no, you've got the wrong idea, I wasn't asking about that at all.", "deny"),
    ("Good morning to you, this is Mr Lee, hoping you can assist me today.", "greet"),
    ("Could you kindly reply in English? I'm afraid I cannot read Chinese.", "switch_language"),
    ("what is the air pollution index today", "out_of_scope"),
    ("how tall are you", "bot_identity"),  # about the bot: "a virtual assistant, a program" fits (out_of_scope until
    # browse was trained in the thirteenth session moved the classifier)
    ("你最鍾意食咩", "out_of_scope"),
    # a question after a self-introduction is no greeting; a question about a form's language is no switch
    ("早晨，我係黃太，想問下點樣交差餉", "out_of_scope"),
    ("Hello, I'm Mrs Chan, how do I pay my electricity bill?", "out_of_scope"),
    ("表格有冇英文版", "out_of_scope"),
    # twelfth session, a citizen review: nothing to answer read as small talk (thanks, no, goodbye) before
    ("xxxxxxxxxxxxxxxxxxxxxxxxx", "out_of_scope"),
    ("qwerty qwerty", "out_of_scope"),
    ("https://www.wsd.gov.hk/en/index.html", "out_of_scope"),
    ("www.1823.gov.hk", "out_of_scope"),
    ("how about in English?", "switch_language"),
])
def test_the_trained_bot_reads_long_small_talk_and_refuses_chit_chat(graph, text, intent):
    from rasa.core.channels.channel import UserMessage

    last = next(name for name in graph._graph_schema.nodes if "SmallTalkMatcher" in name and name.startswith("run_"))
    message = graph.run({"__message__": [UserMessage(text)], "__tracker__": None}, [last])[last][0]
    assert message.get(INTENT)["name"] == intent
