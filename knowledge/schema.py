"""The knowledge entry schema: what an FAQ entry is, and what a problem with one looks like.

An entry is plain data (no Rasa import) so the store, the index, the actions and
a later database-backed store all share it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

#: Languages an entry's texts may be written in (DESIGN.md tags).
TEXT_LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "yue", "zh-Hans")
#: Languages every title and answer must have (replies in yue/zh-Hans derive from zh-Hant).
REQUIRED_ANSWER_LANGUAGES: tuple[str, ...] = ("en", "zh-Hant")
#: Languages every entry must have question variants in.
REQUIRED_QUESTION_LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "yue")
#: Fewest question variants an entry may have, all languages together.
MIN_VARIANTS = 6
#: Longest answer, in characters: answers are short and link to the source for more.
MAX_ANSWER_CHARS = 1200

#: Keys of a knowledge base file and of one entry.
FILE_KEYS: tuple[str, ...] = ("knowledge_base", "department", "vocabulary", "entries")
#: Keys of a knowledge base's `department:` block (name and hotline required).
DEPARTMENT_KEYS: tuple[str, ...] = ("name", "short_name", "hotline", "privacy", "sites")
ENTRY_KEYS: tuple[str, ...] = (
    "id", "title", "answer", "questions", "source", "updated", "tags", "related",
)
REQUIRED_ENTRY_KEYS: tuple[str, ...] = ("id", "title", "answer", "questions", "source", "updated")

#: A knowledge base name: `dog_licence`, `1823`, `tsw`.
KB_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
#: A vocabulary concept id: `dog`, `dog_licence`, `water_meter`.
CONCEPT_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
#: Limits of a knowledge base's vocabulary: its terms are short words and phrases, not sentences.
MAX_TERM_CHARS = 60
MAX_TERMS_PER_CONCEPT = 200
MAX_CONCEPTS = 500
#: The id under which a knowledge base's vocabulary is versioned next to its entries (`dog_licence._vocabulary`);
#: a topic id cannot start with `_`, so it never collides with one.
VOCABULARY_ITEM = "_vocabulary"
#: A topic id: `<kb>.<topic>`, e.g. `dog_licence.fee`.
TOPIC_ID = re.compile(r"^([a-z0-9][a-z0-9_]*)\.([a-z0-9][a-z0-9_]*)$")
#: An absolute http(s) URL with a host and no spaces.
URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/[^\s<>\"]*)?$")
#: A hotline as citizens dial it: digits and single spaces, 3 to 20 characters ("1823", "2824 5000").
HOTLINE = re.compile(r"^\+?[0-9](?: ?[0-9]){2,18}$")
#: A web site host name a department publishes ("wsd.gov.hk"; its sub-domains count too).
SITE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
#: Anything that looks like an HTML tag: answers are plain text shown by every channel.
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>")


@dataclass(frozen=True)
class Entry:
    """One FAQ topic: its answer in English and Chinese and the ways citizens ask for it."""

    id: str
    kb: str
    title: dict[str, str]
    answer: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    source: str
    updated: date
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    #: Where the entry was read from ("seed/dog_licence.yml:12"); not part of its identity.
    origin: str = field(default="", compare=False)

    def variants(self) -> list[tuple[str, str]]:
        """Every question variant as (language, text), in file order."""
        return [(lang, text) for lang, texts in self.questions.items() for text in texts]

    def answer_in(self, language: str) -> str:
        """The answer for a reply language: yue and zh-Hans fall back to zh-Hant, anything else to en."""
        return _pick(self.answer, language)

    def title_in(self, language: str) -> str:
        """The title for a reply language, with the same fallbacks as `answer_in`."""
        return _pick(self.title, language)

    def to_dict(self) -> dict:
        """The entry as plain YAML/JSON-ready data, in the file schema."""
        data: dict = {
            "id": self.id,
            "title": dict(self.title),
            "answer": dict(self.answer),
            "questions": {lang: list(texts) for lang, texts in self.questions.items()},
            "source": self.source,
            "updated": self.updated.isoformat(),
        }
        if self.tags:
            data["tags"] = list(self.tags)
        if self.related:
            data["related"] = list(self.related)
        return data


@dataclass(frozen=True)
class Concept:
    """Words that mean one thing for a department, in any language (狗牌 = 犬隻牌照 = dog licence)."""

    id: str
    terms: tuple[str, ...]
    implies: tuple[str, ...] = ()  # a compound also counts as its parts: dog_licence -> dog, licence

    @classmethod
    def from_data(cls, concept_id: str, value: list | dict) -> "Concept":
        """A concept from its stored/YAML form: a list of terms, or {terms, implies}."""
        terms, implies = (value.get("terms", []), value.get("implies", [])) if isinstance(value, dict) else (value, [])
        return cls(str(concept_id), tuple(str(t) for t in terms or ()), tuple(str(i) for i in implies or ()))

    def to_data(self) -> list[str] | dict:
        """The YAML form: a plain list of terms, or {terms, implies} when it implies other concepts."""
        if not self.implies:
            return list(self.terms)
        return {"terms": list(self.terms), "implies": list(self.implies)}


@dataclass(frozen=True)
class Vocabulary:
    """A knowledge base's own words: the concepts its entries and its citizens use."""

    kb: str
    concepts: tuple[Concept, ...] = ()
    origin: str = field(default="", compare=False)

    def __bool__(self) -> bool:
        return bool(self.concepts)

    def to_dict(self) -> dict:
        """`{concept: terms or {terms, implies}}`, the file schema's `vocabulary:` mapping."""
        return {concept.id: concept.to_data() for concept in self.concepts}

    def rows(self) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        """The concepts as lexicon rows (`nlu.concepts.build_lexicon`)."""
        return [(c.id, c.implies, c.terms) for c in self.concepts]


@dataclass(frozen=True)
class Department:
    """Who answers for a knowledge base: its name, hotline and privacy link (deployment config from the file)."""

    kb: str
    name: dict[str, str]
    hotline: str
    privacy: dict[str, str] = field(default_factory=dict)  # language -> URL; en and zh-Hant at least
    short_name: dict[str, str] = field(default_factory=dict)  # for source labels ("AFCD"); name when absent
    sites: tuple[str, ...] = ()  # host names whose pages this department publishes
    origin: str = field(default="", compare=False)

    def name_in(self, language: str) -> str:
        """The department's name for a reply language (yue/zh-Hans use zh-Hant, converted by the caller)."""
        return _pick(self.name, language)

    def label_in(self, language: str) -> str:
        """The short name for source labels when given, else the full name."""
        return _pick(self.short_name, language) if self.short_name else self.name_in(language)

    def privacy_in(self, language: str) -> str:
        """The privacy policy URL for a reply language, '' when the file gives none."""
        return _pick(self.privacy, language) if self.privacy else ""

    def publishes(self, host: str) -> bool:
        """Whether `host` (or a parent domain of it) is one of this department's sites."""
        host = host.lower()
        return any(host == site or host.endswith("." + site) for site in self.sites)

    def to_dict(self) -> dict:
        """The `department:` block as YAML-ready data."""
        data: dict = {"name": dict(self.name), "hotline": self.hotline}
        if self.short_name:
            data["short_name"] = dict(self.short_name)
        if self.privacy:
            data["privacy"] = dict(self.privacy)
        if self.sites:
            data["sites"] = list(self.sites)
        return data


def vocabulary_id(kb: str) -> str:
    """The stored id of a knowledge base's vocabulary (`dog_licence._vocabulary`: never a topic id)."""
    return f"{kb}.{VOCABULARY_ITEM}"


def is_vocabulary(item: dict) -> bool:
    """Whether a stored item (console database, import, export) is a knowledge base's vocabulary, not an entry."""
    return str(item.get("id", "")).endswith("." + VOCABULARY_ITEM)


def _pick(texts: dict[str, str], language: str) -> str:
    for candidate in (language, "zh-Hant" if language in ("yue", "zh-Hans") else "en", "en", "zh-Hant"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a knowledge file, where it is, and how to fix it."""

    file: str
    line: int  # 1-based; 0 when the problem is the whole file
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f" Fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message, "fix": self.fix}
