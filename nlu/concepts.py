"""Cross-lingual concepts and the retrieval features of a text.

A lexicon gives words that mean the same in English, formal Chinese and Cantonese one
concept id (幾多錢 = 多少錢 = how much -> `c:cost`). The general one is nlu/data/concepts.txt;
`extended_lexicon` adds the knowledge bases' vocabularies (狗牌 = 犬隻牌照 = dog licence ->
`c:dog_licence`), one lexicon per knowledge version, each with its own feature cache.
`features` turns a message's matching view into the bag that FAQ retrieval compares:
concepts, the English lemmas and Chinese character bigrams that no concept covered.
Plain Python, no Rasa import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from nlu.english import lemma
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
    "吖嘛哦喎嘢先住再啱呃喂哈噢嗯囖咧誒欸佢哋地嗰呢度邊幾多少做後用才但定"
    "於又粒陣架否由如何該之另第讓從透來"
)

#: Hong Kong variant characters (what OpenCC s2hk writes for Simplified input: 賬户, 這裏, 籤名)
#: folded to the forms the knowledge and the lexicon use, so 账户 meets 帳戶 and 签名 meets 簽名.
VARIANT_FOLD = str.maketrans("裏户衞啓説着綫麪鈎爲僞峯羣眞籤册滙牀", "裡戶衛啟說著線麵鉤為偽峰群真簽冊匯床")

_LATIN_WORD = re.compile(r"[a-z0-9@]+")
_NEGATION = re.compile(r"\b(?:(ca)n|(wo)n|([a-z]+))n['’]t\b")  # don't -> do not: the lemma of "dont" is "do"
#: I'd, I'll, we're, you've, I'm -> I would, I will, ...: left to the apostrophe rule, "I'd" read as "id" (an ID card)
#: and "I'll" as "ill" (a sick dog). Not before card / number / no: a phone's autocorrect writes "I'd card" for "ID card".
_PRONOUN_CONTRACTION = re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)['’](d|ll|re|ve|m)\b(?! (?:card|number|no)\b)")
_CONTRACTED = {"d": "would", "ll": "will", "re": "are", "ve": "have", "m": "am"}
_APOSTROPHES = re.compile(r"(?<=[a-z])['’](?=[a-z])")  # dog's -> dogs
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_NOT_WORD = re.compile(r"[^\w@\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


SHORTHAND_FILE = Path(__file__).resolve().parent / "data" / "english_shorthand.tsv"


@lru_cache(maxsize=1)
def english_shorthand() -> dict[str, str]:
    """General English shorthand (yrs, ppl, appt) -> the full words, from nlu/data/english_shorthand.tsv."""
    table: dict[str, str] = {}
    for line in SHORTHAND_FILE.read_text(encoding="utf-8").splitlines():
        short, _, full = line.partition("\t")
        if short.strip() and not short.startswith("#") and full.strip():
            table[short.strip().lower()] = full.strip().lower()
    return table


def _lemma(word: str) -> str:
    full = english_shorthand().get(word)
    if full is not None:
        return " ".join(lemma(part) for part in full.split())
    return lemma(word)  # spaCy loads only when Latin text is seen


def _not(match: re.Match) -> str:
    """can't -> can not, won't -> will not, doesn't -> does not."""
    can, wo, other = match.groups()
    return "can not" if can else "will not" if wo else other + " not"


@lru_cache(maxsize=65536)
def matching_view(normalised: str) -> str:
    """A normalised text with punctuation turned to spaces and English words lemmatised."""
    text = _NEGATION.sub(_not, normalised.translate(VARIANT_FOLD))
    text = _PRONOUN_CONTRACTION.sub(lambda m: f"{m.group(1)} {_CONTRACTED[m.group(2)]}", text)
    text = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text).replace("_", " ")).strip()
    return _LATIN_WORD.sub(lambda m: _lemma(m.group()) if m.group().isalpha() else m.group(), text)


def view_of(text: str) -> str:
    """The matching view of raw text (lexicon surfaces, knowledge variants)."""
    return matching_view(normalise(text))


def views_of(texts: list[str]) -> list[str]:
    """Matching views of many texts (index builds)."""
    return [matching_view(normalise(t)) for t in texts]


#: Matching views whose features one lexicon keeps (a dict: cleared whole when full).
FEATURE_CACHE_SIZE = 65536

_END = ""  # trie key marking the end of a surface
_LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _trie_patterns(trie: dict) -> tuple[dict[str, re.Pattern], re.Pattern]:
    """Per first character, a regex equivalent to longest trie matching (word boundaries on English ends)."""

    def node_pattern(node: dict, last: str) -> str:
        children = [re.escape(ch) + node_pattern(child, ch) for ch, child in sorted(node.items()) if ch != _END]
        end = r"(?![a-z0-9@])" if last in _LATIN_CHARS else ""
        if not children:
            return end
        group = "(?:" + "|".join(children) + ")" if len(children) > 1 else children[0]
        return f"(?:{group}|{end})" if _END in node else group

    by_first = {ch: re.compile(re.escape(ch) + node_pattern(child, ch)) for ch, child in trie.items() if ch != _END}
    starts = re.compile("[" + "".join(re.escape(ch) for ch in sorted(by_first)) + "]" if by_first else r"(?!x)x")
    return by_first, starts


@dataclass(frozen=True)
class ConceptLexicon:
    """Surfaces (in matching view) to concept ids, matched leftmost-longest with a character trie."""

    surfaces: dict[str, frozenset[str]]
    implied: dict[str, frozenset[str]]
    by_first: dict[str, re.Pattern]  # first character -> the trie below it as a regex (longest first)
    starts: re.Pattern  # any character a surface starts with
    expanded: dict[frozenset[str], frozenset[str]]  # a surface's concepts -> their `c:` features

    def find(self, view: str) -> list[tuple[int, int, frozenset[str]]]:
        """Non-overlapping (start, end, concept ids) spans, leftmost-longest; STOP spans have an empty set."""
        spans: list[tuple[int, int, frozenset[str]]] = []
        surfaces, by_first, starts = self.surfaces, self.by_first, self.starts
        i = 0
        while True:
            found = starts.search(view, i)
            if found is None:
                return spans
            i = found.start()
            ch = view[i]
            if ch in _LATIN_CHARS and i and view[i - 1] in _LATIN_CHARS:
                i += 1  # an English surface starts at a word boundary only
                continue
            match = by_first[ch].match(view, i)
            if match is None:
                i += 1
                continue
            spans.append((i, match.end(), surfaces[match.group()]))
            i = match.end()

    def features(self, view: str) -> frozenset[str]:
        """This lexicon's features of a matching view (cached per lexicon: a knowledge change brings a new one)."""
        cache = self._cache()
        found = cache.get(view)
        if found is None:
            found = _features_of_view(self, view)
            if len(cache) >= FEATURE_CACHE_SIZE:
                cache.clear()
            cache[view] = found
        return found

    def _cache(self) -> dict[str, frozenset[str]]:
        cache = self.__dict__.get("_feature_cache")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_feature_cache", cache)
        return cache

    def cache_clear(self) -> None:
        self._cache().clear()

    def expand(self, concept: str) -> set[str]:
        """A concept with everything it implies (dog_licence -> dog, licence)."""
        result, todo = set(), [concept]
        while todo:
            current = todo.pop()
            if current not in result:
                result.add(current)
                todo.extend(self.implied.get(current, ()))
        return result


#: One lexicon row: a concept id, the concepts it implies, its surfaces as written.
Row = tuple[str, tuple[str, ...], tuple[str, ...]]


def lexicon_rows(text: str) -> list[Row]:
    """The rows of the concepts.txt format (`concept [> implied ...] : surface | surface`)."""
    rows: list[Row] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, body = line.partition(" : ")
        if not sep:
            raise ValueError(f"concepts line {number}: expected 'concept : surface | ...'")
        name, _, implies = head.partition(">")
        rows.append((name.strip(), tuple(implies.split()), tuple(s.strip() for s in body.split("|"))))
    return rows


def build_lexicon(rows: Iterable[Row]) -> ConceptLexicon:
    """A lexicon from rows; a concept named in several rows (or by several knowledge bases) gains every surface."""
    surfaces: dict[str, set[str]] = {}
    implied: dict[str, set[str]] = {}
    for concept, implies, texts in rows:
        if implies:
            implied.setdefault(concept, set()).update(implies)
        for surface in texts:
            view = view_of(surface)
            if view:
                surfaces.setdefault(view, set()).add(concept)
    # A surface that is both a stop phrase and a concept is a concept.
    final = {s: frozenset(c - {STOP}) for s, c in surfaces.items()}
    trie: dict = {}
    for surface in final:
        node = trie
        for ch in surface:
            node = node.setdefault(ch, {})
        node[_END] = True
    lex = ConceptLexicon(final, {k: frozenset(v) for k, v in implied.items()}, *_trie_patterns(trie), {})
    for concepts in set(final.values()):
        lex.expanded[concepts] = frozenset("c:" + c for concept in concepts for c in lex.expand(concept))
    return lex


def parse_lexicon(text: str) -> ConceptLexicon:
    """Read the lexicon format of nlu/data/concepts.txt."""
    return build_lexicon(lexicon_rows(text))


@lru_cache(maxsize=1)
def general_rows() -> tuple[Row, ...]:
    """The rows of the shipped general-language lexicon (nlu/data/concepts.txt)."""
    return tuple(lexicon_rows(CONCEPTS_FILE.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def lexicon() -> ConceptLexicon:
    """The shipped general-language lexicon alone (loaded once per process)."""
    return build_lexicon(general_rows())


def extended_lexicon(rows: Iterable[Row]) -> ConceptLexicon:
    """The general lexicon plus a knowledge snapshot's vocabulary rows (built once per knowledge version)."""
    rows = tuple(rows)
    return build_lexicon((*general_rows(), *rows)) if rows else lexicon()


def concepts_of(text: str, lex: ConceptLexicon | None = None) -> set[str]:
    """The concept ids mentioned in raw text, implied ones included (for tests and tools)."""
    return {f[2:] for f in features_of_view(view_of(text), lex) if f.startswith("c:")}


def features_of_view(view: str, lex: ConceptLexicon | None = None) -> frozenset[str]:
    """The retrieval features of a matching view: `c:` concepts, `w:` words, `b:`/`u:` Chinese bigrams/chars."""
    return (lex or lexicon()).features(view)


def _features_of_view(lex: ConceptLexicon, view: str) -> frozenset[str]:
    found: set[str] = set()
    position = 0
    for start, end, concepts in lex.find(view):
        _residual(view[position:start], found)
        found.update(lex.expanded[concepts])
        position = end
    _residual(view[position:], found)
    return frozenset(found)


def _residual(text: str, found: set[str]) -> None:
    """Features of text no concept covered: English lemmas, and Chinese bigrams split at stop chars."""
    if not text.strip():
        return
    for word in _LATIN_WORD.findall(text):
        if len(word) > 1 and not word.isdigit():  # numbers (4 months, 80蚊) never match across phrasings
            found.add("w:" + word)
    for run in _CJK_RUN.findall(text):
        segment: list[str] = []
        for ch in run + "的":  # the sentinel stop char flushes the last segment
            if ch in STOP_CHARS:
                if len(segment) == 1:
                    found.add("u:" + segment[0])
                else:
                    found.update("b:" + a + b for a, b in zip(segment, segment[1:]))
                segment = []
            else:
                segment.append(ch)


def features(normalised: str, lex: ConceptLexicon | None = None) -> frozenset[str]:
    """Retrieval features of an already normalised text (`Analysis.normalised`)."""
    return features_of_view(matching_view(normalised), lex)


def feature_weight(feature: str) -> float:
    """How much one occurrence of a feature kind counts (before IDF)."""
    return KIND_WEIGHTS.get(feature[:1], 1.0)
