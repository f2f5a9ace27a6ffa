"""Choosing the FAQ threshold from data: leave-one-out over the entries' own variants vs near-misses.

Each variant in turn is taken out of its entry and asked as a question against the
knowledge bases of its entry (the rest of the index unchanged): its score when the right
entry comes first is an *answerable* score. Each near-miss (knowledge/near_misses.yml)
is asked against its knowledge bases: its best score is an *unanswerable* score. The
threshold is the one that maximises balanced accuracy between the two sets, averaged
over its neighbours (+-0.02) so that it sits in the gap between them, not on its edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from knowledge.index import entry_item, entry_views, lexicon_for, query_features
from knowledge.schema import Entry, Vocabulary
from nlu.concepts import ConceptLexicon
from nlu.retrieval import Item, Ranker

NEAR_MISSES = Path(__file__).resolve().parent / "near_misses.yml"
DEV_QUESTIONS = Path(__file__).resolve().parent / "tuning_questions.yml"


@dataclass
class TuningReport:
    threshold: float
    answerable: list[float] = field(default_factory=list)  # LOO scores with the right entry first
    wrong: list[tuple[str, str, str, float]] = field(default_factory=list)  # (text, expected, got, score)
    unanswerable: list[tuple[str, str, float]] = field(default_factory=list)  # (text, top id, score)
    dev: list[tuple[str, str, str, float]] = field(default_factory=list)  # (text, expected, top id, score)

    @property
    def loo_accuracy(self) -> float:
        total = len(self.answerable) + len(self.wrong)
        return len(self.answerable) / total if total else 0.0

    def answered_share(self) -> float:
        return sum(s >= self.threshold for s in self.answerable) / max(len(self.answerable), 1)

    def rejected_share(self) -> float:
        return sum(s < self.threshold for _t, _i, s in self.unanswerable) / max(len(self.unanswerable), 1)

    def describe(self) -> str:
        wrong_answered = sum(s >= self.threshold for *_x, s in self.wrong)
        lines = [
            f"leave-one-out: {len(self.answerable)}/{len(self.answerable) + len(self.wrong)} variants find their own entry first "
            f"({self.loo_accuracy:.1%}); {len(self.wrong) - wrong_answered} of the {len(self.wrong)} misses fall under the threshold",
            f"threshold {self.threshold:.2f}: answers {self.answered_share():.1%} of answerable variants, "
            f"rejects {self.rejected_share():.1%} of {len(self.unanswerable)} near-misses",
        ]
        if self.dev:
            right = sum(got == expected and score >= self.threshold for _t, expected, got, score in self.dev)
            lines.append(f"development paraphrases (many code-mixed): {right}/{len(self.dev)} answered with their topic")
        above = [(t, i, s) for t, i, s in self.unanswerable if s >= self.threshold]
        lines += [f"  near-miss above threshold: {t!r} -> {i} {s:.3f}" for t, i, s in above]
        return "\n".join(lines)


def load_near_misses(path: Path = NEAR_MISSES) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def leave_one_out(entries: Sequence[Entry], lexicon: ConceptLexicon | None = None) -> tuple[list[float], list[tuple[str, str, str, float]]]:
    """Scores of each variant asked with itself left out of its entry."""
    views = entry_views(entries)
    items = [entry_item(e, views, lexicon) for e in entries]
    right: list[float] = []
    wrong: list[tuple[str, str, str, float]] = []
    for number, entry in enumerate(entries):
        for position, (_lang, text) in enumerate(entry.variants()):
            held_out = list(items)
            variants = items[number].variants
            held_out[number] = Item(entry.id, entry.kb, variants[:position] + variants[position + 1:], items[number].extra)
            matches = Ranker(held_out).rank(query_features(text, lexicon), [entry.kb], top=1)
            if matches and matches[0].id == entry.id:
                right.append(matches[0].score)
            else:
                got = matches[0] if matches else None
                wrong.append((text, entry.id, got.id if got else "-", got.score if got else 0.0))
    return right, wrong


def near_miss_scores(entries: Sequence[Entry], near_misses: Sequence[dict],
                     lexicon: ConceptLexicon | None = None) -> list[tuple[str, str, float]]:
    views = entry_views(entries)
    ranker = Ranker([entry_item(e, views, lexicon) for e in entries])
    known = {e.kb for e in entries}
    result = []
    for case in near_misses:
        kbs = [str(kb) for kb in case.get("kbs", []) if str(kb) in known]
        if not kbs:
            continue
        matches = ranker.rank(query_features(case["text"], lexicon), kbs, top=1)
        result.append((case["text"], matches[0].id if matches else "-", matches[0].score if matches else 0.0))
    return result


def choose_threshold(answerable: Sequence[float], unanswerable: Sequence[float], window: int = 2) -> float:
    """The threshold with the best balanced accuracy, averaged over +-`window` hundredths.

    The averaging keeps the threshold off a knife edge: a threshold just above the highest
    near-miss and one just below the bulk of answerable scores score alike alone, but the
    one with room on both sides wins once its neighbours count too.
    """
    if not answerable or not unanswerable:
        return 0.5
    candidates = [round(0.20 + 0.01 * i, 2) for i in range(71)]  # 0.20 .. 0.90

    def balanced(t: float) -> float:
        return (sum(s >= t for s in answerable) / len(answerable) + sum(s < t for s in unanswerable) / len(unanswerable)) / 2

    values = [balanced(t) for t in candidates]
    smoothed = [sum(values[max(0, i - window): i + window + 1]) / len(values[max(0, i - window): i + window + 1])
                for i in range(len(values))]
    best = max(smoothed)
    return candidates[smoothed.index(best)]


def tune(entries: Sequence[Entry], near_misses: Sequence[dict] | None = None,
         vocabularies: dict[str, Vocabulary] | None = None) -> TuningReport:
    """Run leave-one-out and the near-misses, and choose the threshold."""
    near_misses = load_near_misses() if near_misses is None else near_misses
    lexicon = lexicon_for(vocabularies)
    right, wrong = leave_one_out(entries, lexicon)
    misses = near_miss_scores(entries, near_misses, lexicon)
    threshold = choose_threshold(right, [s for _t, _i, s in misses])
    dev = [(text, expected, got, score) for (text, got, score), expected in
           zip(near_miss_scores(entries, load_near_misses(DEV_QUESTIONS), lexicon), [c["expect"] for c in load_near_misses(DEV_QUESTIONS)])]
    return TuningReport(threshold, right, wrong, misses, dev)
