"""Cantonese or formal written Chinese? A character n-gram logistic model plus marker words.

Input is Hong Kong Traditional text; only its Han characters are looked at.
The model (nlu/data/yue_model.json) is trained by `python -m nlu.train_langid` from the
tuning split of nlu.langid_data only.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent / "data" / "yue_model.json"
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NON_HAN = re.compile(f"[^{HAN}]+")

#: Characters and words that written Cantonese uses and formal written Chinese does not.
CANTONESE_MARKERS = (
    "嘅", "咗", "喺", "唔", "冇", "佢", "哋", "啲", "嘢", "嚟", "嗰", "噉", "乜", "咩", "睇",
    "搵", "攞", "嘞", "喎", "啩", "囉", "㗎", "俾", "畀", "咁", "喇", "吖", "噃", "啫", "咋",
    "諗", "瞓", "攰", "嚿", "揸", "冚", "嘥", "係", "點樣", "點解", "邊度", "邊個",
    "幾多", "幾耐", "而家", "依家", "宜家", "琴日", "聽日", "啱",
)
#: Characters and words of formal written Chinese that Cantonese writes differently.
FORMAL_MARKERS = (
    "的", "了", "是", "在", "他", "她", "們", "這", "那", "嗎", "沒有", "什麼", "甚麼", "怎麼",
    "哪", "如何", "為何", "與", "及", "之", "其", "於", "將", "須", "應", "該", "此",
    "可否", "是否", "透過", "閣下", "多少", "怎樣", "獲", "倘",
)
#: Words that contain a marker without being one (關係 is formal, 唔該 is one Cantonese marker).
_MARKER_EXCEPTIONS = (("關係", "關"), ("聯係", "聯"), ("係數", "數"), ("唔該", "唔"))
#: How much one marker word weighs against the model's log-odds (chosen on the tuning split).
MARKER_WEIGHT = 2.0
_CANTONESE_RE = re.compile("|".join(sorted(CANTONESE_MARKERS, key=len, reverse=True)))
_FORMAL_RE = re.compile("|".join(sorted(FORMAL_MARKERS, key=len, reverse=True)))
_override: dict | None = None  # set by nlu.train_langid while it evaluates a candidate


def han_segments(text: str) -> str:
    """The Han runs of `text`, separated by single spaces."""
    return _NON_HAN.sub(" ", text).strip()


def marker_counts(text: str) -> tuple[int, int]:
    """(Cantonese markers, formal markers) found in `text`."""
    for word, replacement in _MARKER_EXCEPTIONS:
        if word in text:
            text = text.replace(word, replacement)
    return len(_CANTONESE_RE.findall(text)), len(_FORMAL_RE.findall(text))


@lru_cache(maxsize=1)
def model() -> dict | None:
    """The trained tables, or None before `python -m nlu.train_langid` has run."""
    if _override is not None:
        return _override
    if not MODEL_FILE.exists():
        return None
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def features(segments: str) -> list[str]:
    """Character unigrams and bigrams of each Han run, bigrams with run edges (^, $)."""
    out: list[str] = []
    for run in segments.split():
        padded = f"^{run}$"
        out.extend(run)
        out.extend(padded[i : i + 2] for i in range(len(padded) - 1))
    return out


def log_odds(text: str) -> float:
    """Model score: > 0 leans Cantonese (0 without a model)."""
    tables = _override or model()
    if tables is None:
        return 0.0
    weights = tables["weights"]
    return tables["prior"] + sum(weights.get(f, 0.0) for f in features(han_segments(text)))


def is_cantonese(text: str) -> bool:
    """True if `text` (HK Traditional) reads as written Cantonese."""
    yue, formal = marker_counts(text)
    if (_override or model()) is None:
        return yue > 0 and yue >= formal
    return log_odds(text) + MARKER_WEIGHT * (yue - formal) > 0
