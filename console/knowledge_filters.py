"""The knowledge list's filters (text, bot, department, topic, language, language gaps, recent changes) and their counts.

Pure functions over stored entry dicts, so a list of 150+ topics can be narrowed to "the Water
Supplies Department's entries with fewer than two Cantonese questions, changed this week" and
every choice shows how many entries it would leave.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from knowledge.db_store import is_vocabulary
from knowledge.schema import REQUIRED_ANSWER_LANGUAGES, REQUIRED_QUESTION_LANGUAGES, TEXT_LANGUAGES
from nlu.normalise import normalise

#: Language names in gap labels (operators read English labels; the languages name themselves elsewhere).
GAP_LANGUAGE_NAMES = {"en": "English", "zh-Hant": "Traditional Chinese", "yue": "Cantonese", "zh-Hans": "Simplified Chinese"}
#: Fewest question variants in a language before it counts as a gap ("fewer than two").
FEW_VARIANTS = 2
#: "Changed in the last N days" choices offered; any whole number from 1 to MAX_DAYS works in the URL.
DAY_CHOICES = (1, 7, 30, 90)
MAX_DAYS = 3650
MAX_ARG_CHARS = 200


def _gap_options() -> dict[str, str]:
    options = {"any": "Any language gap"}
    for lang in REQUIRED_ANSWER_LANGUAGES:
        options[f"answer:{lang}"] = f"No {GAP_LANGUAGE_NAMES[lang]} answer"
    for lang in REQUIRED_ANSWER_LANGUAGES:
        options[f"title:{lang}"] = f"No {GAP_LANGUAGE_NAMES[lang]} title"
    for lang in REQUIRED_QUESTION_LANGUAGES:
        options[f"questions:{lang}"] = f"No {GAP_LANGUAGE_NAMES[lang]} questions"
    for lang in REQUIRED_QUESTION_LANGUAGES:
        options[f"few:{lang}"] = f"Fewer than {FEW_VARIANTS} {GAP_LANGUAGE_NAMES[lang]} questions"
    return options


#: Gap filter value -> its label, in the order the list offers them.
GAP_OPTIONS: dict[str, str] = _gap_options()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    """A field that should be a per-language mapping, or an empty one when an edited entry holds something else."""
    return value if isinstance(value, Mapping) else {}


def language_gaps(item: Mapping[str, Any]) -> set[str]:
    """The gaps of one entry, as GAP_OPTIONS keys: a missing answer, title or questions, or too few questions."""
    gaps: set[str] = set()
    answers = _mapping(item.get("answer"))
    titles = _mapping(item.get("title"))
    questions = _mapping(item.get("questions"))
    for lang in REQUIRED_ANSWER_LANGUAGES:
        if not _text(answers.get(lang)):
            gaps.add(f"answer:{lang}")
        if not _text(titles.get(lang)):
            gaps.add(f"title:{lang}")
    for lang in REQUIRED_QUESTION_LANGUAGES:
        values = questions.get(lang)
        count = sum(1 for v in values if _text(v)) if isinstance(values, (list, tuple)) else 0
        if count == 0:
            gaps.add(f"questions:{lang}")
        if count < FEW_VARIANTS:
            gaps.add(f"few:{lang}")
    return gaps


@dataclass(frozen=True)
class Criteria:
    """What the operator asked the list for (the URL's query), already checked."""

    q: str = ""
    bot: str = ""
    kb: str = ""
    topic: str = ""
    lang: str = ""
    gap: str = ""
    days: int | None = None
    since: int | None = None
    #: Sentences about query values that were not understood (and were ignored).
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def recent(self) -> bool:
        return self.days is not None or self.since is not None

    def query(self, **override: Any) -> dict[str, str]:
        """The non-empty URL parameters of these criteria (with some replaced): for links that keep the other filters."""
        values = {"q": self.q, "bot": self.bot, "kb": self.kb, "topic": self.topic, "lang": self.lang, "gap": self.gap,
                  "days": "" if self.days is None else str(self.days), "since": "" if self.since is None else str(self.since)}
        values.update({k: str(v) for k, v in override.items()})
        return {k: v for k, v in values.items() if v}


def _whole_number(raw: str, name: str, low: int, high: int, problems: list[str]) -> int | None:
    if not raw:
        return None
    if re.fullmatch(r"[0-9]{1,6}", raw) and low <= int(raw) <= high:  # ASCII digits: one spelling per URL
        return int(raw)
    problems.append(f"'{raw[:20]}' is not a valid {name} (a whole number from {low} to {high}); that filter was ignored.")
    return None


def criteria_from(args: Mapping[str, Any], bots: Iterable[str], kbs: Iterable[str], latest_version: int) -> Criteria:
    """Criteria from a request's query: unknown values are dropped with a sentence saying so, never an error page."""
    def arg(name: str) -> str:
        value = args.get(name)
        return (value if isinstance(value, str) else "").strip()[:MAX_ARG_CHARS]

    problems: list[str] = []
    bot, kb, lang, gap = arg("bot"), arg("kb"), arg("lang"), arg("gap")
    if bot and bot not in set(bots):
        problems.append(f"There is no bot '{bot[:60]}'; showing every bot.")
        bot = ""
    if kb and kb not in set(kbs):
        problems.append(f"There is no department or knowledge base '{kb[:60]}'; showing every department.")
        kb = ""
    if lang and lang not in TEXT_LANGUAGES:
        problems.append(f"'{lang[:20]}' is not a language of the knowledge; showing every language.")
        lang = ""
    if gap and gap not in GAP_OPTIONS:
        problems.append(f"'{gap[:40]}' is not a language gap this list knows; that filter was ignored.")
        gap = ""
    days = _whole_number(arg("days"), "number of days", 1, MAX_DAYS, problems)
    since = _whole_number(arg("since"), "version number", 1, max(latest_version, 1), problems) if latest_version else None
    if arg("since") and not latest_version:
        problems.append("Nothing has been published yet, so there is no version to compare with.")
    return Criteria(arg("q"), bot, kb, arg("topic"), lang, gap, days, since, tuple(problems))


def _texts(item: Mapping[str, Any], language: str | None) -> list[str]:
    texts: list[str] = [str(item.get("id", ""))]
    for group in ("title", "answer"):
        texts += [str(v) for lang, v in (item.get(group) or {}).items() if not language or lang == language]
    for lang, values in (item.get("questions") or {}).items():
        if not language or lang == language:
            texts += [str(v) for v in values]
    return texts


class KnowledgeFilter:
    """Applies Criteria to a list of entries; counts what each choice of one filter would leave given the others."""

    def __init__(self, items: Iterable[dict[str, Any]], bot_kbs: Mapping[str, Iterable[str]],
                 changed: set[str] | None = None) -> None:
        self.items = [i for i in items if not is_vocabulary(i)]  # a vocabulary has its own page, it is not an entry
        self.bot_kbs = {name: set(kbs) for name, kbs in bot_kbs.items()}
        self.changed = changed  # ids changed in the asked period; None when no period is asked
        self._gaps = {str(i.get("id")): language_gaps(i) for i in self.items}
        self._found: dict[tuple[str, str], set[str]] = {}

    def _tests(self, criteria: Criteria) -> dict[str, Callable[[Mapping[str, Any]], bool]]:
        tests: dict[str, Callable[[Mapping[str, Any]], bool]] = {}
        if criteria.bot:
            kbs = self.bot_kbs.get(criteria.bot, set())
            tests["bot"] = lambda i: i.get("kb") in kbs
        if criteria.kb:
            tests["kb"] = lambda i: i.get("kb") == criteria.kb
        if criteria.topic:
            tests["topic"] = lambda i: criteria.topic in str(i.get("id", "")) or criteria.topic in (i.get("tags") or ())
        if criteria.lang:
            tests["lang"] = lambda i: criteria.lang in (i.get("questions") or {}) or criteria.lang in (i.get("answer") or {})
        if criteria.gap:
            tests["gap"] = ((lambda i: bool(self._gaps[str(i.get("id"))])) if criteria.gap == "any"
                            else (lambda i: criteria.gap in self._gaps[str(i.get("id"))]))
        if criteria.recent and self.changed is not None:
            changed = self.changed
            tests["recent"] = lambda i: i.get("id") in changed
        if criteria.q.strip():
            found = self._text_matches(criteria.q, criteria.lang)
            tests["q"] = lambda i: i.get("id") in found
        return tests

    def _text_matches(self, q: str, lang: str) -> set[str]:
        """Ids of entries whose texts (one language's, if given) contain `q`, normalised; once per query (counts reuse it)."""
        key = (q, lang)
        if key not in self._found:
            needle = normalise(q)  # the citizens' normalisation: width, script, colloquial forms
            self._found[key] = {str(i.get("id")) for i in self.items if any(needle in normalise(t) for t in _texts(i, lang or None))}
        return self._found[key]

    def apply(self, criteria: Criteria, without: str = "") -> list[Mapping[str, Any]]:
        """The entries passing every filter (but `without`), in list order."""
        tests = [test for name, test in self._tests(criteria).items() if name != without]
        return [i for i in self.items if all(test(i) for test in tests)]

    def department_counts(self, criteria: Criteria) -> dict[str, int]:
        """Knowledge base -> entries it would show with the other filters as they are."""
        counts: dict[str, int] = {}
        for item in self.apply(criteria, without="kb"):
            counts[str(item.get("kb"))] = counts.get(str(item.get("kb")), 0) + 1
        return counts

    def gap_counts(self, criteria: Criteria) -> dict[str, int]:
        """GAP_OPTIONS key -> entries it would show with the other filters as they are."""
        counts = dict.fromkeys(GAP_OPTIONS, 0)
        for item in self.apply(criteria, without="gap"):
            gaps = self._gaps[str(item.get("id"))]
            for gap in gaps:
                counts[gap] = counts.get(gap, 0) + 1
            counts["any"] += bool(gaps)
        return counts


def filter_items(items: list[dict[str, Any]], bots: Mapping[str, Any], q: str = "", bot: str = "", kb: str = "",
                 topic: str = "", language: str = "", gap: str = "", changed: set[str] | None = None) -> list[dict[str, Any]]:
    """Entries matching every given filter: text (any field, or one language's), bot, knowledge base, topic or tag,
    language gap, and (when `changed` is given) being among the changed entries."""
    bot_kbs = {name: tuple(getattr(config, "knowledge_bases", ()) or ()) for name, config in bots.items()}
    criteria = Criteria(q=q, bot=bot, kb=kb, topic=topic, lang=language, gap=gap, days=0 if changed is not None else None)
    return list(KnowledgeFilter(items, bot_kbs, changed).apply(criteria))  # type: ignore[arg-type]
