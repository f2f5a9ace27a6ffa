"""Train the Cantonese-vs-formal model from the TUNING split only and write nlu/data/yue_model.json.

    python -m nlu.train_langid            # train, report accuracy on a dev part of the tuning split

A logistic regression over character uni/bigrams of the Hong Kong Traditional Han text
(scikit-learn, which Rasa already installs), class-balanced. Only the weights are stored,
pruned to the features that matter, so detection needs neither scikit-learn nor numpy.
"""
from __future__ import annotations

import argparse
import json
import random

from nlu import cantonese
from nlu.cantonese import MODEL_FILE, features, han_segments
from nlu.langid_data import Example, tuning_set
from nlu.script import to_hk_view

#: Features kept in the model file: those seen at least this often in the tuning data...
MIN_COUNT = 2
#: ...and with at least this much weight.
MIN_WEIGHT = 0.05


def feature_lists(examples: list[Example]) -> list[list[str]]:
    return [features(han_segments(to_hk_view(e.text))) for e in examples]


def train(examples: list[Example], c: float = 0.1) -> dict:
    """Fit and return the model tables."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    lists = feature_lists(examples)
    vectorizer = CountVectorizer(analyzer=lambda feats: feats, min_df=MIN_COUNT, binary=True)
    matrix = vectorizer.fit_transform(lists)
    labels = [1 if e.label == "yue" else 0 for e in examples]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(matrix, labels)
    weights = {
        feature: round(float(weight), 3)
        for feature, weight in zip(vectorizer.get_feature_names_out(), model.coef_[0])
        if abs(weight) >= MIN_WEIGHT
    }
    return {"prior": round(float(model.intercept_[0]), 4), "default": 0.0, "weights": weights}


#: Tuning sources left out of training (see docs/nlu.md: CTCPC's fragments teach neutral words as Cantonese).
EXCLUDED_SOURCES: set[str] = {"ctcpc"}


def chinese_traditional(examples: list[Example]) -> list[Example]:
    return [e for e in examples if e.label in ("yue", "zh-Hant") and e.source not in EXCLUDED_SOURCES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=0.1, help="inverse regularisation strength")
    parser.add_argument("--dev", action="store_true", help="hold out 20%% of the tuning split and report")
    parser.add_argument("--exclude", nargs="*", default=None, help="tuning sources to leave out")
    args = parser.parse_args()
    if args.exclude is not None:
        EXCLUDED_SOURCES.clear()
        EXCLUDED_SOURCES.update(args.exclude)
    examples = chinese_traditional(tuning_set())
    if args.dev:
        random.Random(0).shuffle(examples)
        cut = len(examples) // 5
        dev, train_part = examples[:cut], examples[cut:]
        tables = train(train_part, args.c)
        cantonese.model.cache_clear()
        cantonese._override = tables
        by_source: dict[str, list[int]] = {}
        for e in dev:
            ok = cantonese.is_cantonese(to_hk_view(e.text)) == (e.label == "yue")
            by_source.setdefault(f"{e.source}/{e.label}", []).append(ok)
        for key, oks in sorted(by_source.items()):
            print(f"{key:24} {sum(oks) / len(oks):.3f}  n={len(oks)}")
        print("features", len(tables["weights"]))
        return
    tables = train(examples, args.c)
    MODEL_FILE.write_text(json.dumps(tables, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {MODEL_FILE} ({len(tables['weights'])} features)")


if __name__ == "__main__":
    main()
