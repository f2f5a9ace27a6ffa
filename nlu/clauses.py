"""A message's clauses: where a citizen's own story ends and the question begins.

"my pipe burst at 3am, will anyone at 1823 pick up?" is two clauses; the second asks about 1823.
"""
from __future__ import annotations

import re

#: After a Chinese mark always (not 、, which lists); after a Western one only before a space or the end, so that
#: "1823.gov.hk" and "$2.5" do not cut a clause ("e.g. " does: a rare extra cut only narrows what follows).
CLAUSE_BREAK = re.compile(r"(?<=[。？！；，])|(?<=[.?!;,])(?=\s|$)")


def clauses(text: str) -> list[str]:
    """The text cut after each sentence or clause mark; joined again they give the text back (blank pieces dropped)."""
    return [part for part in CLAUSE_BREAK.split(text) if part.strip()]


#: Words that open a second question after a comma ("..., and how do I pay my water bill?", "……，另外點樣交水費？").
#: Only these: a plain comma mostly ends a citizen's story ("my pipe burst at 3am, will anyone pick up?").
QUESTION_JOINERS: tuple[str, ...] = (
    "and also", "and", "also", "plus", "another question", "one more thing",
    "另外", "同埋", "仲有", "還有", "还有", "以及", "此外", "順便問", "顺便问", "順便", "顺便", "另一個問題", "另一个问题",
)
_JOINER = "|".join(re.escape(j) for j in sorted(QUESTION_JOINERS, key=len, reverse=True))
#: A cut after a question mark that more text follows, or before a joiner that follows a comma or a question mark.
QUESTION_BREAK = re.compile(
    rf"(?<=[?？])\s*(?:(?:{_JOINER})(?:\b|(?=[^\x00-\x7f]))[\s,，:：]*)?(?=\S)"
    rf"|[,，;；]\s*(?:{_JOINER})(?:\b|(?=[^\x00-\x7f]))[\s,，:：]*(?=\S)",
    re.IGNORECASE,
)
#: A part shorter than this is not a question of its own ("why?", "點解？"): MIN_WORDS Latin words, or MIN_CHARACTERS
#: words and Chinese characters together.
MIN_WORDS = 3
MIN_CHARACTERS = 4


def _substantial(part: str) -> bool:
    """Whether a part is long enough to be asked on its own."""
    words = re.findall(r"[A-Za-z0-9]+", part)
    characters = re.findall(r"[\u3400-\u9fff]", part)
    return len(words) >= MIN_WORDS or len(words) + len(characters) >= MIN_CHARACTERS


def questions(text: str) -> list[str]:
    """The separate questions of a message, each without its joiner; one part when it asks one thing.

    "is 1823 open 24 hours, and how do I pay my water bill?" is two questions; so is "狗牌點續期？幾錢？"
    only when each part is long enough to stand alone (a short part joins the one before it).
    """
    parts: list[str] = []
    for piece in QUESTION_BREAK.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if parts and not (_substantial(piece) and _substantial(parts[-1])):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts or ([text.strip()] if text.strip() else [])
