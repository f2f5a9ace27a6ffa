"""A real small Rasa NLU model trained with our two components, then asked real questions."""
from __future__ import annotations

from pathlib import Path

import pytest

CONFIG = """\
recipe: default.v1
language: zh
assistant_id: hkbot-nlu-test
pipeline:
  - name: nlu.components.language.LanguageDetector
  - name: nlu.components.tokenizer.HongKongTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: LogisticRegressionClassifier
policies: []
"""

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - 你好
    - 早晨
    - 哈囉
    - 您好
- intent: ask_fee
  examples: |
    - how much is a dog licence
    - what is the fee for a dog licence
    - 狗牌幾多錢
    - 領狗牌要幾錢
    - 犬隻牌照的費用是多少
    - 申請犬隻牌照需要多少錢
    - 狗牌收費
- intent: ask_where
  examples: |
    - where can I apply for a dog licence
    - where do I get a dog licence
    - 喺邊度可以攞狗牌
    - 去邊度申請狗牌
    - 在哪裡申請犬隻牌照
    - 哪裡可以辦理犬隻牌照
    - 申請地點
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory):
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    folder = tmp_path_factory.mktemp("nlu_model")
    (folder / "config.yml").write_text(CONFIG, encoding="utf-8")
    (folder / "nlu.yml").write_text(NLU, encoding="utf-8")
    model = train_nlu(str(folder / "config.yml"), str(folder / "nlu.yml"), str(folder / "models"))
    assert model and Path(model).exists()
    return Agent.load(model)


async def parse(agent, text: str) -> dict:
    return await agent.parse_message(text)


@pytest.mark.parametrize(
    "text, language, intent",
    [
        ("點樣申請狗牌呀？喺邊度攞", "yue", "ask_where"),
        ("請問在哪裡申請犬隻牌照", "zh-Hant", "ask_where"),
        ("请问犬只牌照的费用是多少", "zh-Hans", "ask_fee"),
        ("How much does a dog licence cost?", "en", "ask_fee"),
        ("我想知個dog licence幾多錢", "yue", "ask_fee"),
        ("hello!", "en", "greet"),
    ],
)
async def test_parse_carries_language_and_intent(agent, text: str, language: str, intent: str) -> None:
    result = await parse(agent, text)
    assert result["language"] == language
    assert result["intent"]["name"] == intent


async def test_tokens_in_parse_result_point_into_the_original(agent) -> None:
    text = "我想renew個dog licence"
    result = await parse(agent, text)
    spans = [text[start:end] for start, end in result["text_tokens"]]
    assert spans == ["我", "想", "renew", "個", "dog", "licence"]


async def test_emoji_only_message_parses(agent) -> None:
    result = await parse(agent, "😀😀")
    assert result["language"] == "und"
    assert result["intent"]["name"] in {"greet", "ask_fee", "ask_where"}


async def test_button_payload_carries_no_language(agent) -> None:
    # A button press (`/intent{...}`) is no language, so the reply keeps the conversation's.
    # Rasa unpacks payloads without running the pipeline; our detector says `und` if it ever does.
    result = await parse(agent, '/ask_fee{"topic": "dog_licence.fee"}')
    assert result.get("language", "und") == "und"
    assert result["intent"]["name"] == "ask_fee"
    from nlu.components.language import message_language

    assert message_language('/ask_fee{"topic": "dog_licence.fee"}') == "und"
    assert message_language("how much is a dog licence") == "en"
