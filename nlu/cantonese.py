"""Cantonese or formal written Chinese? Marker words first, then a character n-gram Naive Bayes.

Input is Hong Kong Traditional Han text (punctuation, Latin and digits removed by the caller).
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent / "data" / "yue_model.json"

#: Characters and words that written Cantonese uses and formal written Chinese does not.
CANTONESE_MARKERS = (
    "嘅", "咗", "喺", "唔", "冇", "佢", "哋", "啲", "嘢", "嚟", "嗰", "噉", "乜", "咩", "睇",
    "搵", "攞", "嘞", "喎", "啩", "囉", "㗎", "俾", "畀", "咁", "喇", "吖", "噃", "啫", "咋",
    "諗", "瞓", "攰", "嚿", "揸", "冚", "嘥", "咪", "係", "點樣", "點解", "邊度", "邊個",
    "幾多", "而家", "依家", "宜家", "乜嘢", "琴日", "聽日", "啱",
)
#: Characters and words of formal written Chinese that Cantonese writes differently.
FORMAL_MARKERS = (
    "的", "了", "是", "在", "他", "她", "們", "這", "那", "嗎", "沒有", "什麼", "怎麼",
    "哪", "如何", "為何", "與", "及", "之", "其", "於", "將", "須", "應", "該", "此",
)


def marker_counts(text: str) -> tuple[int, int]:
    """(Cantonese markers, formal markers) found in `text`."""
    yue = sum(text.count(m) for m in CANTONESE_MARKERS)
    formal = sum(text.count(m) for m in FORMAL_MARKERS)
    return yue, formal


@lru_cache(maxsize=1)
def model() -> dict | None:
    """The trained Naive Bayes tables, or None before `python -m nlu.train_langid` has run."""
    if not MODEL_FILE.exists():
        return None
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def features(text: str) -> list[str]:
    """Character unigrams and bigrams (with sentence edges)."""
    padded = f"^{text}$"
    return list(text) + [padded[i : i + 2] for i in range(len(padded) - 1)]


def log_odds(text: str) -> float:
    """log P(yue | text) - log P(formal | text) under the Naive Bayes model (0 without one)."""
    tables = model()
    if tables is None:
        return 0.0
    weights, default = tables["weights"], tables["default"]
    return tables["prior"] + sum(weights.get(f, default) for f in features(text))


def is_cantonese(text: str) -> bool:
    """True if Han text `text` reads as written Cantonese."""
    yue, formal = marker_counts(text)
    if model() is None:
        return yue > 0 and yue >= formal
    return log_odds(text) + 1.5 * (yue - formal) > 0
