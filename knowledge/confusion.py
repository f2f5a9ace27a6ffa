"""Confusion warnings: what an operator should fix before citizens meet it.

Checked on the index the knowledge would be served with (the same ranking and threshold):
- a question variant that finds another topic first, or falls under the threshold, when
  asked of its own knowledge base (citizens asking that way get the wrong answer or none);
- two topics whose variants keep landing on each other (they need their key words told apart);
- a question variant that, asked without itself, reads like another topic of the knowledge bases a bot answers
  together with its own far more than like the rest of its own topic (a question added to the wrong topic: its own
  copy would otherwise make it find itself, and it takes citizens' questions away from the right topic);
- a required language with fewer than two variants (a citizen writing it has little to match);
- answers whose languages give different phone numbers (one language changed, the other forgotten: citizens would
  be told a different number depending on their language).

Warnings never refuse a change: they say what to do. `hkbot knowledge validate` prints them.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import numpy as np

from knowledge.schema import REQUIRED_QUESTION_LANGUAGES
from privacy.redact import find_personal_data

#: Fewest variants a required language should have in one entry.
MIN_PER_LANGUAGE = 2
#: Two topics overlap when at least this many variants of one land on the other.
OVERLAP_VARIANTS = 2
#: A question reads like another topic when, without itself, it finds that topic at the threshold and its own topic
#: scores at most this share of that (the seed's closest sibling topics share 0.58 and more; a dog licence fee
#: question put under a restaurant complaint, 0.1).
OWN_SHARE = 0.5


@dataclass(frozen=True)
class Warning:
    """One thing an operator should look at, on which entry, and what to do about it."""

    entry_id: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.message} Fix: {self.fix}"


def confusion_warnings(index, knowledge_bases=None, served_with: Mapping[str, Iterable[str]] | None = None) -> list[Warning]:
    """Warnings for every entry of the index (of the given knowledge bases only, when given).

    `served_with` names, per knowledge base, the knowledge bases some bot answers together with it
    (`knowledge.scope.served_together`); a question is compared with their topics too (default: its own only).
    """
    wanted = set(knowledge_bases) if knowledge_bases is not None else None
    warnings: list[Warning] = []
    landed: Counter[tuple[str, str]] = Counter()
    for entry in index.entries.values():
        if wanted is not None and entry.kb not in wanted:
            continue
        warnings.extend(_numbers_disagree(entry))
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
    warnings.extend(_read_elsewhere(index, wanted, served_with or {}))
    for (one, other), count in sorted(landed.items()):
        if count >= OVERLAP_VARIANTS:
            warnings.append(Warning(one, f"{count} of its questions land on '{other}': the two topics overlap.",
                                    f"Give each its own key words (fee vs. where to pay, lost vs. renew), or merge them with '{other}'."))
    return warnings


def _read_elsewhere(index, wanted: set[str] | None, served_with: Mapping[str, Iterable[str]]) -> Iterator[Warning]:
    """Questions that, asked without themselves, read like another topic far more than like their own (`OWN_SHARE`)."""
    ranker, threshold, row = index.ranker, index.threshold, 0
    for number, item in enumerate(ranker.items):
        entry = index.entries[item.id]
        texts = [text for _lang, text in entry.variants()]
        if wanted is not None and entry.kb not in wanted:
            row += len(item.variants)
            continue
        groups = sorted({entry.kb, *served_with.get(entry.kb, ())})
        for position, variant in enumerate(item.variants):
            scores = ranker.scores(variant, groups, without_variant=row)
            row += 1
            best = int(np.argmax(scores)) if len(scores) else number
            if best == number or scores[best] < threshold or scores[number] > OWN_SHARE * scores[best]:
                continue
            other = ranker.items[best].id
            yield Warning(entry.id, f"Question '{texts[position]}' reads like '{other}' ({scores[best]:.2f}) far more than "
                                    f"like the rest of its own topic ({scores[number]:.2f}): citizens asking this may get the "
                                    "wrong one of the two answers.",
                          f"Move it to '{other}' if it belongs there; otherwise reword it with this topic's own key words.")


def _numbers_disagree(entry) -> Iterator[Warning]:
    """A warning when the entry's answers do not give the same phone numbers in every language."""
    numbers = {lang: {re.sub(r"\D", "", found.text)[-8:] for found in find_personal_data(text, ["phone"])}
               for lang, text in entry.answer.items() if text}  # privacy's reading of a phone number: no price or date
    if len({frozenset(found) for found in numbers.values()}) > 1:
        said = "; ".join(f"{lang}: {', '.join(sorted(found)) or 'none'}" for lang, found in sorted(numbers.items()))
        yield Warning(entry.id, f"Its answers give different phone numbers ({said}).",
                      "Give the same numbers in every language: when you change one answer, change the others too.")
