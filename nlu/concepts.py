"""Cross-lingual concepts and the retrieval features of a text.

The lexicon (nlu/data/concepts.txt) gives words that mean the same in English, formal
Chinese and Cantonese one concept id (狗牌 = 犬隻牌照 = dog licence -> `c:dog_licence`).
`features` turns a message's matching view into the bag that FAQ retrieval compares:
concepts, the English lemmas and Chinese character bigrams that no concept covered.
Plain Python, no Rasa import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlu.normalise import normalise

CONCEPTS_FILE = Path(__file__).resolve().parent / "data" / "concepts.txt"
STOP = "STOP"

#: Feature kinds and how much one of them weighs against a concept.
KIND_WEIGHTS = {"c": 1.0, "w": 1.0, "b": 0.5, "u": 0.5}

#: Chinese characters that carry no topic on their own (particles, pronouns, copulas);
#: leftover Chinese text is split at them before bigrams are taken.
STOP_CHARS = frozenset(
    "的了呀啊嗎呢吧㗎嘅喇啦囉咩我你您他她佢們个個隻只張是係在喺和同及與或要想請問會能可以"
    "就都也還仲這那哪些啲得唔不冇沒有一去到過咗着著被給畀俾將把為對嚟噉咁乜點怎樣甚什麼么"
    "吖嘛哦喎嘢先住再啱呃喂哈噢嗯囖咧誒欸佢哋地嗰呢度邊幾多少"
)

_LATIN_WORD = re.compile(r"[a-z0-9@]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_NOT_WORD = re.compile(r"[^\w@\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


def _lemma(word: str) -> str:
    from nlu.english import lemma  # spaCy loads only when Latin text is seen

    return lemma(word)


@lru_cache(maxsize=65536)
def matching_view(normalised: str) -> str:
    """A normalised text with punctuation turned to spaces and English words lemmatised."""
    text = _NOT_WORD.sub(" ", normalised.replace("_", " ")).strip()
    return _LATIN_WORD.sub(lambda m: _lemma(m.group()) if m.group().isalpha() else m.group(), text)


def view_of(text: str) -> str:
    """The matching view of raw text (lexicon surfaces, knowledge variants)."""
    return matching_view(normalise(text))


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class ConceptLexicon:
    """Surfaces (in matching view) to concept ids, matched longest first."""

    surfaces: dict[str, frozenset[str]]
    implied: dict[str, frozenset[str]]
    pattern: re.Pattern

    def find(self, view: str) -> list[tuple[int, int, frozenset[str]]]:
        """Non-overlapping (start, end, concept ids) spans, leftmost-longest; STOP spans have an empty set."""
        return [(m.start(), m.end(), self.surfaces[m.group()]) for m in self.pattern.finditer(view)]

    def expand(self, concept: str) -> set[str]:
        """A concept with everything it implies (dog_licence -> dog, licence)."""
        result, todo = set(), [concept]
        while todo:
            current = todo.pop()
            if current not in result:
                result.add(current)
                todo.extend(self.implied.get(current, ()))
        return result


def parse_lexicon(text: str) -> ConceptLexicon:
    """Read the lexicon format of nlu/data/concepts.txt."""
    surfaces: dict[str, set[str]] = {}
    implied: dict[str, set[str]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, body = line.partition(" : ")
        if not sep:
            raise ValueError(f"concepts line {number}: expected 'concept : surface | ...'")
        name, _, implies = head.partition(">")
        concept = name.strip()
        if implies.strip():
            implied.setdefault(concept, set()).update(implies.split())
        for surface in body.split("|"):
            view = view_of(surface.strip())
            if view:
                surfaces.setdefault(view, set()).add(concept)
    # A surface that is both a stop phrase and a concept is a concept.
    final = {s: frozenset(c - {STOP}) if c - {STOP} else frozenset() for s, c in surfaces.items()}
    alternatives = []
    for surface in sorted(final, key=len, reverse=True):
        escaped = re.escape(surface)
        before = r"(?<![a-z0-9@])" if _is_latin(surface[0]) else ""
        after = r"(?![a-z0-9@])" if _is_latin(surface[-1]) else ""
        alternatives.append(before + escaped + after)
    pattern = re.compile("|".join(alternatives) if alternatives else r"(?!x)x")
    return ConceptLexicon(final, {k: frozenset(v) for k, v in implied.items()}, pattern)


@lru_cache(maxsize=1)
def lexicon() -> ConceptLexicon:
    """The shipped concept lexicon (loaded once per process)."""
    return parse_lexicon(CONCEPTS_FILE.read_text(encoding="utf-8"))


def concepts_of(text: str) -> set[str]:
    """The concept ids mentioned in raw text, implied ones included (for tests and tools)."""
    return {f[2:] for f in features_of_view(view_of(text)) if f.startswith("c:")}


@lru_cache(maxsize=65536)
def features_of_view(view: str) -> frozenset[str]:
    """The retrieval features of a matching view: `c:` concepts, `w:` words, `b:`/`u:` Chinese bigrams/chars."""
    lex = lexicon()
    found: set[str] = set()
    position = 0
    for start, end, concepts in lex.find(view):
        _residual(view[position:start], found)
        for concept in concepts:
            found.update("c:" + c for c in lex.expand(concept))
        position = end
    _residual(view[position:], found)
    return frozenset(found)


def _residual(text: str, found: set[str]) -> None:
    """Features of text no concept covered: English lemmas, and Chinese bigrams split at stop chars."""
    if not text.strip():
        return
    for word in _LATIN_WORD.findall(text):
        found.add("w:" + word)
    for run in _CJK_RUN.findall(text):
        segment = []
        for ch in run + "的":  # the sentinel stop char flushes the last segment
            if ch in STOP_CHARS:
                if len(segment) == 1:
                    found.add("u:" + segment[0])
                else:
                    found.update("b:" + a + b for a, b in zip(segment, segment[1:]))
                segment = []
            else:
                segment.append(ch)


def features(normalised: str) -> frozenset[str]:
    """Retrieval features of an already normalised text (`Analysis.normalised`)."""
    return features_of_view(matching_view(normalised))


def feature_weight(feature: str) -> float:
    """How much one occurrence of a feature kind counts (before IDF)."""
    return KIND_WEIGHTS.get(feature[:1], 1.0)
