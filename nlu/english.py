"""English runs: spaCy's rule-based English tokenizer and its lookup lemmatizer.

`spacy.blank("en")` plus the `lemma_lookup` table of spacy-lookups-data: no model, nothing
downloaded. spaCy is loaded lazily, the first time a message contains Latin letters, so
`hkbot detect-language` and Chinese-only traffic never pay for it.

Start-up: spaCy imports thinc, and thinc imports TensorFlow when it is installed (Rasa
installs it) only to offer TF model shims we never use; that costs ~5 s. If TensorFlow is
not loaded yet, we hide it during spaCy's import (thinc then records `has_tensorflow =
False`) and un-hide it straight after, so a later `import tensorflow` (Rasa) works as usual.
Inside a Rasa process TensorFlow is already loaded and nothing is hidden.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, NamedTuple

_HEAVY_OPTIONAL = ("tensorflow", "torch")
#: Words the lookup table reads as another word's inflection (feed -> fee, number -> numb, rent -> rend): a
#: citizen means the noun or the verb itself, and its plural already keeps it ("numbers" -> "number"). "goods" (-> "good")
#: is trade: kept, so "a good name", "good morning" are not about trade.
#: "evening" (-> "even") is not here: fixing it lost a dev question that matched by that luck (2026-12-06).
KEPT_AS_WRITTEN = frozenset({"feed", "number", "rent", "matter", "ceiling", "stove", "broker", "ground", "cleaner", "goods"})


class EnglishToken(NamedTuple):
    text: str
    start: int  # offset in the run given to `tokenize`
    lemma: str
    is_punct: bool


@contextmanager
def _without_heavy_backends() -> Iterator[None]:
    hidden = [name for name in _HEAVY_OPTIONAL if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name) is None:
                del sys.modules[name]


@lru_cache(maxsize=1)
def _pipeline():
    with _without_heavy_backends():
        import spacy
    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data, locally
    table = lemmatizer.lookups.get_table("lemma_lookup")
    return nlp.tokenizer, table


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """English lemmas the lookup table knows (about 26,000 words): real words are never "typos"."""
    _, table = _pipeline()
    return frozenset(table.values())


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The lookup lemma of one lower-cased English word (the word itself when unknown)."""
    if word in KEPT_AS_WRITTEN:
        return word
    _, table = _pipeline()
    return table.get(word, word)


@lru_cache(maxsize=16384)
def tokenize(run: str) -> tuple[EnglishToken, ...]:
    """Tokens of a run of non-Chinese text (already folded to lower case)."""
    tokenizer, _ = _pipeline()
    return tuple(
        EnglishToken(t.text, t.idx, lemma(t.text) if t.is_alpha else t.text, t.is_punct or (not t.text.isalnum() and not any(c.isalnum() for c in t.text)))
        for t in tokenizer(run)
        if not t.is_space
    )
