"""The language-id evaluation set: real sentences from installed packages plus our own.

Sources (nothing downloaded; all ship in registry packages):
- `yue`: pycantonese 5.0 corpora: Common Voice Cantonese sentences (MPL 2.0), HKCanCor
  and CantoMap utterance transcripts (spoken Hong Kong Cantonese, CC BY / GPL-3.0), and
  CTCPC Cantonese sentences (CC0; tuning only: it mixes in dictionary-like fragments).
- `zh-Hant` / `zh-Hans` / `en`: hsk-sentences-audio 1.0.0 (CC BY-SA 4.0): 4,354 graded
  standard written Chinese sentences, each in Traditional and Simplified with an English
  translation.
- nlu/data/langid_eval/written.tsv: citizen-service and code-mixed sentences we wrote.

Every sentence goes to the `tune` or the `heldout` split by a hash of its text (30% held
out), so the split is stable across machines and runs. Only `tune` may be used to train or
tune anything; `heldout` is for measuring.
"""
from __future__ import annotations

import glob
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

WRITTEN = Path(__file__).resolve().parent / "data" / "langid_eval" / "written.tsv"
HELDOUT_PERCENT = 30
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
_TIMESTAMP = re.compile(r"\x15[^\x15]*\x15")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # en / yue / zh-Hant / zh-Hans
    source: str


def split(text: str) -> str:
    """`heldout` for a stable 30% of texts, `tune` for the rest."""
    bucket = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "heldout" if bucket < HELDOUT_PERCENT else "tune"


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def _pycantonese_data() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pycantonese")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data"


def _join_transcript(line: str) -> str:
    """A CHAT main-tier line (space-separated words) back to written form."""
    line = _TIMESTAMP.sub("", line).replace("#", " ")
    words = [w for w in line.split() if w not in {".", ",", "?", "!", "-", "+"}]
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out += " "
        out += word
    return out


def _chat_utterances(pattern: str) -> Iterator[str]:
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("*") and "\t" in line:
                    yield _join_transcript(line.split("\t", 1)[1])


def cantonese_sentences() -> Iterator[Example]:
    data = _pycantonese_data()
    for text in json.loads((data / "common_voice" / "sents.json").read_text(encoding="utf-8")):
        yield Example(text.strip(), "yue", "common_voice")
    for text in _chat_utterances(str(data / "hkcancor" / "*.cha")):
        yield Example(text, "yue", "hkcancor")
    for text in _chat_utterances(str(data / "cantomap" / "extracted" / "*.cha")):
        yield Example(text, "yue", "cantomap")
    for text in json.loads((data / "ctcpc" / "sents.json").read_text(encoding="utf-8")):
        yield Example(" ".join(text.split()), "yue", "ctcpc")


def hsk_sentences() -> Iterator[Example]:
    from hsk_sentences_audio import load_sentences

    for record in load_sentences():
        yield Example(record["traditional"], "zh-Hant", "hsk")
        yield Example(record["chinese"], "zh-Hans", "hsk")
        yield Example(record["translation"]["en"], "en", "hsk")


def written_sentences() -> Iterator[Example]:
    for line in WRITTEN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, _, text = line.partition("\t")
            yield Example(text.strip(), label.strip(), "written")


def usable(example: Example) -> bool:
    """Long enough to be decidable: 4+ Han characters for Chinese, 2+ words for English."""
    if example.label == "en":
        return len(example.text.split()) >= 2 or example.source == "written"
    return han_count(example.text) >= 4 or example.source == "written"


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """Every usable example, deduplicated by text (first label wins)."""
    seen: set[str] = set()
    out = []
    for source in (written_sentences(), hsk_sentences(), cantonese_sentences()):
        for example in source:
            if example.text in seen or not usable(example):
                continue
            seen.add(example.text)
            out.append(example)
    return tuple(out)


def tuning_set() -> list[Example]:
    return [e for e in examples() if split(e.text) == "tune"]


def heldout_set() -> list[Example]:
    """Held-out sentences for measuring (CTCPC left out: it is tuning material only)."""
    return [e for e in examples() if split(e.text) == "heldout" and e.source != "ctcpc"]
