"""What the knowledge pages (console.routes.knowledge, publishing, transfer) share: forms to entries, vocabulary text, checks, try it."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import time
from typing import Any, Awaitable, Callable, Mapping

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from console.knowledge_filters import Criteria
from console.knowledge_filters import filter_items  # noqa: F401 (callers and tests import it from here)
from console.context import bot_kbs
from console.pages import error_page, form
from knowledge import history
from knowledge.confusion import confusion_warnings
from knowledge.db_store import (
    KnowledgeDatabase,
    entry_data,
    is_vocabulary,
    validate_entries,
)
from knowledge.index import KnowledgeIndex
from knowledge.live import shared_database, shared_store
from knowledge.schema import CONCEPT_ID, HTML_TAG, TEXT_LANGUAGES, Concept
from knowledge.scope import served_together
from nlu.language_id import detect_language
from nlu.parse_keys import FAQ


def knowledge_database() -> KnowledgeDatabase | None:
    """The knowledge database the console edits; None on a server that reads YAML files only."""
    return shared_database()


def no_database(request: Request) -> HTTPResponse:
    """The page a YAML-only server shows instead of a form that would change the knowledge."""
    return error_page(request, 409, "This server reads knowledge from YAML files (HKBOT_KNOWLEDGE_DIR or "
                                    "HKBOT_KNOWLEDGE_DB=files): edit those files, or unset them to use the console's database.")


def with_database(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
    """Routes that change knowledge get the database store as `database`; a YAML-only server says how to edit instead."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        database = knowledge_database()
        if database is None:
            return no_database(request)
        return await handler(request, *args, database=database, **kwargs)

    return wrapped


def bots_using(kb: str, bots: Mapping[str, Any]) -> list[str]:
    """The bots that answer from knowledge base `kb`."""
    return sorted(name for name, kbs in bot_kbs(bots).items() if kb in kbs)


def changes_for(database: KnowledgeDatabase, criteria: Criteria) -> history.Changes | None:
    """Entries changed in the asked period: since version `since`, in the last `days` days, or (both) the shorter one."""
    baselines = []
    if criteria.since is not None:
        baselines.append(database.version(criteria.since))
    if criteria.days is not None:
        baselines.append(history.version_before(database, time.time() - criteria.days * 86400))
    baseline = max(baselines, key=lambda v: v.number if v is not None else 0)
    return history.changes_since(database, baseline)


def entry_from_form(request: Request, entry_id: str, kb: str) -> dict[str, Any]:
    """The stored entry dict an edit form describes (empty fields left out, one question per line)."""
    data: dict[str, Any] = {"kb": kb, "id": entry_id}
    for group in ("title", "answer"):
        data[group] = {lang: form(request, f"{group}.{lang}").strip() for lang in TEXT_LANGUAGES if form(request, f"{group}.{lang}").strip()}
    data["questions"] = {}
    for lang in TEXT_LANGUAGES:
        lines = [line.strip() for line in form(request, f"questions.{lang}").splitlines() if line.strip()]
        if lines:
            data["questions"][lang] = lines
    data["source"] = form(request, "source").strip()
    data["updated"] = form(request, "updated").strip() or dt.date.today().isoformat()
    for key in ("tags", "related"):
        values = [v.strip() for v in form(request, key).replace("\n", ",").split(",") if v.strip()]
        if values:
            data[key] = values
    return data


def warnings_for(database, data: dict[str, Any]) -> list:
    """Confusion warnings (knowledge.confusion) about this entry, in the knowledge as it would be with it changed.

    For a knowledge base's vocabulary item: the warnings of all its entries (a vocabulary moves every one).
    """
    items = [e for e in database.proposed() if e["id"] != data["id"]]
    items.append(data)
    loaded = validate_entries(items, name="draft")
    if loaded.problems:
        return []
    index = KnowledgeIndex(loaded.entries, vocabularies=loaded.vocabularies, persist=False)  # a draft may quote a citizen
    warnings = confusion_warnings(index, [data.get("kb") or data["id"].split(".")[0]], served_with=served_together())
    if is_vocabulary(data):
        return warnings
    return [w for w in warnings if w.entry_id == data["id"] or f"'{data['id']}'" in w.message]


def live_warnings(entry_ids: set[str]) -> list:
    """Confusion warnings about these entries in the live knowledge."""
    index = shared_store().index()
    kbs = {index.entries[i].kb for i in entry_ids if i in index.entries}
    return [w for w in confusion_warnings(index, kbs, served_with=served_together()) if w.entry_id in entry_ids] if kbs else []


def entry_titles(*versions: list[dict[str, Any]]) -> dict[str, str]:
    """Entry id -> English title across stored entry lists (the first list wins), for pages that name entries."""
    titles: dict[str, str] = {}
    for entries in reversed(versions):
        for item in entries:
            title = item.get("title")
            titles[item["id"]] = str(title.get("en") or item["id"]) if isinstance(title, dict) else str(item["id"])
    return titles


def problems_for(database, data: dict[str, Any]) -> list:
    """Validation problems of the knowledge as it would be with this entry changed."""
    items = [e for e in database.proposed() if e["id"] != data["id"]]
    items.append(data)
    return validate_entries(items, name="draft")[1]


class FormProblem:
    """A form problem shaped like knowledge.schema.Problem for the templates."""

    def __init__(self, message: str, fix: str = "", line: int = 0) -> None:
        self.message, self.fix, self.file, self.line = message, fix, "", line


def edit_base(published: dict[str, Any] | None, draft: Any) -> str:
    """A short fingerprint of what an edit form was opened on (the published entry and its draft): saving a form whose
    base is no longer the current one would overwrite someone else's change unseen."""
    state = [published, getattr(draft, "data", None), getattr(draft, "author", None), getattr(draft, "updated_at", None)]
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


# ----------------------------------------------------------------------------- a vocabulary as text

#: Largest vocabulary text the form takes (the limits of knowledge.schema keep real ones far smaller).
MAX_VOCABULARY_BYTES = 200 * 1024
#: Most problems one check lists (a pasted document would otherwise list one per line).
MAX_LINE_PROBLEMS = 30
LINE_FIX = "Write `concept: term | term`, or `concept > implied_concept: term | term` when it includes other concepts."


def vocabulary_text(vocabulary: Mapping[str, Any]) -> str:
    """A stored vocabulary as the form's text: `concept: term | term`, or `concept > implied other: term | term`."""
    lines = []
    for concept in (Concept.from_data(c, value) for c, value in vocabulary.items()):
        head = f"{concept.id} > {' '.join(concept.implies)}" if concept.implies else concept.id
        lines.append(f"{head}: {' | '.join(concept.terms)}")
    return "\n".join(lines)


def parse_vocabulary_text(text: str) -> tuple[dict[str, Any], list]:
    """The stored `vocabulary` mapping a form's text describes, and the problems of lines that cannot be read.

    One concept per line; blank lines and lines starting with `#` are skipped. The terms themselves
    are checked by knowledge.validation when the whole knowledge is validated.
    """
    if len(text.encode("utf-8")) > MAX_VOCABULARY_BYTES:
        return {}, [FormProblem(f"The vocabulary text is {len(text.encode('utf-8')) // 1024} KB, over the {MAX_VOCABULARY_BYTES // 1024} KB limit.",
                             "Keep the words citizens use for this department's own things, one concept per line; "
                             "put questions in entries.")]
    if "\x00" in text:
        return {}, [FormProblem("The vocabulary text contains binary data.", "Type or paste plain text: " + LINE_FIX)]
    vocabulary: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    problems: list = []

    def problem(number: int, message: str, fix: str = LINE_FIX) -> None:
        problems.append(FormProblem(f"Line {number}: {message}", fix, number))

    for number, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        shown = line if len(line) <= 60 else line[:57] + "..."
        if HTML_TAG.search(line) or line.startswith("<"):
            problem(number, f"'{shown}' contains HTML markup.", "Write plain words, no markup: " + LINE_FIX)
            continue
        head, colon, rest = line.partition(":")
        if not colon:
            problem(number, f"'{shown}' has no ':' between the concept and its terms.")
            continue
        name, arrow, implied = head.partition(">")
        concept = name.strip()
        if not CONCEPT_ID.match(concept):
            problem(number, f"'{concept[:60]}' is not a concept name (lower-case letters, digits and '_', e.g. water_meter).")
            continue
        implies = list(dict.fromkeys(implied.replace(",", " ").split()))
        bad = [i for i in implies if not CONCEPT_ID.match(i)]
        if bad or (arrow and not implies):
            problem(number, f"'{concept}' implies '{' '.join(bad)[:60]}', which is not a concept name." if bad
                    else f"'{concept}' has '>' but names no concept it implies.")
            continue
        terms = list(dict.fromkeys(t.strip() for t in rest.split("|") if t.strip()))
        if not terms:
            problem(number, f"Concept '{concept}' has no terms.")
            continue
        if concept in first_line:
            problem(number, f"Concept '{concept}' is already on line {first_line[concept]}.",
                    "Keep one line per concept: merge the terms into that line.")
            continue
        first_line[concept] = number
        vocabulary[concept] = {"terms": terms, "implies": implies} if implies else terms
    if len(problems) > MAX_LINE_PROBLEMS:
        more = len(problems) - MAX_LINE_PROBLEMS
        problems = [*problems[:MAX_LINE_PROBLEMS], FormProblem(f"... and {more} more line(s) with problems.", LINE_FIX)]
    if not problems and not vocabulary:
        problems.append(FormProblem("The vocabulary is empty.", "Write one concept per line: " + LINE_FIX))
    return vocabulary, problems


def _lines(text: str) -> list[str]:
    """The lines of a textarea as the operator counts them (browsers send CRLF; no other separators)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def locate(problems: list, text: str) -> list:
    """Validation problems about a concept, pointed at the line of the form where that concept is written."""
    lines: dict[str, int] = {}
    for number, raw in enumerate(_lines(text), start=1):
        concept = raw.partition(":")[0].partition(">")[0].strip()
        if CONCEPT_ID.match(concept):
            lines.setdefault(concept, number)
    located = []
    for p in problems:
        match = _CONCEPT_PROBLEM.search(p.message)
        number = lines.get(match.group(1) or match.group(2), 0) if match else 0
        located.append(FormProblem(f"Line {number}: {p.message}", p.fix, number) if number else p)
    return located


#: The concept a knowledge.validation vocabulary problem is about.
_CONCEPT_PROBLEM = re.compile(r"^Vocabulary (?:concept '([a-z0-9_]+)'|term '.*' of '([a-z0-9_]+)')")


def published_items() -> list[dict[str, Any]]:
    database = shared_database()
    return database.published() if database else [entry_data(e) for e in shared_store().entries()]


def review_language(text: str) -> str:
    """The question-variant language of a reviewed message (undecidable ones count as formal Chinese)."""
    language = detect_language(text)
    return language if language in TEXT_LANGUAGES else "zh-Hant"


async def try_bots(app: Sanic, bots: Mapping[str, Any], text: str) -> list[dict[str, Any]]:
    """What each bot would do with `text`: its real NLU (intent, FAQ scores) and the answer it would give."""
    runtimes = getattr(app.ctx, "runtimes", {}) or {}
    store = shared_store()
    results = []
    for name in sorted(bots):
        runtime = runtimes.get(name)
        if runtime is not None:
            parse = await runtime.agent.parse_message(text)
        else:  # no agent (a console without bots): the same index decision FaqRetriever makes
            kbs = list(getattr(bots[name], "knowledge_bases", ()) or ())
            parse = {"intent": {}, FAQ: store.index().decide(text, kbs).to_dict()}
        faq = parse.get(FAQ) or {}
        intent = parse.get("intent") or {}
        language = parse.get("language") if isinstance(parse.get("language"), str) else "zh-Hant"
        top = store.entry(faq["top"]) if faq.get("top") else None
        matches = [{**m, "title": (entry.title_in("en") if (entry := store.entry(m["id"])) else m["id"])}
                   for m in faq.get("matches") or []]
        results.append({
            "bot": name, "intent": intent.get("name"), "confidence": intent.get("confidence"), "language": language,
            "threshold": faq.get("threshold"), "matches": matches, "ambiguous": faq.get("ambiguous") or [],
            "answer": top.answer_in(language) if top and intent.get("name") == "faq" else None,
            "top": faq.get("top"),
        })
    return results
