"""How a knowledge index does on a dev case file: questions answered with their topic, near-misses refused."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.cli import bot_knowledge_bases

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class DevFigures:
    answered: int  # answerable questions given their topic
    answerable: int
    refused: int  # out-of-scope questions refused
    outside: int


def dev_figures(index, name: str) -> DevFigures:
    """Retrieval alone over `tests/data/<name>.yml`'s topic and out-of-scope cases, each asked of its case's bot."""
    figures = DevFigures(0, 0, 0, 0)
    for case in yaml.safe_load((DATA / f"{name}.yml").read_text(encoding="utf-8")):
        expect = case["expect"]
        if "." not in expect and expect != "out_of_scope":
            continue  # a shared intent (greet, thanks): not retrieval's to decide
        top = index.decide(case["text"], bot_knowledge_bases(str(case["bot"]))).top
        if expect == "out_of_scope":
            figures.outside += 1
            figures.refused += top is None
        else:
            figures.answerable += 1
            figures.answered += top == expect
    return figures
