"""Measure language identification on the held-out split (see nlu.langid_data).

    python -m nlu.langid_eval            # held-out figures (what docs/nlu.md reports)

Three figures, as the bar is set: Cantonese vs formal Chinese on Traditional Chinese
sentences, English vs Chinese on every sentence, Simplified vs Traditional on every
Chinese sentence.
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field

from nlu.langid_data import Example, heldout_set, tuning_set
from nlu.language_id import detect_language


@dataclass
class Score:
    right: int = 0
    total: int = 0
    per_class: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, label: str, ok: bool) -> None:
        self.right += ok
        self.total += 1
        self.per_class[label][0] += ok
        self.per_class[label][1] += 1

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def balanced(self) -> float:
        rates = [r / t for r, t in self.per_class.values() if t]
        return sum(rates) / len(rates) if rates else 0.0

    def describe(self) -> str:
        classes = ", ".join(f"{k} {r / t:.3f} (n={t})" for k, (r, t) in sorted(self.per_class.items()))
        return f"accuracy {self.accuracy:.4f}, balanced {self.balanced:.4f} [{classes}]"


def evaluate(examples: list[Example]) -> dict[str, Score]:
    """Scores for yue-vs-formal, English-vs-Chinese and Simplified-vs-Traditional."""
    scores = {"yue_vs_formal": Score(), "english": Score(), "script": Score()}
    for example in examples:
        tag = detect_language(example.text)
        scores["english"].add("en" if example.label == "en" else "zh", (tag == "en") == (example.label == "en"))
        if example.label == "en":
            continue
        simplified = example.label == "zh-Hans"
        scores["script"].add(example.label if simplified else "zh-Hant/yue", (tag == "zh-Hans") == simplified)
        if not simplified:
            scores["yue_vs_formal"].add(example.label, tag == example.label)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tune", action="store_true", help="measure the tuning split instead")
    args = parser.parse_args()
    examples = tuning_set() if args.tune else heldout_set()
    for name, score in evaluate(examples).items():
        print(f"{name:14} {score.describe()}")
    by_source = evaluate([e for e in examples if e.source == "written"])
    print("written only:")
    for name, score in by_source.items():
        print(f"  {name:12} {score.describe()}")


if __name__ == "__main__":
    main()
