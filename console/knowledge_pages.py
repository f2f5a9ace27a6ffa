"""Console pages for the knowledge: list and filter, edit side by side, check, publish, try it, versions, import/export."""
from __future__ import annotations

import datetime as dt
import functools
import re
import time
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import urlencode

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from console import audit, review
from console.departments import department_label, department_names
from console.knowledge_filters import DAY_CHOICES, GAP_OPTIONS, Criteria, KnowledgeFilter, criteria_from, language_gaps
from console.knowledge_filters import filter_items  # noqa: F401 (callers and tests import it from here)
from console.web import MAX_UPLOAD_BYTES, _form, _redirect, error_page, guard, render, run
from knowledge import csv_io, history
from knowledge.confusion import confusion_warnings
from knowledge.db_store import (
    KnowledgeDatabase,
    PublishError,
    entry_data,
    is_vocabulary,
    validate_entries,
    vocabulary_data,
    vocabulary_id,
)
from knowledge.index import KnowledgeIndex
from knowledge.live import shared_database, shared_store
from knowledge.schema import CONCEPT_ID, HTML_TAG, KB_NAME, TEXT_LANGUAGES, TOPIC_ID, Concept
from knowledge.versions import diff_entries, field_changes
from nlu.language_id import detect_language


def _database():
    return shared_database()


def no_database(request: Request) -> HTTPResponse:
    return error_page(request, 409, "This server reads knowledge from YAML files (HKBOT_KNOWLEDGE_DIR or "
                                    "HKBOT_KNOWLEDGE_DB=files): edit those files, or unset them to use the console's database.")


def with_database(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
    """Routes that change knowledge get the database store as `database`; a YAML-only server says how to edit instead."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        database = _database()
        if database is None:
            return no_database(request)
        return await handler(request, *args, database=database, **kwargs)

    return wrapped


def _bot_kbs(bots: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(getattr(config, "knowledge_bases", ()) or ()) for name, config in bots.items()}


def _bots_using(kb: str, bots: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, kbs in _bot_kbs(bots).items() if kb in kbs)


def _changes_for(database: KnowledgeDatabase, criteria: Criteria) -> history.Changes | None:
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
        data[group] = {lang: _form(request, f"{group}.{lang}").strip() for lang in TEXT_LANGUAGES if _form(request, f"{group}.{lang}").strip()}
    data["questions"] = {}
    for lang in TEXT_LANGUAGES:
        lines = [line.strip() for line in _form(request, f"questions.{lang}").splitlines() if line.strip()]
        if lines:
            data["questions"][lang] = lines
    data["source"] = _form(request, "source").strip()
    data["updated"] = _form(request, "updated").strip() or dt.date.today().isoformat()
    for key in ("tags", "related"):
        values = [v.strip() for v in _form(request, key).replace("\n", ",").split(",") if v.strip()]
        if values:
            data[key] = values
    return data


def _warnings_for(database, data: dict[str, Any]) -> list:
    """Confusion warnings (knowledge.confusion) about this entry, in the knowledge as it would be with it changed.

    For a knowledge base's vocabulary item: the warnings of all its entries (a vocabulary moves every one).
    """
    items = [e for e in database.proposed() if e["id"] != data["id"]]
    items.append(data)
    loaded = validate_entries(items, name="draft")
    if loaded.problems:
        return []
    index = KnowledgeIndex(loaded.entries, vocabularies=loaded.vocabularies, persist=False)  # a draft may quote a citizen
    warnings = confusion_warnings(index, [data.get("kb") or data["id"].split(".")[0]])
    if is_vocabulary(data):
        return warnings
    return [w for w in warnings if w.entry_id == data["id"] or f"'{data['id']}'" in w.message]


def _live_warnings(entry_ids: set[str]) -> list:
    """Confusion warnings about these entries in the live knowledge."""
    index = shared_store().index()
    kbs = {index.entries[i].kb for i in entry_ids if i in index.entries}
    return [w for w in confusion_warnings(index, kbs) if w.entry_id in entry_ids] if kbs else []


def entry_titles(*versions: list[dict[str, Any]]) -> dict[str, str]:
    """Entry id -> English title across stored entry lists (the first list wins), for pages that name entries."""
    titles: dict[str, str] = {}
    for entries in reversed(versions):
        for item in entries:
            title = item.get("title")
            titles[item["id"]] = str(title.get("en") or item["id"]) if isinstance(title, dict) else str(item["id"])
    return titles


def _problems_for(database, data: dict[str, Any]) -> list:
    """Validation problems of the knowledge as it would be with this entry changed."""
    items = [e for e in database.proposed() if e["id"] != data["id"]]
    items.append(data)
    return validate_entries(items, name="draft")[1]


def register(app: Sanic, bots: Mapping[str, Any]) -> None:
    kb_names = sorted({kb for kbs in _bot_kbs(bots).values() for kb in kbs})

    @app.get("/console/knowledge", name="console_knowledge")
    @guard("knowledge")
    async def knowledge_list(request: Request) -> HTTPResponse:
        database = _database()
        if database is None:
            items = [entry_data(e) for e in shared_store().entries()]
            drafts = {}
            vocabulary_kbs = sorted(shared_store().snapshot.vocabularies)
            latest, headers = 0, []
        else:
            items, drafts, headers = await run(lambda: (database.published(), database.drafts(), history.headers(database)))
            items = items + [d.data for d in drafts.values() if d.data and d.data["id"] not in {i["id"] for i in items}]
            vocabulary_kbs = sorted({i["kb"] for i in items} | {d.kb for d in drafts.values()})
            latest = headers[0].number if headers else 0
        entries = [i for i in items if not is_vocabulary(i)]
        kbs = kb_names or sorted({i["kb"] for i in entries})
        criteria = criteria_from(request.args, bots, sorted(set(kbs) | {i["kb"] for i in entries}), latest)
        problems = list(criteria.problems)
        changes = None
        if criteria.recent and database is None:
            problems.append("This server reads the YAML files, which keep no version history: the recent-changes filter was ignored.")
        elif criteria.recent:
            changes = await run(_changes_for, database, criteria)
        listing = KnowledgeFilter(entries, _bot_kbs(bots), changes.ids() if changes else None)
        # A text search normalises every entry's texts (~0.3 s for 170 topics): off the event loop.
        shown, department_counts, gap_counts = await run(lambda: (listing.apply(criteria), listing.department_counts(criteria),
                                                                  listing.gap_counts(criteria)))
        names = department_names(entries)
        return render(request, "knowledge.html", items=shown, total=len(entries), drafts=drafts, args=criteria,
                      criteria=criteria, problems=problems, changes=changes, headers=headers,
                      department_counts=department_counts, gap_counts=gap_counts,
                      gaps_of=lambda item: [GAP_OPTIONS[g] for g in GAP_OPTIONS if g in language_gaps(item)],
                      gap_options=GAP_OPTIONS, day_choices=sorted({*DAY_CHOICES, *([criteria.days] if criteria.days else [])}),
                      departments=names, department_label=lambda kb: department_label(kb, names),
                      bots=sorted(bots), kbs=kbs, languages=TEXT_LANGUAGES,
                      database=database is not None, bots_using=lambda kb: _bots_using(kb, bots),
                      vocabulary_kbs=vocabulary_kbs, vocabulary_id=vocabulary_id, urlencode=urlencode)

    async def entry_page(request: Request, entry_id: str, data: dict[str, Any] | None = None, problems=None,
                         checked: bool = False, status: int = 200, new: bool = False, from_review: str = "",
                         warnings=None) -> HTTPResponse:
        database = _database()
        published = next((e for e in (await run(database.published)) if e["id"] == entry_id), None) if database else None
        draft = await run(database.draft, entry_id) if database else None
        if data is None:
            data = (draft.data if draft and draft.data else None) or published
        if data is None and not new:
            return error_page(request, 404, f"There is no entry '{entry_id}'.")
        changes = field_changes(published, draft.data) if draft and draft.data else ()
        return render(request, "entry.html", status=status, entry=data or {"id": entry_id, "kb": entry_id.split(".")[0]},
                      published=published, draft=draft, problems=problems or [], checked=checked, changes=changes,
                      languages=TEXT_LANGUAGES, new=new, kbs=kb_names, from_review=from_review, warnings=warnings or [],
                      bots_using=_bots_using((data or {}).get("kb", entry_id.split(".")[0]), bots), database=database is not None)

    @app.get("/console/knowledge/entry/<entry_id:str>", name="console_entry")
    @guard("knowledge")
    async def entry_get(request: Request, entry_id: str) -> HTTPResponse:
        if not TOPIC_ID.match(entry_id):  # e.g. a knowledge base's `<kb>._vocabulary`: it has its own page
            return error_page(request, 404, f"There is no entry '{entry_id[:100]}'.")
        return await entry_page(request, entry_id)

    @app.get("/console/knowledge/new", name="console_entry_new")
    @guard("draft")
    async def entry_new(request: Request) -> HTTPResponse:
        if _database() is None:
            return no_database(request)
        key = (request.args.get("from") or "")[:500]
        group = await run(review.group, key) if key else None
        data: dict[str, Any] = {"id": "", "kb": request.args.get("kb") or (kb_names[0] if kb_names else ""),
                                "title": {}, "answer": {}, "questions": {}, "source": "", "updated": dt.date.today().isoformat()}
        if group is not None:
            data["questions"] = {review_language(group.text): [group.text]}
        return await entry_page(request, "", data=data, new=True, from_review=key if group else "")

    @app.post("/console/knowledge/entry", name="console_entry_create")
    @guard("draft")
    @with_database
    async def entry_create(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
        kb, topic = _form(request, "kb").strip(), _form(request, "topic").strip()
        entry_id = f"{kb}.{topic}"
        data = entry_from_form(request, entry_id, kb)
        from_review = _form(request, "from_review")[:500]
        if not TOPIC_ID.match(entry_id):
            return await entry_page(request, "", data=data, new=True, status=422, from_review=from_review,
                                    problems=[_Problem("The topic is lower-case letters, digits and '_', e.g. 'opening_hours'.")])
        if any(e["id"] == entry_id for e in await run(database.proposed)):
            return await entry_page(request, "", data=data, new=True, status=422, from_review=from_review,
                                    problems=[_Problem(f"An entry '{entry_id}' already exists: open it to edit it.")])
        problems = await run(_problems_for, database, data)
        if problems:
            return await entry_page(request, "", data=data, new=True, problems=problems, status=422, from_review=from_review)
        user = request.ctx.session.user.name
        await run(database.save_draft, data, user)
        await run(audit.record, user, "draft.create", entry_id, "")
        if from_review:
            await run(review.resolve, from_review, "drafted")
            await run(audit.record, user, "review.drafted", from_review[:200], entry_id)
        return _redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")

    @app.post("/console/knowledge/entry/<entry_id:str>", name="console_entry_save")
    @guard("draft")
    @with_database
    async def entry_save(request: Request, entry_id: str, database: KnowledgeDatabase) -> HTTPResponse:
        if not TOPIC_ID.match(entry_id):  # a vocabulary is edited on its own page, never as an entry
            return error_page(request, 404, f"There is no entry '{entry_id[:100]}'.")
        action, user = _form(request, "action", "save"), request.ctx.session.user.name
        if action == "discard":
            if await run(database.discard_draft, entry_id):
                await run(audit.record, user, "draft.discard", entry_id, "")
            return _redirect(f"/console/knowledge/entry/{entry_id}?ok=discarded")
        if action == "delete":
            current = next((e for e in await run(database.published) if e["id"] == entry_id), None)
            if current is None:
                return error_page(request, 404, f"There is no published entry '{entry_id}'.")
            await run(lambda: database.save_draft(None, user, entry_id=entry_id, kb=current["kb"]))
            await run(audit.record, user, "draft.delete", entry_id, "")
            return _redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")
        kb = _form(request, "kb") or entry_id.split(".", 1)[0]
        data = entry_from_form(request, entry_id, kb)
        problems = await run(_problems_for, database, data)
        if action == "check" or problems:
            warnings = await run(_warnings_for, database, data) if action == "check" and not problems else []
            return await entry_page(request, entry_id, data=data, problems=problems, checked=True,
                                    status=422 if problems else 200, warnings=warnings)
        await run(database.save_draft, data, user)
        published = next((e for e in await run(database.published) if e["id"] == entry_id), None)
        summary = "; ".join(change.field for change in field_changes(published, data))
        await run(audit.record, user, "draft.save", entry_id, summary or "no change")
        return _redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")

    async def vocabulary_page(request: Request, kb: str, text: str | None = None, problems=None, checked: bool = False,
                              status: int = 200, proposed: dict[str, Any] | None = None, warnings=None) -> HTTPResponse:
        database = _database()
        item_id = vocabulary_id(kb)
        if database is None:  # a YAML-only server: read-only, from the live store
            store = shared_store()
            known = {e.kb for e in store.entries()} | set(store.snapshot.vocabularies)
            vocabulary = store.snapshot.vocabularies.get(kb)
            published = vocabulary_data(vocabulary) if vocabulary is not None else None
            draft = None
        else:
            items, draft = await run(lambda: (database.published(), database.draft(item_id)))
            known = {i["kb"] for i in items} | {d.kb for d in (await run(database.drafts)).values()}
            published = next((i for i in items if i["id"] == item_id), None)
        if not KB_NAME.match(kb) or kb not in known:
            return error_page(request, 404, f"There is no knowledge base '{kb[:100]}'.")
        shown = (draft.data if draft else None) or published
        if text is None:
            text = vocabulary_text((shown or {}).get("vocabulary") or {})
        changes = field_changes(published, draft.data) if draft else ()
        checked_changes = field_changes(published, proposed) if proposed is not None else ()
        return render(request, "vocabulary.html", status=status, kb=kb, item_id=item_id, text=text, published=published,
                      draft=draft, changes=changes, checked_changes=checked_changes, problems=problems or [],
                      checked=checked, concepts=len((shown or {}).get("vocabulary") or {}),
                      bots_using=_bots_using(kb, bots), database=database is not None, max_kb=MAX_VOCABULARY_BYTES // 1024,
                      warnings=warnings or [])

    @app.get("/console/knowledge/vocabulary/<kb:str>", name="console_vocabulary")
    @guard("knowledge")
    async def vocabulary_get(request: Request, kb: str) -> HTTPResponse:
        return await vocabulary_page(request, kb)

    @app.post("/console/knowledge/vocabulary/<kb:str>", name="console_vocabulary_save")
    @guard("draft")
    @with_database
    async def vocabulary_save(request: Request, kb: str, database: KnowledgeDatabase) -> HTTPResponse:
        item_id, user = vocabulary_id(kb), request.ctx.session.user.name
        items = await run(database.published)
        known = {i["kb"] for i in items} | {d.kb for d in (await run(database.drafts)).values()}
        if not KB_NAME.match(kb) or kb not in known:
            return error_page(request, 404, f"There is no knowledge base '{kb[:100]}'.")
        action = _form(request, "action", "save")
        if action == "discard":
            if await run(database.discard_draft, item_id):
                await run(audit.record, user, "draft.discard", item_id, "")
            return _redirect(f"/console/knowledge/vocabulary/{kb}?ok=discarded")
        if action not in ("check", "save"):
            return error_page(request, 400, "Unknown action: use Check, Save draft or Discard draft.")
        text = _form(request, "vocabulary")
        vocabulary, problems = parse_vocabulary_text(text)
        shown_text = text if len(text.encode("utf-8")) <= MAX_VOCABULARY_BYTES else ""
        if problems:
            return await vocabulary_page(request, kb, text=shown_text, problems=problems, checked=True, status=422)
        item = {"kb": kb, "id": item_id, "vocabulary": vocabulary}
        problems = _locate(await run(_problems_for, database, item), text)
        if action == "check" or problems:
            return await vocabulary_page(request, kb, text=text, problems=problems, checked=True,
                                         status=422 if problems else 200, proposed=None if problems else item,
                                         warnings=await run(_warnings_for, database, item) if action == "check" and not problems else [])
        await run(database.save_draft, item, user)
        published = next((i for i in items if i["id"] == item_id), None)
        summary = "; ".join(change.field for change in field_changes(published, item))
        await run(audit.record, user, "draft.save", item_id, summary[:3000] or "no change")
        return _redirect(f"/console/knowledge/vocabulary/{kb}?ok=saved")

    @app.get("/console/knowledge/publish", name="console_publish_confirm")
    @guard("publish")
    @with_database
    async def publish_confirm(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
        """Before publishing every draft at once: only what would change, then a confirmation."""
        published, proposed = await run(lambda: (database.published(), database.proposed()))
        changes = diff_entries(published, proposed)
        return render(request, "publish_all.html", changes=changes, titles=entry_titles(proposed, published))

    @app.post("/console/knowledge/publish", name="console_publish")
    @guard("publish")
    @with_database
    async def publish(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
        user = request.ctx.session.user.name
        entry_id = _form(request, "entry_id").strip()
        if not entry_id and _form(request, "confirm") != "yes":  # every draft at once: confirmed on the page that shows them
            return _redirect("/console/knowledge/publish")
        ids = [entry_id] if entry_id else None
        try:
            number = await run(lambda: database.publish(user, ids, _form(request, "message")[:500]))
        except PublishError as error:
            return render(request, "problems.html", status=422, message=str(error), problems=error.problems)
        await run(shared_store().check)  # live in this process now; other processes poll within 0.5 s
        await run(audit.record, user, "publish", f"version {number}", entry_id or "all drafts")
        return _redirect(f"/console/versions/{number}?ok=published")

    @app.get("/console/versions", name="console_versions")
    @guard("knowledge")
    @with_database
    async def versions(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
        listed = await run(database.versions)
        return render(request, "versions.html", versions=listed)

    @app.get("/console/versions/<number:int>", name="console_version")
    @guard("knowledge")
    @with_database
    async def version(request: Request, number: int, database: KnowledgeDatabase) -> HTTPResponse:
        this, before, latest = await run(lambda: (database.version(number), database.version(number - 1), database.latest_number()))
        if this is None:
            return error_page(request, 404, f"There is no version {number}.")
        changes = diff_entries(before.entries if before else [], this.entries)
        changed = {c.entry_id for c in changes if c.kind != "removed"}
        warnings = await run(_live_warnings, changed) if number == latest and changed and len(changed) <= 50 else []
        return render(request, "version.html", version=this, changes=changes, latest=latest, warnings=warnings,
                      titles=entry_titles(this.entries, before.entries if before else []))

    @app.get("/console/versions/<number:int>/rollback", name="console_rollback_confirm")
    @guard("publish")
    @with_database
    async def rollback_confirm(request: Request, number: int, database: KnowledgeDatabase) -> HTTPResponse:
        """Before a rollback: only what differs from the live version, and a button that says what it does."""
        this, latest = await run(lambda: (database.version(number), database.latest_number()))
        live = await run(database.version, latest)
        if this is None or live is None:
            return error_page(request, 404, f"There is no version {number}.")
        changes = diff_entries(live.entries, this.entries)
        counts = {kind: sum(c.kind == kind for c in changes) for kind in ("changed", "added", "removed")}
        return render(request, "rollback.html", version=this, latest=latest, changes=changes, counts=counts,
                      titles=entry_titles(this.entries, live.entries))

    @app.post("/console/versions/<number:int>/rollback", name="console_rollback")
    @guard("publish")
    @with_database
    async def rollback(request: Request, number: int, database: KnowledgeDatabase) -> HTTPResponse:
        if _form(request, "confirm") != "yes":  # a whole-knowledge change is confirmed on the page that shows it
            return _redirect(f"/console/versions/{number}/rollback")
        user = request.ctx.session.user.name
        try:
            new = await run(database.rollback, number, user)
        except PublishError as error:
            return render(request, "problems.html", status=422, message=str(error), problems=error.problems)
        await run(shared_store().check)
        await run(audit.record, user, "rollback", f"version {new}", f"content of version {number}")
        return _redirect(f"/console/versions/{new}?ok=rolled_back")

    @app.get("/console/try", name="console_try")
    @guard("knowledge")
    async def try_it(request: Request) -> HTTPResponse:
        text = (request.args.get("q") or "").strip()[:500]
        results = await try_bots(app, bots, text) if text else []
        return render(request, "try.html", q=text, results=results)

    @app.get("/console/knowledge/export.csv", name="console_export_csv")
    @guard("knowledge")
    async def export_csv(request: Request) -> HTTPResponse:
        items = await run(_published_items)
        await run(audit.record, request.ctx.session.user.name, "export", "csv", "")
        return response.raw(csv_io.to_csv(items), content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="knowledge.csv"', "Cache-Control": "no-store"})

    @app.get("/console/knowledge/export/<filename:str>", name="console_export_yaml")
    @guard("knowledge")
    async def export_yaml(request: Request, filename: str) -> HTTPResponse:
        kb = filename[:-4] if filename.endswith(".yml") else ""
        items = await run(_published_items)
        if kb not in {i["kb"] for i in items}:
            return error_page(request, 404, f"There is no knowledge base '{kb}'.")
        await run(audit.record, request.ctx.session.user.name, "export", f"{kb}.yml", "")
        return response.text(csv_io.to_yaml(items, kb), content_type="application/yaml; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{kb}.yml"', "Cache-Control": "no-store"})

    @app.get("/console/knowledge/import", name="console_import_page")
    @guard("draft")
    async def import_page(request: Request) -> HTTPResponse:
        return render(request, "import.html", kbs=kb_names)

    @app.post("/console/knowledge/import", name="console_import")
    @guard("draft")
    @with_database
    async def import_upload(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
        upload = request.files.get("file") if request.files else None
        if upload is None or not upload.body:
            return render(request, "import.html", status=400, kbs=kb_names, error="Choose a .csv or .yml file to import.")
        if len(upload.body) > MAX_UPLOAD_BYTES:
            return render(request, "import.html", status=413, kbs=kb_names, error="The file is over 2 MiB.")
        name = (upload.name or "upload")[:100]
        reader = csv_io.from_csv if name.lower().endswith(".csv") else csv_io.from_yaml
        items, problems = await run(reader, upload.body, name)
        if problems:
            return render(request, "import.html", status=422, kbs=kb_names, problems=problems, error=f"Nothing imported: {len(problems)} problem(s).")
        user = request.ctx.session.user.name
        published = {e["id"]: e for e in await run(database.published)}
        changed = [item for item in items if published.get(item["id"]) != item]
        merged = csv_io.merge(await run(database.proposed), changed)
        _entries, problems = await run(validate_entries, merged)
        if problems:
            return render(request, "import.html", status=422, kbs=kb_names, problems=problems, error=f"Nothing imported: {len(problems)} problem(s).")
        for item in changed:
            await run(database.save_draft, item, user)
        await run(audit.record, user, "import", name, f"{len(changed)} draft(s): {', '.join(i['id'] for i in changed)[:3000]}")
        return _redirect("/console/knowledge?ok=imported")


class _Problem:
    """A form problem shaped like knowledge.schema.Problem for the templates."""

    def __init__(self, message: str, fix: str = "", line: int = 0) -> None:
        self.message, self.fix, self.file, self.line = message, fix, "", line


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
        return {}, [_Problem(f"The vocabulary text is {len(text.encode('utf-8')) // 1024} KB, over the {MAX_VOCABULARY_BYTES // 1024} KB limit.",
                             "Keep the words citizens use for this department's own things, one concept per line; "
                             "put questions in entries.")]
    if "\x00" in text:
        return {}, [_Problem("The vocabulary text contains binary data.", "Type or paste plain text: " + LINE_FIX)]
    vocabulary: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    problems: list = []

    def problem(number: int, message: str, fix: str = LINE_FIX) -> None:
        problems.append(_Problem(f"Line {number}: {message}", fix, number))

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
        problems = [*problems[:MAX_LINE_PROBLEMS], _Problem(f"... and {more} more line(s) with problems.", LINE_FIX)]
    if not problems and not vocabulary:
        problems.append(_Problem("The vocabulary is empty.", "Write one concept per line: " + LINE_FIX))
    return vocabulary, problems


def _lines(text: str) -> list[str]:
    """The lines of a textarea as the operator counts them (browsers send CRLF; no other separators)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _locate(problems: list, text: str) -> list:
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
        located.append(_Problem(f"Line {number}: {p.message}", p.fix, number) if number else p)
    return located


#: The concept a knowledge.validation vocabulary problem is about.
_CONCEPT_PROBLEM = re.compile(r"^Vocabulary (?:concept '([a-z0-9_]+)'|term '.*' of '([a-z0-9_]+)')")


def _published_items() -> list[dict[str, Any]]:
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
            parse = {"intent": {}, "faq": store.index().decide(text, kbs).to_dict()}
        faq = parse.get("faq") or {}
        intent = parse.get("intent") or {}
        language = parse.get("language") if isinstance(parse.get("language"), str) else "zh-Hant"
        top = store.entry(faq.get("top")) if faq.get("top") else None
        matches = [{**m, "title": (store.entry(m["id"]).title_in("en") if store.entry(m["id"]) else m["id"])}
                   for m in faq.get("matches") or []]
        results.append({
            "bot": name, "intent": intent.get("name"), "confidence": intent.get("confidence"), "language": language,
            "threshold": faq.get("threshold"), "matches": matches, "ambiguous": faq.get("ambiguous") or [],
            "answer": top.answer_in(language) if top and intent.get("name") == "faq" else None,
            "top": faq.get("top"),
        })
    return results
