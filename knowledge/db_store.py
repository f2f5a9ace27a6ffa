"""Knowledge in a database (SQLite by default, PostgreSQL by URL): drafts, published versions, rollback.

Operators edit drafts; publishing validates the whole proposed knowledge (the same
`knowledge.validation` rules as the YAML files) and writes it as a new numbered
version. The serving side reads it through `DatabaseSource`, a `KnowledgeSource`, so
`KnowledgeStore` (snapshot, subscribers, watcher, index) is the same for files and
for the database: a publish is live within the watcher's 0.5 s poll, no retraining.

A fresh database imports the YAML seed (`hkbot.settings.knowledge_dir()`); while no
operator has published, a changed seed is imported again, so developers editing the
seed files never serve stale knowledge.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa
import yaml

from hkbot.settings import data_dir, knowledge_dir, knowledge_dir_chosen
from knowledge.notices import announce
from knowledge.schema import Concept, Entry, Problem, Vocabulary, is_vocabulary, vocabulary_id
from knowledge.validation import Loaded, _check_cross_references, load_directory, parse_text

logger = logging.getLogger(__name__)

#: Environment variable holding the SQLAlchemy URL of the knowledge database.
DB_ENV = "HKBOT_KNOWLEDGE_DB"
#: File name of the default SQLite database under `hkbot.settings.data_dir()`.
DEFAULT_FILE = "knowledge.sqlite3"
#: The author recorded for seed imports (not an operator: a later seed change is re-imported).
SEED_AUTHOR = "seed"
#: The knowledge_meta key of the seed's vocabularies as last taken into the database (JSON {kb: {concept: terms}}).
SEED_VOCABULARY = "seed_vocabulary"

metadata = sa.MetaData()

versions_table = sa.Table(
    "knowledge_versions", metadata,
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("entries", sa.Text, nullable=False),  # JSON list of entry dicts (file schema + "kb")
    sa.Column("fingerprint", sa.String(64), nullable=False, default=""),
)

drafts_table = sa.Table(
    "knowledge_drafts", metadata,
    sa.Column("entry_id", sa.String(200), primary_key=True),
    sa.Column("kb", sa.String(100), nullable=False),
    sa.Column("data", sa.Text, nullable=True),  # JSON entry dict; NULL = delete the entry on publish
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

meta_table = sa.Table(
    "knowledge_meta", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def default_url() -> str:
    """`HKBOT_KNOWLEDGE_DB`, or a SQLite file under the data directory."""
    url = os.environ.get(DB_ENV, "").strip()
    return url or f"sqlite:///{data_dir() / DEFAULT_FILE}"


_engines: dict[str, sa.engine.Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str) -> sa.engine.Engine:
    """One engine per URL per process; SQLite files get their folder, pooled connections, WAL and a busy timeout."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            kwargs: dict[str, Any] = {"future": True}
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    # Kept open: SQLAlchemy 1.4 opens and closes a file connection per use, and
                    # closing the last one checkpoints the WAL (milliseconds on every console write).
                    kwargs["poolclass"] = sa.pool.QueuePool
                kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
            else:
                kwargs["pool_pre_ping"] = True
            engine = sa.create_engine(url, **kwargs)
            if url.startswith("sqlite"):
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            _engines[url] = engine
        return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # the server reads while the console and CLI write
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: one sync per checkpoint, safe from a server crash
    cursor.close()


# ----------------------------------------------------------------------------- entries as data


def entry_data(entry: Entry) -> dict[str, Any]:
    """An entry as stored: the file schema plus its knowledge base."""
    return {"kb": entry.kb, **entry.to_dict()}


def vocabulary_data(vocabulary: Vocabulary) -> dict[str, Any]:
    """A knowledge base's vocabulary as stored: one item next to its entries, versioned and diffed with them."""
    return {"kb": vocabulary.kb, "id": vocabulary_id(vocabulary.kb), "vocabulary": vocabulary.to_dict()}


def loaded_data(loaded: Loaded) -> list[dict[str, Any]]:
    """Validated knowledge as stored items: the entries, then each knowledge base's vocabulary."""
    return [*(entry_data(e) for e in loaded.entries),
            *(vocabulary_data(loaded.vocabularies[kb]) for kb in sorted(loaded.vocabularies))]


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def validate_entries(items: Iterable[dict[str, Any]], name: str = "database") -> Loaded:
    """Validate stored items (entries and vocabularies) with the YAML rules (per knowledge base, then across them)."""
    by_kb: dict[str, list[dict[str, Any]]] = {}
    vocabulary: dict[str, Any] = {}
    for item in items:
        data = dict(item)
        kb = str(data.pop("kb", "") or str(data.get("id", "")).split(".", 1)[0])
        if is_vocabulary(item):
            vocabulary[kb] = data.get("vocabulary") or {}
            by_kb.setdefault(kb, [])
            continue
        by_kb.setdefault(kb, []).append(data)
    result = Loaded([], [])
    entries, problems = result.entries, result.problems
    for kb, kb_items in by_kb.items():
        document = {"knowledge_base": kb, **({"vocabulary": vocabulary[kb]} if kb in vocabulary else {}), "entries": kb_items}
        text = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
        loaded = parse_text(text, f"{name}:{kb}", cross_check=False)
        entries.extend(loaded.entries)
        result.add(loaded)
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            problems.append(Problem(f"{name}:{entry.kb}", 0, f"Duplicate id '{entry.id}'.", "Keep one entry per topic."))
        seen.add(entry.id)
    problems.extend(_check_cross_references(entries))
    return result


def vocabulary_from_data(item: dict[str, Any], origin: str = "") -> Vocabulary:
    """A Vocabulary from a stored item that was validated when it was published."""
    concepts = tuple(Concept.from_data(c, value) for c, value in (item.get("vocabulary") or {}).items())
    return Vocabulary(str(item["kb"]), concepts, origin)


def entry_from_data(item: dict[str, Any], origin: str = "") -> Entry:
    """An Entry from stored data that was validated when it was published (no YAML round trip)."""
    return Entry(
        id=str(item["id"]), kb=str(item["kb"]), title=dict(item["title"]), answer=dict(item["answer"]),
        questions={str(lang): tuple(texts) for lang, texts in item["questions"].items()},
        source=str(item["source"]), updated=dt.date.fromisoformat(str(item["updated"])),
        tags=tuple(item.get("tags") or ()), related=tuple(item.get("related") or ()), origin=origin,
    )


def _fingerprint(items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Version:
    """One published version of the whole knowledge."""

    number: int
    created_at: float
    author: str
    message: str
    entries: list[dict[str, Any]]

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {e["id"]: e for e in self.entries}


@dataclass(frozen=True)
class Draft:
    """An unpublished change to one entry (data None = delete it)."""

    entry_id: str
    kb: str
    data: dict[str, Any] | None
    author: str
    updated_at: float


class PublishError(Exception):
    """Publishing was refused: the problems say why (nothing was changed)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class KnowledgeDatabase:
    """The knowledge tables of one database: versions, drafts, and a little metadata."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = engine_for(self.url)
        #: Knowledge bases of the last seed import that were refused, with their problems.
        self.seed_refusals: dict[str, list[Problem]] = {}
        try:
            metadata.create_all(self.engine)
        except sa.exc.OperationalError:  # another process created the tables at the same moment
            metadata.create_all(self.engine)

    def __repr__(self) -> str:
        return f"KnowledgeDatabase({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- versions ---------------------------------------------------------------

    def latest_number(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.max(versions_table.c.number))).scalar() or 0)

    def version(self, number: int | None = None) -> Version | None:
        """A version by number, or the latest; None when there is none."""
        query = sa.select(versions_table)
        query = query.where(versions_table.c.number == number) if number is not None else query.order_by(versions_table.c.number.desc()).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        return Version(row["number"], row["created_at"], row["author"], row["message"], json.loads(row["entries"]))

    def versions(self, limit: int = 200) -> list[Version]:
        """The most recent versions first (without loading every snapshot's diff)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(versions_table).order_by(versions_table.c.number.desc()).limit(limit)).mappings().all()
        return [Version(r["number"], r["created_at"], r["author"], r["message"], json.loads(r["entries"])) for r in rows]

    def published(self) -> list[dict[str, Any]]:
        version = self.version()
        return version.entries if version else []

    def _write_version(self, connection: Any, items: list[dict[str, Any]], author: str, message: str) -> int:
        number = int(connection.execute(sa.select(sa.func.max(versions_table.c.number))).scalar() or 0) + 1
        connection.execute(versions_table.insert().values(
            number=number, created_at=time.time(), author=author[:100], message=message[:2000],
            entries=json.dumps(items, ensure_ascii=False), fingerprint=_fingerprint(items),
        ))
        return number

    # -- drafts -------------------------------------------------------------------

    def drafts(self) -> dict[str, Draft]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(drafts_table).order_by(drafts_table.c.updated_at)).mappings().all()
        return {
            r["entry_id"]: Draft(r["entry_id"], r["kb"], json.loads(r["data"]) if r["data"] else None, r["author"], r["updated_at"])
            for r in rows
        }

    def draft(self, entry_id: str) -> Draft | None:
        return self.drafts().get(entry_id)

    def save_draft(self, data: dict[str, Any] | None, author: str, entry_id: str | None = None, kb: str | None = None) -> Draft:
        """Keep an unpublished change to an entry (replacing any earlier draft of it)."""
        entry_id = entry_id or str((data or {}).get("id", ""))
        kb = kb or str((data or {}).get("kb") or entry_id.split(".", 1)[0])
        if data is not None:
            data = {"kb": kb, **{k: v for k, v in data.items() if k != "kb"}}
        draft = Draft(entry_id, kb, data, author, time.time())
        with self.engine.begin() as connection:
            connection.execute(drafts_table.delete().where(drafts_table.c.entry_id == entry_id))
            connection.execute(drafts_table.insert().values(
                entry_id=entry_id, kb=kb, data=json.dumps(data, ensure_ascii=False) if data is not None else None,
                author=author[:100], updated_at=draft.updated_at,
            ))
        return draft

    def discard_draft(self, entry_id: str) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(drafts_table.delete().where(drafts_table.c.entry_id == entry_id)).rowcount > 0

    def proposed(self, entry_ids: Iterable[str] | None = None, drafts: dict[str, Draft] | None = None) -> list[dict[str, Any]]:
        """The published entries with drafts applied (all drafts, or those of `entry_ids`)."""
        drafts = self.drafts() if drafts is None else drafts
        wanted = set(drafts) if entry_ids is None else set(entry_ids) & set(drafts)
        items = [dict(e) for e in self.published()]
        position = {e["id"]: i for i, e in enumerate(items)}
        removed: set[str] = set()
        for entry_id in wanted:
            draft = drafts[entry_id]
            if draft.data is None:
                removed.add(entry_id)
            elif entry_id in position:
                items[position[entry_id]] = draft.data
            else:
                position[entry_id] = len(items)
                items.append(draft.data)
        return [e for e in items if e["id"] not in removed]

    def check(self, entry_ids: Iterable[str] | None = None) -> list[Problem]:
        """What validation would say about publishing these drafts (all when None)."""
        return validate_entries(self.proposed(entry_ids))[1]

    def publish(self, author: str, entry_ids: Iterable[str] | None = None, message: str = "") -> int:
        """Publish drafts (all, or those of `entry_ids`) as a new version; refused whole if invalid."""
        drafts = self.drafts()
        ids = set(drafts) if entry_ids is None else set(entry_ids) & set(drafts)
        if not ids:
            raise PublishError("There is no draft to publish.")
        items = self.proposed(ids, drafts)
        _entries, problems = validate_entries(items)
        if problems:
            raise PublishError(f"Not published: {len(problems)} problem(s) to fix first.", problems)
        try:
            with self.engine.begin() as connection:
                number = self._write_version(connection, items, author, message or f"Published {', '.join(sorted(ids))}")
                connection.execute(drafts_table.delete().where(drafts_table.c.entry_id.in_(sorted(ids))))
                self._set(connection, "operator_edited", "1")
        except sa.exc.IntegrityError:
            raise PublishError("Someone else published at the same moment. Please try again.") from None
        logger.info("Knowledge version %d published by %s: %s", number, author, ", ".join(sorted(ids)))
        _announce(number)
        return number

    def publish_entries(self, items: list[dict[str, Any]], author: str, message: str) -> int:
        """Publish a whole set of entries as the new version (rollback, import); refused whole if invalid."""
        _entries, problems = validate_entries(items)
        if problems:
            raise PublishError(f"Not published: {len(problems)} problem(s) to fix first.", problems)
        try:
            with self.engine.begin() as connection:
                number = self._write_version(connection, items, author, message)
                if author != SEED_AUTHOR:
                    self._set(connection, "operator_edited", "1")
        except sa.exc.IntegrityError:
            raise PublishError("Someone else published at the same moment. Please try again.") from None
        _announce(number)
        return number

    def rollback(self, number: int, author: str) -> int:
        """Publish the content of an earlier version as a new version (history is never rewritten)."""
        version = self.version(number)
        if version is None:
            raise PublishError(f"There is no version {number}.")
        return self.publish_entries(version.entries, author, f"Rollback to version {number}")

    # -- seed ---------------------------------------------------------------------

    def _get(self, connection: Any, name: str) -> str | None:
        return connection.execute(sa.select(meta_table.c.value).where(meta_table.c.name == name)).scalar()

    def _set(self, connection: Any, name: str, value: str) -> None:
        connection.execute(meta_table.delete().where(meta_table.c.name == name))
        connection.execute(meta_table.insert().values(name=name, value=value))

    def seed_from(self, directory: Path) -> int | None:
        """Import the YAML seed on a fresh database, or again when it changed and no operator published yet.

        A broken seed file refuses its own knowledge base only: the valid ones are imported, the broken
        one keeps its latest published version (absent when it never had one). `seed_refusals` says which.
        """
        loaded = load_directory(Path(directory))
        self.seed_refusals = {}
        if loaded.problems and not loaded.refused:
            logger.error("Knowledge seed %s not imported: %d problem(s), first: %s", directory, len(loaded.problems), loaded.problems[0])
            return None
        with self.engine.connect() as connection:
            edited = self._get(connection, "operator_edited") == "1"
            imported = self._get(connection, "seed_fingerprint")
            has_versions = connection.execute(sa.select(sa.func.count()).select_from(versions_table)).scalar()
        if has_versions and edited:
            added = self._add_seed_vocabulary(loaded.usable())
            if added is not None:
                return added
        if has_versions and edited:
            if imported != _fingerprint(loaded_data(loaded)) or loaded.refused:
                logger.warning("The knowledge seed in %s changed, but operators have published in the database; "
                               "the database is kept (import the seed YAML in the console to replace it).", directory)
            return None
        self.seed_refusals = {kb: list(problems) for kb, problems in loaded.refused.items()}
        items = self._with_last_good(loaded_data(loaded.usable()), loaded.refused)
        seed_print = _fingerprint(items)
        if has_versions and imported == seed_print:
            return None
        try:
            with self.engine.begin() as connection:
                number = self._write_version(connection, items, SEED_AUTHOR, f"Imported the seed from {Path(directory).name}/")
                self._set(connection, "seed_fingerprint", seed_print)
                self._set(connection, SEED_VOCABULARY, json.dumps({kb: v.to_dict() for kb, v in sorted(loaded.usable().vocabularies.items())},
                                                                  ensure_ascii=False, sort_keys=True))
        except sa.exc.IntegrityError:  # another process seeded at the same moment
            return None
        logger.info("Knowledge seed %s imported as version %d (%d entries)", directory, number, len(items))
        _announce(number)
        return number

    def _with_last_good(self, items: list[dict[str, Any]], refused: dict[str, list[Problem]]) -> list[dict[str, Any]]:
        """The seed's valid items plus, for each refused knowledge base, its items in the latest version."""
        if not refused:
            return items
        kept = [dict(i) for i in self.published() if i.get("kb") in refused]
        for kb, problems in sorted(refused.items()):
            count = sum(1 for i in kept if i.get("kb") == kb and not is_vocabulary(i))
            logger.error("Knowledge seed: knowledge base %s refused, %s. %d problem(s):\n  %s", kb,
                         f"keeping its last published version ({count} entries)" if count else "absent: no bot answers from it until it is fixed",
                         len(problems), "\n  ".join(str(p) for p in problems[:50]))
        merged = items + kept
        if kept and validate_entries(merged).problems:  # the old version clashes with the new seed: leave it out
            logger.error("Knowledge seed: the last published version of %s clashes with the new seed; it is left out",
                         ", ".join(sorted({i["kb"] for i in kept})))
            return items
        return merged

    def _add_seed_vocabulary(self, loaded: Loaded) -> int | None:
        """Upgrade: the words the seed's vocabularies gained since the database last took them reach a database
        whose operators have published (where the seed is no longer re-imported), once, as a version by the seed
        author that the history shows and a rollback undoes.

        Department words move from the code's general lexicon into the seed's `vocabulary:`; without this, an install
        whose operators had published would lose them. A knowledge base with entries and no vocabulary gets the
        seed's whole vocabulary. A word an operator removed stays removed until the seed gains it anew: the seed's
        words as last taken are kept in the database (`SEED_VOCABULARY`; a database older than that record takes
        every seed word it lacks, once).
        """
        published = self.published()
        kbs = {i["kb"] for i in published if not is_vocabulary(i)}
        seed = {kb: v.to_dict() for kb, v in sorted(loaded.vocabularies.items()) if kb in kbs}
        with self.engine.connect() as connection:
            taken = json.loads(self._get(connection, SEED_VOCABULARY) or "{}")
        items = [dict(i) for i in published]
        vocabularies = {i["kb"]: i for i in items if is_vocabulary(i)}
        added: dict[str, int] = {}
        for kb, concepts in seed.items():
            item = vocabularies.get(kb)
            if item is None:
                items.append(vocabulary_data(loaded.vocabularies[kb]))
                added[kb] = sum(len(_terms(value)) for value in concepts.values())
                continue
            vocabulary = dict(item.get("vocabulary") or {})
            for concept, value in concepts.items():
                before = set(_terms(taken.get(kb, {}).get(concept, [])))
                have = vocabulary.get(concept)
                new = [t for t in _terms(value) if t not in before and t not in set(_terms(have or []))]
                if not new:
                    continue
                vocabulary[concept] = _with_terms(have if have is not None else {**value, "terms": []} if isinstance(value, dict) else [], new)
                added[kb] = added.get(kb, 0) + len(new)
            item["vocabulary"] = vocabulary
        number = None
        if added:
            summary = ", ".join(f"{kb} ({count})" for kb, count in sorted(added.items()))
            try:
                number = self.publish_entries(items, SEED_AUTHOR, f"Added the words the seed's vocabularies gained: {summary}")
            except PublishError as error:
                logger.error("Could not add the seed's vocabulary words to the knowledge database: %s", error)
                return None
            logger.warning("Knowledge database: added the words the seed's vocabularies gained (%s) as version %d; operators "
                           "published here, so the seed is not re-imported (department words used to live in the code)", summary, number)
        if added or taken != json.loads(json.dumps(seed)):  # no write at every start-up
            with self.engine.begin() as connection:
                self._set(connection, SEED_VOCABULARY, json.dumps(seed, ensure_ascii=False, sort_keys=True))
        return number


def _terms(value: Any) -> list[str]:
    """A stored concept's terms: a list, or the `terms` of {terms, implies}."""
    return list(value.get("terms") or []) if isinstance(value, dict) else list(value or [])


def _with_terms(value: Any, extra: list[str]) -> Any:
    """A stored concept with `extra` terms after its own, in the form it had."""
    if isinstance(value, dict):
        return {**value, "terms": [*_terms(value), *extra]}
    return [*_terms(value), *extra]


def _announce(number: int) -> None:
    """After a commit: tell the other replicas (knowledge.notices; they poll when Redis is absent)."""
    announce(number)


class DatabaseSource:
    """A `KnowledgeSource` over the latest published version of a knowledge database."""

    #: Every replica reads the same database: another's publish reaches this one by notice (knowledge.notices).
    shared = True

    def __init__(self, database: KnowledgeDatabase) -> None:
        self.database = database

    def signature(self) -> str:
        return str(self.database.latest_number())

    @property
    def refused(self) -> dict[str, list[Problem]]:
        """The seed's refused knowledge bases (the database itself only holds validated versions)."""
        return self.database.seed_refusals

    def load(self) -> Loaded:
        version = self.database.version()
        if version is None:
            return Loaded([], [Problem(str(self.database), 0, "The knowledge database has no published version.",
                                       "Import knowledge base YAML in the console, or check the seed folder.")])
        try:  # every version was validated whole before it was written: rebuild it fast
            origin = f"version {version.number}"
            vocabularies = [vocabulary_from_data(i, origin) for i in version.entries if is_vocabulary(i)]
            return Loaded([entry_from_data(i, origin) for i in version.entries if not is_vocabulary(i)], [],
                          {v.kb: v for v in vocabularies})
        except (KeyError, TypeError, ValueError, AttributeError):  # edited by hand in the database
            return validate_entries(version.entries, name=f"version {version.number}")

    def __repr__(self) -> str:
        return f"DatabaseSource({self.database!r})"


#: `HKBOT_KNOWLEDGE_DB` values that keep a file-based install on the YAML folder.
FILES_MODE = ("files", "yaml", "off")


def database_source() -> DatabaseSource | None:
    """The shared store's database source, seeded from the YAML folder; None for a file-based install.

    File-based: `HKBOT_KNOWLEDGE_DB=files`, or `HKBOT_KNOWLEDGE_DIR` set without `HKBOT_KNOWLEDGE_DB`.
    """
    url = os.environ.get(DB_ENV, "").strip()
    if url.lower() in FILES_MODE or (not url and knowledge_dir_chosen()):
        return None
    try:
        database = KnowledgeDatabase(url or None)
        database.seed_from(knowledge_dir())
    except sa.exc.SQLAlchemyError as error:
        if url:  # an operator's explicit database must not be silently replaced by files
            raise RuntimeError(f"{DB_ENV}: cannot open the knowledge database: {error}") from error
        logger.error("Cannot open the default knowledge database (%s); serving the YAML files of %s instead", error, knowledge_dir())
        return None
    return DatabaseSource(database)
