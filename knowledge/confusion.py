"""Confusion warnings: what an operator should fix before citizens meet it.

Checked on the index the knowledge would be served with (the same ranking and threshold):
- a question variant that finds another topic first, or falls under the threshold, when
  asked of its own knowledge base (citizens asking that way get the wrong answer or none);
- two topics whose variants keep landing on each other (they need their key words told apart);
- a required language with fewer than two variants (a citizen writing it has little to match).

Warnings never refuse a change: they say what to do. `hkbot knowledge validate` prints them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from knowledge.schema import REQUIRED_QUESTION_LANGUAGES

#: Fewest variants a required language should have in one entry.
MIN_PER_LANGUAGE = 2
#: Two topics overlap when at least this many variants of one land on the other.
OVERLAP_VARIANTS = 2


@dataclass(frozen=True)
class Warning:
    """One thing an operator should look at, on which entry, and what to do about it."""

    entry_id: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.message} Fix: {self.fix}"


def confusion_warnings(index, knowledge_bases=None) -> list[Warning]:
    """Warnings for every entry of the index (of the given knowledge bases only, when given)."""
    wanted = set(knowledge_bases) if knowledge_bases is not None else None
    warnings: list[Warning] = []
    landed: Counter[tuple[str, str]] = Counter()
    for entry in index.entries.values():
        if wanted is not None and entry.kb not in wanted:
            continue
        counts = Counter(lang for lang, _text in entry.variants())
        for lang in REQUIRED_QUESTION_LANGUAGES:
            if counts[lang] < MIN_PER_LANGUAGE:
                warnings.append(Warning(entry.id, f"Only {counts[lang]} question variant(s) in '{lang}'.",
                                        f"Add at least {MIN_PER_LANGUAGE} ways a citizen would ask this in '{lang}'."))
        for _lang, text in entry.variants():
            result = index.decide(text, [entry.kb], dense_judge=False)
            if result.top == entry.id:
                continue
            if result.top is None:
                best = result.matches[0].score if result.matches else 0.0
                warnings.append(Warning(entry.id, f"Question '{text}' scores {best:.2f} for its own topic, under the "
                                                  f"threshold {result.threshold:.2f}: asked this way, it is not answered.",
                                        "Reword it with the topic's key words, or add a vocabulary term for the word citizens use."))
            else:
                landed[(entry.id, result.top)] += 1
                warnings.append(Warning(entry.id, f"Question '{text}' finds '{result.top}' before its own topic.",
                                        f"Say what sets this topic apart from '{result.top}' in the question, "
                                        "or move the question to that topic if it belongs there."))
    for (one, other), count in sorted(landed.items()):
        if count >= OVERLAP_VARIANTS:
            warnings.append(Warning(one, f"{count} of its questions land on '{other}': the two topics overlap.",
                                    f"Give each its own key words (fee vs. where to pay, lost vs. renew), or merge them with '{other}'."))
    return warnings
