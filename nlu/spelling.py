"""English typos and spelling variants, mended against the words the knowledge itself uses.

A citizen types "licnese", "renwal" or "installment"; the knowledge says "license", "renewal",
"instalment". `SpellingFixer(words)` knows the words (from the knowledge's questions, titles and
answers, and the lexicon's English surfaces) and maps an unknown word of five letters or more to
the known word within one edit (a letter added, dropped, changed, or two swapped; found by
symmetric single deletions), the one the knowledge uses most when two are that close. A real
English word ("right", "installment": spaCy's lemma table) is never mended, nor a word it cannot
decide on. Plain Python.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

#: Words this long or longer are mended by any one edit; shorter ones (but SHORT_LENGTH) are left alone:
#: "fee" -> "free" and "tax" -> "fax" are not typos to mend.
MIN_LENGTH = 5
#: Words of this length (below MIN_LENGTH) are mended only by a letter put back or two letters swapped back, the
#: first letter kept ("watr", "renw", "mcuh"): a changed letter too often makes another word ("wifi" -> "wife",
#: "renw" -> "rent"), and a first letter added or swapped a name or a rarer word ("andy" -> "sandy", "amid" ->
#: "maid"). None: they are left alone too.
SHORT_LENGTH: int | None = 4
#: Real words the lemma table does not list (it holds lemmas of inflected words): never "typos".
CLOSED_CLASS = frozenset("""
about above across after again against ahead along alone already although always among another anyone
anything anyway anywhere apart around aside because before behind below beneath beside besides between
beyond cannot could during either else elsewhere enough even every everyone everything everywhere except
further hence however inside instead itself maybe meanwhile might neither never nobody nothing nowhere
often other otherwise ought outside perhaps please quite rather really should since somehow someone
something sometimes somewhere still such their there therefore these thing those though through
throughout thus today together tomorrow toward towards under unless until upon usually whatever whenever
where whereas wherever whether which while whoever whole whose within without would yesterday
""".split())

_WORD = re.compile(r"[a-z]+")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class SpellingFixer:
    """Maps unknown English words to the known word one edit away, when there is exactly one."""

    def __init__(self, words: Iterable[str], dictionary: frozenset[str] = frozenset()) -> None:
        self.dictionary = dictionary
        self.counts = Counter(w for w in words if w.isalpha())
        self.known = frozenset(self.counts)
        index: dict[str, set[str]] = {}
        # The shortest word a mend can give: a dropped letter put back in a MIN_LENGTH typo, two letters swapped back in a SHORT_LENGTH one.
        shortest = min(MIN_LENGTH - 1, SHORT_LENGTH or MIN_LENGTH)
        for word in self.known:
            if len(word) >= shortest:
                index.setdefault(word, set()).add(word)
                for deleted in _deletions(word):
                    index.setdefault(deleted, set()).add(word)
        self._index = index
        self._cache: dict[str, str] = {}

    def word(self, word: str) -> str:
        """The known word this one is a typo of, or the word itself."""
        short = SHORT_LENGTH is not None and len(word) == SHORT_LENGTH < MIN_LENGTH
        if (len(word) < MIN_LENGTH and not short) or word in self.known or word in self.dictionary or word in CLOSED_CLASS:
            return word
        fixed = self._cache.get(word)
        if fixed is None:
            candidates = set(self._index.get(word, ()))
            for deleted in _deletions(word):
                candidates |= self._index.get(deleted, set())
            mends = _put_back_or_swapped if short else _one_edit
            ranked = sorted((c for c in candidates if mends(word, c)), key=lambda c: -self.counts[c])
            unique = len(ranked) == 1 or (len(ranked) > 1 and self.counts[ranked[0]] > self.counts[ranked[1]])
            fixed = ranked[0] if ranked and unique else word
            if len(self._cache) < 100_000:
                self._cache[word] = fixed
        return fixed

    def text(self, view: str) -> str:
        """A matching view with each unknown English word mended (Chinese and digits untouched)."""
        return _WORD.sub(lambda m: self.word(m.group()), view)


def _put_back_or_swapped(typed: str, known: str) -> bool:
    """Whether `known` is `typed` with a letter put back or two neighbours swapped back, its first letter kept."""
    return (known[:1] == typed[:1] and _one_edit(typed, known)
            and (len(known) == len(typed) + 1 or (len(known) == len(typed) and sorted(known) == sorted(typed))))


def _one_edit(a: str, b: str) -> bool:
    """Whether b is a insertion, deletion, substitution or swap of two neighbours away from a."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
