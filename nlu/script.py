"""Chinese script conversion with OpenCC: Hong Kong Traditional <-> Simplified.

Converters are built once per process (each loads its dictionaries from the opencc package).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import opencc

from nlu.cache import cache_dir


@lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    """The cached OpenCC converter for a config name (s2hk, hk2s, t2s, s2t, ...)."""
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Simplified (or any Traditional) -> Hong Kong Traditional (OpenCC s2hk)."""
    return converter("s2hk").convert(text) if text else text


def to_simplified(text: str) -> str:
    """Hong Kong Traditional -> Simplified (OpenCC hk2s)."""
    return converter("hk2s").convert(text) if text else text


# --- Per-character tables for the hot path. Loading OpenCC's phrase dictionaries costs
# ~0.2 s per converter and each call ~20 us; the matching view and language id look at every
# character of every message. So we keep per-character tables (built once from OpenCC into
# the cache folder, ~1 s) and call OpenCC on a whole string only for Simplified input, where
# its phrase tables matter (头发 -> 頭髮, 发现 -> 發現).

SHARED_HANZI_FILE = Path(__file__).resolve().parent / "data" / "shared_hanzi.txt"
#: Han blocks the tables cover: CJK unified ideographs and extension A.
_TABLE_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))


@lru_cache(maxsize=1)
def shared_hanzi() -> frozenset[str]:
    """Characters OpenCC would change but Hong Kong Traditional uses as they are (台, 里)."""
    text = SHARED_HANZI_FILE.read_text(encoding="utf-8")
    return frozenset(ch for line in text.splitlines() if not line.startswith("#") for ch in line.strip())


def _build_tables() -> dict[str, object]:
    s2hk, hk2s = converter("s2hk"), converter("hk2s")
    chars = "\n".join(chr(c) for start, end in _TABLE_RANGES for c in range(start, end + 1))
    to_hk = s2hk.convert(chars).split("\n")
    to_s = hk2s.convert(chars).split("\n")
    hk: dict[str, str] = {}
    traditional_only, simplified_only = [], []
    for ch, t, s in zip(chars.split("\n"), to_hk, to_s):
        if len(t) == 1 and t != ch and ch not in shared_hanzi():  # 晒 in 唔該晒 stays 晒
            hk[ch] = t
        if s != ch:
            traditional_only.append(ch)
        elif len(t) == 1 and t != ch and ch not in shared_hanzi():
            simplified_only.append(ch)
    return {"hk": hk, "traditional_only": "".join(traditional_only), "simplified_only": "".join(simplified_only)}


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    folder = cache_dir()
    digest = hashlib.sha1((opencc.__version__ + SHARED_HANZI_FILE.read_text(encoding="utf-8")).encode())
    path = folder / f"script_tables_{digest.hexdigest()[:12]}.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    else:
        data = _build_tables()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(tmp, path)
    return data["hk"], frozenset(data["traditional_only"]), frozenset(data["simplified_only"])


def char_to_hk(ch: str) -> str:
    """One character in its Hong Kong Traditional form."""
    return _tables()[0].get(ch, ch)


def is_traditional_only(ch: str) -> bool:
    """True for characters Simplified Chinese writes differently (灣, 們)."""
    return ch in _tables()[1]


def is_simplified_only(ch: str) -> bool:
    """True for characters only Simplified Chinese uses (湾, 们)."""
    return ch in _tables()[2]


def script_counts(text: str) -> tuple[int, int]:
    """(Traditional-only, Simplified-only) character counts of `text`."""
    _, traditional, simplified = _tables()
    return sum(1 for c in text if c in traditional), sum(1 for c in text if c in simplified)


def to_hk_view(text: str) -> str:
    """Same-length Hong Kong Traditional form of `text`, for the matching view."""
    hk, _, simplified = _tables()
    if not simplified.isdisjoint(text):
        converted = converter("s2hk").convert(text)
        if len(converted) == len(text):
            return converted
    return text.translate(_translation()) if not hk.keys().isdisjoint(text) else text


@lru_cache(maxsize=1)
def _translation() -> dict[int, str]:
    return {ord(k): v for k, v in _tables()[0].items()}
