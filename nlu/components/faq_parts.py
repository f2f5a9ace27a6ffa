"""Asking part of a message again: FaqRetriever's three rules for messages that say more than one thing.

A citizen's message is often a story and then the question ("I work night shifts... Does anyone answer the 1823
line that late?"), a question turned to a department by name after its first clause ("my pipe burst at 3am, will
anyone at 1823 pick up?"), or two questions ("is 1823 open 24 hours, and how do I pay my water bill?"). Each rule
cuts the message (`nlu.clauses`, `knowledge.departments.turned_to`), decides the part alone, and keeps the part's
topic only when the whole message leans to it too: a part alone finds a sibling topic more often than the right one.
The three rules' config keys are FaqRetriever's (`follow_named_department`, `question_focus`, `other_questions`).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from knowledge.departments import turned_to
from knowledge.index import FaqResult
from nlu.clauses import clauses, questions

logger = logging.getLogger(__name__)

#: One text's decision among the bot's knowledge bases.
Decide = Callable[[str], FaqResult]


def named_department(index: Any, text: str, result: FaqResult, knowledge_bases: Sequence[str],
                     options: Dict[str, Any]) -> FaqResult:
    """The decision among the departments the message turns to by name after its first clause, else `result`.

    Only when the named departments answer the rest (from the last clause that names one) at least as well as the
    whole message is answered: "how do I pay my water bill? thanks 1823" asks the water bill, however well "1823"
    alone finds 1823. The whole message is then decided among them (the rest's topic when it is not answered there).
    A refusal stays one, and naming every department of the bot tells nothing.
    """
    if result.top is None or not knowledge_bases:
        return result
    turn = turned_to(text, knowledge_bases)
    if turn is None or turn[1] == {str(kb) for kb in knowledge_bases}:
        return result
    rest, named = turn
    asked = index.decide(rest, sorted(named), **options)
    if asked.top is None or asked.matches[0].score < result.matches[0].score:
        return result
    whole = index.decide(text, sorted(named), **options)
    return whole if whole.top is not None else asked


def question_after_story(text: str, result: FaqResult, decide: Decide, floor: float, tries: int,
                         skip: Callable[[str], bool]) -> Optional[FaqResult]:
    """The decision of a refused message's last clauses alone (its first one to `tries` clauses dropped in turn),
    when it answers a topic, not ambiguously, that the whole message scores at least `floor`; else None.

    Only for a refusal: a message answered as a whole keeps its answer. A rest for which `skip` says so (one that
    names no subject, in a bot of several knowledge bases) is not tried.
    """
    parts = clauses(text) if result.top is None else []
    scores = {match.id: match.score for match in result.matches}
    for start in range(1, min(len(parts), tries + 1)):
        rest = "".join(parts[start:])
        if skip(rest):
            continue
        asked = decide(rest)
        if asked.top is not None and not asked.ambiguous and scores.get(asked.top, 0.0) >= floor:
            return asked
    return None


def other_questions(text: str, result: FaqResult, decide: Decide, limit: int, floor: float) -> List[str]:
    """Up to `limit` topics the message's other questions answer on their own: not the top nor its close
    alternatives, not ambiguous, and scored at least `floor` by the whole message too (a question that leans on the
    one before, "..., and what documents do we need to bring?", finds other topics alone)."""
    parts = questions(text) if limit > 0 else []
    if len(parts) < 2:
        return []
    seen = {result.top, *result.ambiguous}
    listed = {match.id for match in result.matches if match.score >= floor}
    also: List[str] = []
    for asked in _decided(parts, decide):
        if asked.top is not None and not asked.ambiguous and asked.top not in seen and asked.top in listed:
            also.append(asked.top)
            seen.add(asked.top)
        if len(also) >= limit:
            break
    return also


def _decided(parts: Iterable[str], decide: Decide) -> Iterable[FaqResult]:
    """Each part's decision; a part whose retrieval fails is left out (the message's top is answered already)."""
    for part in parts:
        try:
            yield decide(part)
        except Exception:
            logger.exception("FAQ retrieval failed for one question of a message")
