"""The Hong Kong jieba dictionary: jieba's own words in Hong Kong Traditional, the Cantonese
words of rime-cantonese (shipped in pycantonese, CC BY 4.0) and our domain terms.

Built once into the cache folder (var/cache/nlu, or $HKBOT_NLU_CACHE) and named by a hash
of its inputs, so a changed domain word list rebuilds it; jieba then keeps its own fast
marshal cache beside it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from nlu.cache import cache_dir
from nlu.script import converter

DATA_DIR = Path(__file__).resolve().parent / "data"
DOMAIN_WORDS = DATA_DIR / "domain_words.txt"
#: Bump when the way the dictionary is built changes.
BUILD_VERSION = "2"
# Frequencies chosen against jieba's total (~6e7): high enough that a listed word beats
# the same characters as single tokens, low enough not to override common Chinese words.
CANTONESE_WORD_FREQ = 500
CANTONESE_CHAR_FREQ = 1000
DOMAIN_WORD_FREQ = 20000
# jieba's rarest words (mostly Mainland names and jargon) cost start-up time (jieba loads
# every word and prefix) and buy nothing for citizen questions: keep words seen this often.
MIN_JIEBA_WORD_FREQ = 20

logger = logging.getLogger(__name__)


def _jieba_dict() -> Path:
    import jieba

    return Path(jieba.__file__).resolve().parent / "dict.txt"


def _rime_words_file() -> Path:
    # Read the data file directly: `import pycantonese` costs ~0.4 s we don't need.
    import importlib.util

    spec = importlib.util.find_spec("pycantonese")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data" / "rime_cantonese" / "chars_to_jyutping.json"


def domain_words() -> list[tuple[str, int]]:
    """(word, frequency) pairs from nlu/data/domain_words.txt."""
    words = []
    for line in DOMAIN_WORDS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else DOMAIN_WORD_FREQ
        words.append((parts[0], freq))
    return words


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha1(BUILD_VERSION.encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(DOMAIN_WORDS.read_bytes())
    return digest.hexdigest()[:16]


def _to_hk(words: list[str]) -> list[str]:
    """Bulk s2hk conversion; falls back word by word if a line count ever differs."""
    converted = converter("s2hk").convert("\n".join(words)).split("\n")
    if len(converted) != len(words):
        convert = converter("s2hk").convert
        converted = [convert(w) for w in words]
    return converted


def build_dictionary(target: Path) -> None:
    """Write the merged jieba dictionary (`word freq [tag]` lines) to `target`."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    words, counts, word_tags = [], [], []
    with open(_jieba_dict(), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and (int(parts[1]) >= MIN_JIEBA_WORD_FREQ or len(parts[0]) == 1):
                words.append(parts[0])
                counts.append(int(parts[1]))
                word_tags.append(parts[2] if len(parts) > 2 else "")
    for word, count, tag in zip(_to_hk(words), counts, word_tags):
        freq[word] = max(freq.get(word, 0), count)
        if tag:
            tags.setdefault(word, tag)
    rime = json.loads(_rime_words_file().read_text(encoding="utf-8"))
    for word in _to_hk([w for w in rime if " " not in w]):
        default = CANTONESE_CHAR_FREQ if len(word) == 1 else CANTONESE_WORD_FREQ
        freq.setdefault(word, default)
    domain = domain_words()
    for word, count in zip(_to_hk([w for w, _ in domain]), [c for _, c in domain]):
        freq[word.lower()] = max(freq.get(word.lower(), 0), count)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for word, count in freq.items():
            if word and not any(c.isspace() for c in word):
                out.write(f"{word} {count} {tags.get(word, 'x')}\n")
    os.replace(tmp, target)  # atomic: concurrent builders never see half a file


@lru_cache(maxsize=1)
def hk_tokenizer():
    """The process-wide jieba Tokenizer over the Hong Kong dictionary (built on first use)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder = cache_dir()
    target = folder / f"hk_jieba_{_fingerprint(_jieba_dict(), _rime_words_file())}.txt"
    if not target.exists():
        logger.info("Building the Hong Kong jieba dictionary at %s", target)
        build_dictionary(target)
    tokenizer = jieba.Tokenizer(str(target))
    tokenizer.tmp_dir = str(folder)
    tokenizer.cache_file = target.with_suffix(".cache").name
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=1)
def _frequencies() -> tuple[dict[str, int], float]:
    tokenizer = hk_tokenizer()
    return tokenizer.FREQ, math.log(tokenizer.total)


@lru_cache(maxsize=32768)
def segment(run: str) -> tuple[str, ...]:
    """Words of a run of Han characters: jieba's maximum-probability route over its DAG,
    the same result as `Tokenizer.cut(run, HMM=False)` (a test checks), ~3x faster
    because it walks the dictionary once per position with no generators or tuples."""
    freq, log_total = _frequencies()
    log = math.log
    n = len(run)
    best = [0.0] * (n + 1)
    ends = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        # A character alone is always possible (unknown ones count as frequency 1).
        top = log(freq.get(run[i]) or 1) - log_total + best[i + 1]
        end = i + 1
        j = i + 1
        fragment = run[i]
        while j < n:
            j += 1
            fragment = run[i:j]
            count = freq.get(fragment)
            if count is None:  # not even a prefix of a word: stop walking
                break
            if count:
                score = log(count) - log_total + best[j]
                if score >= top:  # ties go to the longer word, as in jieba
                    top, end = score, j
        best[i], ends[i] = top, end
    words = []
    i = 0
    while i < n:
        words.append(run[i : ends[i]])
        i = ends[i]
    return tuple(words)
