"""Reads knowledge base YAML files into entries and reports every problem with file, line and fix.

PyYAML's composed nodes keep line numbers, so each problem points at the line an
operator has to edit. Nothing here raises on bad input: a binary, huge, HTML or
malformed file becomes a `Problem`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from knowledge.schema import (
    CONCEPT_ID,
    DEPARTMENT_KEYS,
    ENTRY_KEYS,
    FILE_KEYS,
    HOTLINE,
    HTML_TAG,
    KB_NAME,
    MAX_ANSWER_CHARS,
    MAX_CONCEPTS,
    MAX_TERM_CHARS,
    MAX_TERMS_PER_CONCEPT,
    MIN_VARIANTS,
    REQUIRED_ANSWER_LANGUAGES,
    REQUIRED_ENTRY_KEYS,
    REQUIRED_QUESTION_LANGUAGES,
    SITE,
    TEXT_LANGUAGES,
    TOPIC_ID,
    URL,
    Concept,
    Department,
    Entry,
    Problem,
    Vocabulary,
)

#: Larger files are refused unread: a knowledge base is a few hundred kilobytes at most.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The file names a knowledge directory is made of.
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class Loaded:
    """What reading knowledge gives: its entries, each knowledge base's vocabulary, and the problems.

    It unpacks as `entries, problems` for callers that need no vocabulary.
    """

    entries: list[Entry]
    problems: list[Problem]
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)
    #: The knowledge bases refused, each with its problems: one broken file refuses its own
    #: knowledge base only, so the others still load (filled when several files are read).
    refused: dict[str, list[Problem]] = field(default_factory=dict)
    #: The knowledge base one file declares (or its file name's stem when it cannot be read).
    knowledge_base: str = ""
    #: Each knowledge base's department (name, hotline, privacy link), when its file has a `department:` block.
    departments: dict[str, Department] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.entries, self.problems))

    def __getitem__(self, index: int):
        return (self.entries, self.problems)[index]

    def usable(self) -> "Loaded":
        """Only the knowledge bases that were not refused: what may be served."""
        return Loaded([e for e in self.entries if e.kb not in self.refused], [],
                      {kb: v for kb, v in self.vocabularies.items() if kb not in self.refused},
                      departments={kb: d for kb, d in self.departments.items() if kb not in self.refused})

    def add(self, other: "Loaded") -> None:
        """Merge another file's result (a knowledge base split over two files keeps both vocabularies)."""
        self.problems.extend(other.problems)
        for kb, vocabulary in other.vocabularies.items():
            self.vocabularies[kb] = merge_vocabularies(self.vocabularies.get(kb), vocabulary)
        for kb, department in other.departments.items():
            self.departments.setdefault(kb, department)  # a knowledge base split over files: the first block names it


def merge_vocabularies(first: Vocabulary | None, second: Vocabulary) -> Vocabulary:
    """One knowledge base's vocabulary from two parts: a concept named in both keeps every term."""
    if first is None:
        return second
    concepts = {c.id: c for c in first.concepts}
    for concept in second.concepts:
        old = concepts.get(concept.id)
        concepts[concept.id] = concept if old is None else Concept(
            concept.id, tuple(dict.fromkeys(old.terms + concept.terms)), tuple(dict.fromkeys(old.implies + concept.implies)))
    return Vocabulary(first.kb, tuple(concepts.values()), first.origin)


@dataclass(frozen=True)
class Located:
    """A YAML value with the 1-based line it starts on."""

    value: Any
    line: int


def knowledge_files(directory: Path) -> list[Path]:
    """The YAML files of a knowledge directory, sorted, hidden and editor temp files skipped."""
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.suffix in YAML_SUFFIXES and not p.name.startswith((".", "~", "#")) and p.is_file()
    )


def load_paths(paths: Iterable[Path], display_root: Path | None = None) -> Loaded:
    """Load and validate several files together (duplicate ids and related ids are checked across them)."""
    result = Loaded([], [])
    entries, problems = result.entries, result.problems
    first_seen: dict[str, str] = {}
    kb_of_file: dict[str, str] = {}
    for path in paths:
        name = _display(path, display_root)
        loaded = load_file(path, name, cross_check=False)
        kb = kb_of_file[name] = loaded.knowledge_base or path.stem
        result.add(loaded)
        for problem in loaded.problems:
            result.refused.setdefault(kb, []).append(problem)
        for entry in loaded.entries:
            if entry.id in first_seen:
                line = int(entry.origin.rsplit(":", 1)[-1] or 0)
                duplicate = Problem(
                    name, line, f"Duplicate id '{entry.id}': already defined at {first_seen[entry.id]}.",
                    "Give each topic one entry: merge the two, or rename this one.",
                )
                problems.append(duplicate)
                result.refused.setdefault(kb, []).append(duplicate)
                continue
            first_seen[entry.id] = entry.origin
            entries.append(entry)
    for problem in _check_cross_references(entries):
        problems.append(problem)
        result.refused.setdefault(kb_of_file.get(problem.file, problem.file), []).append(problem)
    return result


def load_directory(directory: Path) -> Loaded:
    """Load every knowledge file of a directory; a missing or empty directory is a problem."""
    files = knowledge_files(directory)
    if not files:
        return Loaded([], [Problem(str(directory), 0, "No knowledge base files (*.yml) found.",
                            "Point HKBOT_KNOWLEDGE_DIR at the folder holding the <kb>.yml files.")])
    return load_paths(files, display_root=directory.parent)


def load_file(path: Path, name: str | None = None, cross_check: bool = True) -> Loaded:
    """Read one knowledge base file; returns the valid entries and the problems found."""
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Loaded([], [Problem(name, 0, f"File is {size // 1024} KiB, over the {MAX_FILE_BYTES // 1024 // 1024} MiB limit.",
                                       "Split the knowledge base or remove what is not FAQ content.")])
        raw = path.read_bytes()
    except OSError as error:
        return Loaded([], [Problem(name, 0, f"Cannot read the file ({error.strerror or error}).",
                                   "Check that the file exists and is readable.")])
    return parse_text(raw, name, cross_check)


def parse_text(raw: bytes | str, name: str, cross_check: bool = True) -> Loaded:
    """Validate knowledge base YAML given as bytes or text (files, uploads, the database's versions)."""
    entries, problems, vocabulary, kb, department = _parse(raw, name, cross_check)
    return Loaded(entries, problems, {vocabulary.kb: vocabulary} if vocabulary else {}, knowledge_base=kb or "",
                  departments={department.kb: department} if department else {})


def _parse(raw: bytes | str, name: str, cross_check: bool) -> tuple[list[Entry], list[Problem], Vocabulary | None, str | None, Department | None]:
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            return _refused(Problem(name, 0, "This is a binary file, not YAML text.",
                                "Save the knowledge base as UTF-8 YAML text."))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            return _refused(Problem(name, line, "The file is not UTF-8 text.",
                                "Save it as UTF-8 (Big5 and other encodings are not read)."))
    else:
        text = raw
    stripped = text.lstrip().lower()
    if stripped.startswith(("<!doctype", "<html", "<?xml", "<")):
        return _refused(Problem(name, 1, "This looks like an HTML/XML page, not YAML.",
                            "Copy the questions and answers into the YAML schema of knowledge/README.md."))
    if not stripped:
        return _refused(Problem(name, 0, "The file is empty.", "Add `knowledge_base:` and `entries:`."))
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        return _refused(Problem(name, line, f"Invalid YAML: {what}.",
                            "Check indentation and quote texts containing ': ' or '#'."))
    except RecursionError:
        return _refused(Problem(name, 0, "The YAML nests too deeply.", "Use the flat schema of knowledge/README.md."))
    validator = _FileValidator(name)
    entries, problems = validator.validate(node)
    if cross_check:
        problems.extend(_check_cross_references(entries))
    return entries, problems, validator.vocabulary, validator.kb, validator.department


def _refused(problem: Problem) -> tuple[list[Entry], list[Problem], None, None, None]:
    return [], [problem], None, None, None


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


class _FileValidator:
    """Turns one composed YAML document into entries, collecting problems as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.vocabulary: Vocabulary | None = None
        self.department: Department | None = None
        self.kb: str | None = None  # the file's `knowledge_base`, once read

    def problem(self, line: int, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.name, line, message, fix))

    def validate(self, node: yaml.Node | None) -> tuple[list[Entry], list[Problem]]:
        if node is None:
            self.problem(0, "The file is empty.", "Add `knowledge_base:` and `entries:`.")
            return [], self.problems
        top = self.mapping(node, "The file")
        if top is None:
            return [], self.problems
        for key, located in top.items():
            if key not in FILE_KEYS:
                self.problem(located.line, f"Unknown key '{key}' at the top of the file.",
                             f"Use only {', '.join(FILE_KEYS)}; remove or rename '{key}'.")
        kb = self.kb = self.knowledge_base(top, node.start_mark.line + 1)
        if "vocabulary" in top and kb is not None:
            self.vocabulary = self.vocabulary_of(top["vocabulary"], kb)
        if "department" in top and kb is not None:
            self.department = self.department_of(top["department"], kb)
        entries_node = top.get("entries")
        if entries_node is None:
            self.problem(1, "Missing 'entries'.", "Add `entries:` with a list of entries.")
            return [], self.problems
        if not isinstance(entries_node.value, yaml.SequenceNode):
            self.problem(entries_node.line, "'entries' must be a list.", "Start each entry with '- id: ...'.")
            return [], self.problems
        entries = []
        for item in entries_node.value.value:
            entry = self.entry(item, kb)
            if entry is not None:
                entries.append(entry)
        return entries, self.problems

    # -- YAML node helpers -------------------------------------------------

    def mapping(self, node: yaml.Node, what: str) -> dict[str, Located] | None:
        """A mapping node as {key: Located(node)}; duplicate keys are problems."""
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            self.problem(line, f"{what} must be a mapping of 'key: value' lines.", "See the schema in knowledge/README.md.")
            return None
        result: dict[str, Located] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if key in result:
                self.problem(key_line, f"Key '{key}' appears twice in {what.lower()}.", "Keep one of them.")
                continue
            result[key] = Located(value_node, key_line)
        return result

    def scalar(self, located: Located) -> Any:
        """The Python value of a scalar node (dates become datetime.date)."""
        node = located.value
        if not isinstance(node, yaml.ScalarNode):
            return node
        try:
            return yaml.SafeLoader("").construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):  # e.g. a timestamp like 2025-02-30
            return node.value

    def text(self, located: Located, what: str, fix: str) -> str | None:
        value = self.scalar(located)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem(located.line, f"{what} must be text.", fix)
            return None
        return value.strip()

    # -- the schema ----------------------------------------------------------

    def knowledge_base(self, top: dict[str, Located], line: int) -> str | None:
        located = top.get("knowledge_base")
        if located is None:
            self.problem(line, "Missing 'knowledge_base'.", "Add `knowledge_base: <name>` (e.g. dog_licence) at the top.")
            return None
        kb = self.text(located, "'knowledge_base'", "Write the knowledge base name, e.g. `knowledge_base: tsw`.")
        if kb is not None and not KB_NAME.match(kb):
            self.problem(located.line, f"Knowledge base name '{kb}' is not valid.",
                         "Use lower-case letters, digits and '_' only, e.g. dog_licence.")
            return None
        return kb

    def vocabulary_of(self, located: Located, kb: str) -> Vocabulary | None:
        """`vocabulary:` maps a concept id to its terms, or to `{terms: [...], implies: [...]}`."""
        if located.value is None or (isinstance(located.value, yaml.ScalarNode) and not located.value.value):
            return Vocabulary(kb, (), f"{self.name}:{located.line}")
        fields = self.mapping(located.value, "'vocabulary'")
        if fields is None:
            return None
        if len(fields) > MAX_CONCEPTS:
            self.problem(located.line, f"The vocabulary has {len(fields)} concepts, over the limit of {MAX_CONCEPTS}.",
                         "Keep the words citizens use for this department's own things; merge concepts that mean the same.")
            return None
        before = len(self.problems)
        concepts = []
        for concept_id, value in fields.items():
            if not CONCEPT_ID.match(concept_id):
                self.problem(value.line, f"Vocabulary concept '{concept_id}' is not a valid name.",
                             "Name a concept in lower-case letters, digits and '_', e.g. `water_meter`.")
                continue
            terms_node: Located | None = value
            implies: list[str] = []
            if isinstance(value.value, yaml.MappingNode):
                parts = self.mapping(value.value, f"Vocabulary concept '{concept_id}'") or {}
                for key, part in parts.items():
                    if key not in ("terms", "implies"):
                        self.problem(part.line, f"Unknown key '{key}' in vocabulary concept '{concept_id}'.",
                                     "Use `terms:` (the words) and `implies:` (the concepts it includes).")
                terms_node = parts.get("terms")
                implies = self.string_list(parts.get("implies"), f"Vocabulary concept '{concept_id}' implies", VOCABULARY_FIX) or []
                for other in implies:
                    if not CONCEPT_ID.match(other):
                        self.problem(parts["implies"].line, f"Vocabulary concept '{concept_id}' implies '{other}', which is not a concept name.",
                                     "List concept names, e.g. `implies: [dog, licence]`.")
                if terms_node is None:
                    self.problem(value.line, f"Vocabulary concept '{concept_id}' has no `terms:`.", VOCABULARY_FIX)
                    continue
            terms = self.string_list(terms_node, f"Vocabulary concept '{concept_id}'", VOCABULARY_FIX)
            if terms is None:
                continue
            if not terms:
                self.problem(value.line, f"Vocabulary concept '{concept_id}' has no terms.", VOCABULARY_FIX)
                continue
            if len(terms) > MAX_TERMS_PER_CONCEPT:
                self.problem(value.line, f"Vocabulary concept '{concept_id}' has {len(terms)} terms, over the limit of {MAX_TERMS_PER_CONCEPT}.",
                             "Split it into narrower concepts.")
                continue
            for term in terms:
                if len(term) > MAX_TERM_CHARS or HTML_TAG.search(term) or "\n" in term:
                    self.problem(value.line, f"Vocabulary term '{term[:40]}' of '{concept_id}' is not a word or short phrase.",
                                 f"Write words or phrases of at most {MAX_TERM_CHARS} characters, no markup; put questions in an entry's `questions`.")
            concepts.append(Concept(concept_id, tuple(dict.fromkeys(terms)), tuple(implies)))
        if len(self.problems) > before:
            return None
        return Vocabulary(kb, tuple(concepts), f"{self.name}:{located.line}")

    def department_of(self, located: Located, kb: str) -> Department | None:
        """`department:` names who answers for the knowledge base: name {en, zh-Hant}, hotline, privacy URL(s), sites."""
        fields = self.mapping(located.value, "'department'")
        if fields is None:
            return None
        before = len(self.problems)
        for key, value in fields.items():
            if key not in DEPARTMENT_KEYS:
                self.problem(value.line, f"Unknown key '{key}' in 'department'.", f"Use only {', '.join(DEPARTMENT_KEYS)}.")
        for key in ("name", "hotline"):
            if key not in fields:
                self.problem(located.line, f"'department' is missing '{key}'.",
                             "Add `name: {en: ..., zh-Hant: ...}`." if key == "name" else "Add `hotline: \"2824 5000\"`.")
        name = self.language_texts(fields.get("name"), "Department name", REQUIRED_ANSWER_LANGUAGES)
        short = self.language_texts(fields.get("short_name"), "Department short name", REQUIRED_ANSWER_LANGUAGES) or {}
        hotline = None
        if "hotline" in fields:
            hotline = self.text(fields["hotline"], "Department hotline", "Write the number in quotes, e.g. \"2824 5000\".")
            if hotline is not None and not HOTLINE.match(hotline):
                self.problem(fields["hotline"].line, f"Department hotline '{hotline}' is not a phone number.",
                             "Write digits with single spaces only, e.g. \"2824 5000\" or \"1823\".")
        privacy = self.privacy_of(fields.get("privacy"))
        sites = self.string_list(fields.get("sites"), "Department sites", "List host names, e.g. [wsd.gov.hk].") or []
        for site in sites:
            if not SITE.match(site.lower()):
                self.problem(fields["sites"].line, f"Department site '{site}' is not a host name.",
                             "Write the host only, without https:// or a path, e.g. wsd.gov.hk.")
        if len(self.problems) > before or not name or not hotline:
            return None
        return Department(kb, name, hotline, privacy, short, tuple(s.lower() for s in sites), f"{self.name}:{located.line}")

    def privacy_of(self, located: Located | None) -> dict[str, str]:
        """The privacy link: one URL for every language, or {en: URL, zh-Hant: URL}."""
        if located is None:
            return {}
        if isinstance(located.value, yaml.ScalarNode):
            url = self.url(located, "Department privacy link")
            return {"en": url, "zh-Hant": url} if url else {}
        texts = self.language_texts(located, "Department privacy link", REQUIRED_ANSWER_LANGUAGES) or {}
        fields = self.mapping(located.value, "'privacy'") or {}
        result = {}
        for lang in texts:
            url = self.url(fields[lang], f"Department privacy link ({lang})")
            if url:
                result[lang] = url
        return result

    def entry(self, node: yaml.Node, kb: str | None) -> Entry | None:
        line = node.start_mark.line + 1
        fields = self.mapping(node, "An entry")
        if fields is None:
            return None
        before = len(self.problems)
        for key, located in fields.items():
            if key not in ENTRY_KEYS:
                self.problem(located.line, f"Unknown key '{key}' in an entry.",
                             f"Use only {', '.join(ENTRY_KEYS)}; check the spelling of '{key}'.")
        for key in REQUIRED_ENTRY_KEYS:
            if key not in fields:
                self.problem(line, f"Entry is missing '{key}'.", f"Add `{key}:` to the entry (see knowledge/README.md).")
        entry_id = self.entry_id(fields.get("id"), kb)
        label = f"Entry '{entry_id}'" if entry_id else "The entry"
        title = self.language_texts(fields.get("title"), f"{label} title", REQUIRED_ANSWER_LANGUAGES)
        answer = self.language_texts(fields.get("answer"), f"{label} answer", REQUIRED_ANSWER_LANGUAGES)
        source = self.url(fields.get("source"), f"{label} source")
        if answer and source:
            self.answers_end_with_source(fields["answer"], answer, source, label)
        questions = self.questions(fields.get("questions"), label)
        updated = self.date(fields.get("updated"), label)
        tags = self.string_list(fields.get("tags"), f"{label} tags", TOPIC_TAG_FIX)
        related = self.string_list(fields.get("related"), f"{label} related", RELATED_FIX)
        for rel in related or ():
            if not TOPIC_ID.match(rel):
                self.problem(fields["related"].line, f"{label} relates to '{rel}', which is not a topic id.", RELATED_FIX)
        if (len(self.problems) > before or entry_id is None or title is None or answer is None or questions is None
                or source is None or updated is None or kb is None):
            return None
        return Entry(
            id=entry_id, kb=kb, title=title, answer=answer, questions=questions, source=source,
            updated=updated, tags=tuple(tags or ()), related=tuple(related or ()),
            origin=f"{self.name}:{line}",
        )

    def entry_id(self, located: Located | None, kb: str | None) -> str | None:
        if located is None:
            return None
        entry_id = self.text(located, "'id'", "Write the topic id, e.g. `id: dog_licence.fee`.")
        if entry_id is None:
            return None
        match = TOPIC_ID.match(entry_id)
        if not match:
            self.problem(located.line, f"Id '{entry_id}' is not a topic id.",
                         "Write `<knowledge_base>.<topic>` in lower case, e.g. dog_licence.fee.")
            return None
        if kb is not None and match.group(1) != kb:
            self.problem(located.line, f"Id '{entry_id}' is not prefixed by its knowledge base '{kb}'.",
                         f"Rename it '{kb}.{match.group(2)}' or move it to the file of '{match.group(1)}'.")
            return None
        return entry_id

    def language_texts(self, located: Located | None, what: str, required: tuple[str, ...]) -> dict[str, str] | None:
        if located is None:
            return None
        fields = self.mapping(located.value, what)
        if fields is None:
            return None
        result: dict[str, str] = {}
        ok = True
        for lang, value in fields.items():
            if lang not in TEXT_LANGUAGES:
                self.problem(value.line, f"{what} has unknown language '{lang}'.",
                             f"Use one of {', '.join(TEXT_LANGUAGES)} (zh-Hant is formal Traditional Chinese).")
                ok = False
                continue
            text = self.text(value, f"{what} ({lang})", "Write the text on one line or as a YAML block.")
            if text is None:
                ok = False
            elif not text:
                self.problem(value.line, f"{what} ({lang}) is empty.", f"Write the {lang} text, or remove the key.")
                ok = False
            elif HTML_TAG.search(text):
                self.problem(value.line, f"{what} ({lang}) contains HTML markup.", "Write plain text; channels add their own formatting.")
                ok = False
            elif "answer" in what and len(text) > MAX_ANSWER_CHARS:
                self.problem(value.line, f"{what} ({lang}) is {len(text)} characters long.",
                             f"Keep answers under {MAX_ANSWER_CHARS} characters and link to the source for details.")
                ok = False
            else:
                result[lang] = text
        for lang in required:
            if lang not in fields:
                self.problem(located.line, f"{what} is missing language '{lang}'.", f"Add `{lang}: ...` under it.")
                ok = False
        return result if ok else None

    def url(self, located: Located | None, what: str) -> str | None:
        if located is None:
            return None
        value = self.text(located, what, "Write the source page's URL, e.g. https://www.1823.gov.hk/...")
        if value is None:
            return None
        if not URL.match(value):
            self.problem(located.line, f"{what} '{value}' is not a valid URL.",
                         "Write a full http(s) address without spaces, e.g. https://www.afcd.gov.hk/...")
            return None
        return value

    def answers_end_with_source(self, located: Located, answer: dict[str, str], source: str, label: str) -> None:
        lines = {k.value: k.start_mark.line + 1 for k, _v in located.value.value}
        for lang, text in answer.items():
            if not text.rstrip(" .。)）").endswith(source):
                line = lines.get(lang, located.line)
                self.problem(line, f"{label} answer ({lang}) does not end with its source URL.",
                             f"End it with the source link, e.g. 'Source: {source}'." if lang == "en"
                             else f"End it with the source link, e.g. '資料來源：{source}'.")

    def questions(self, located: Located | None, label: str) -> dict[str, tuple[str, ...]] | None:
        if located is None:
            return None
        fields = self.mapping(located.value, f"{label} questions")
        if fields is None:
            return None
        result: dict[str, tuple[str, ...]] = {}
        ok = True
        seen: set[str] = set()
        for lang, value in fields.items():
            if lang not in TEXT_LANGUAGES:
                self.problem(value.line, f"{label} questions have unknown language '{lang}'.",
                             "Use en, zh-Hant (formal Chinese), yue (written Cantonese) or zh-Hans.")
                ok = False
                continue
            if not isinstance(value.value, yaml.SequenceNode):
                self.problem(value.line, f"{label} questions ({lang}) must be a list.", "Write one '- question' per line.")
                ok = False
                continue
            texts = []
            for item in value.value.value:
                item_line = item.start_mark.line + 1
                text = self.text(Located(item, item_line), f"A {lang} question", "Write the question as text.")
                if text is None:
                    ok = False
                elif not text:
                    self.problem(item_line, f"{label} has an empty {lang} question.", "Remove the empty '- ' line.")
                    ok = False
                elif text.casefold() in seen:
                    self.problem(item_line, f"{label} repeats the question '{text}'.", "Remove the repeat.")
                    ok = False
                else:
                    seen.add(text.casefold())
                    texts.append(text)
            result[lang] = tuple(texts)
        for lang in REQUIRED_QUESTION_LANGUAGES:
            if not result.get(lang) and lang not in fields:
                self.problem(located.line, f"{label} has no questions in language '{lang}'.",
                             f"Add `{lang}:` with the ways citizens ask in that language.")
                ok = False
        total = sum(len(texts) for texts in result.values())
        if total < MIN_VARIANTS:
            self.problem(located.line, f"{label} has {total} question variants; at least {MIN_VARIANTS} are needed.",
                         "Add more ways citizens ask, in English, formal Chinese and Cantonese.")
            ok = False
        return result if ok else None

    def date(self, located: Located | None, label: str) -> dt.date | None:
        if located is None:
            return None
        value = self.scalar(located) if isinstance(located.value, yaml.ScalarNode) else None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, dt.date):
            self.problem(located.line, f"{label} has a bad 'updated' date.", "Write the date as YYYY-MM-DD, e.g. 2025-01-31.")
            return None
        return value

    def string_list(self, located: Located | None, what: str, fix: str) -> list[str] | None:
        if located is None:
            return []
        node = located.value
        if not isinstance(node, yaml.SequenceNode):
            self.problem(located.line, f"{what} must be a list.", fix)
            return None
        values = []
        for item in node.value:
            text = self.text(Located(item, item.start_mark.line + 1), what, fix)
            if text:
                values.append(text)
        return values


VOCABULARY_FIX = ("Write each concept as `concept: [term, term, ...]` (any language), or "
                  "`concept: {terms: [...], implies: [other_concept]}`; see knowledge/README.md.")
TOPIC_TAG_FIX = "Write tags as a list of words, e.g. `tags: [fee, payment]`."
RELATED_FIX = "Write related topics as a list of topic ids, e.g. `related: [dog_licence.documents]`."


def _check_cross_references(entries: list[Entry]) -> list[Problem]:
    """Related ids must exist among the loaded entries of their knowledge base; no question may belong to two entries."""
    problems: list[Problem] = []
    ids = {e.id for e in entries}
    kbs = {e.kb for e in entries}
    owner: dict[str, str] = {}
    for entry in entries:
        file, _, line = entry.origin.rpartition(":")
        for rel in entry.related:
            if rel.split(".", 1)[0] in kbs and rel not in ids:
                problems.append(Problem(file, int(line or 0), f"Entry '{entry.id}' relates to unknown topic '{rel}'.",
                                        "Fix the id or remove it from `related`."))
        for _lang, text in entry.variants():
            key = " ".join(text.casefold().split())
            other = owner.setdefault(key, entry.id)
            if other != entry.id:
                problems.append(Problem(file, int(line or 0),
                                        f"Question '{text}' of '{entry.id}' is also a question of '{other}'.",
                                        "A question must lead to one topic: keep it in one entry."))
    return problems
