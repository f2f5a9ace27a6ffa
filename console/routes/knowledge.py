"""Console routes for the knowledge: the filtered list, an entry side by side, a vocabulary as text, try it."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from console import audit, review
from console.context import bot_kbs, console_of
from console.departments import department_label, department_names
from console.knowledge_filters import DAY_CHOICES, GAP_OPTIONS, KnowledgeFilter, criteria_from, language_gaps
from console.knowledge_pages import (MAX_VOCABULARY_BYTES, FormProblem, bots_using, changes_for, edit_base, entry_from_form,
                                     knowledge_database,
                                     locate, no_database, parse_vocabulary_text, problems_for, review_language, try_bots,
                                     vocabulary_text, warnings_for, with_database)
from console.pages import error_page, form, guard, redirect, render, run
from knowledge import history
from knowledge.db_store import KnowledgeDatabase, entry_data, is_vocabulary, vocabulary_data, vocabulary_id
from knowledge.live import shared_store
from knowledge.schema import KB_NAME, TEXT_LANGUAGES, TOPIC_ID
from knowledge.versions import field_changes

bp = Blueprint("console_knowledge")


@bp.get("/console/knowledge", name="knowledge")
@guard("knowledge")
async def knowledge_list(request: Request) -> HTTPResponse:
    bots = console_of(request).bots
    kb_names = console_of(request).kb_names
    database = knowledge_database()
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
        changes = await run(changes_for, database, criteria)
    listing = KnowledgeFilter(entries, bot_kbs(bots), changes.ids() if changes else None)
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
                  database=database is not None, bots_using=lambda kb: bots_using(kb, bots),
                  vocabulary_kbs=vocabulary_kbs, vocabulary_id=vocabulary_id, urlencode=urlencode)


async def entry_page(request: Request, entry_id: str, data: dict[str, Any] | None = None, problems=None,
                     checked: bool = False, status: int = 200, new: bool = False, from_review: str = "",
                     warnings=None, base: str = "") -> HTTPResponse:
    """The entry's page; `base` is what the operator's form was opened on, kept through Check and refusals (a
    re-rendered form must not adopt a colleague's later change as its own)."""
    bots = console_of(request).bots
    kb_names = console_of(request).kb_names
    database = knowledge_database()
    if database is not None:
        published = next((e for e in (await run(database.published)) if e["id"] == entry_id), None)
    else:  # a server that reads the YAML files shows its entries read-only
        published = next((entry_data(e) for e in shared_store().entries() if e.id == entry_id), None)
    draft = await run(database.draft, entry_id) if database else None
    if data is None:
        data = (draft.data if draft and draft.data else None) or published
    if data is None and not new:
        return error_page(request, 404, f"There is no entry '{entry_id}'.")
    changes = field_changes(published, draft.data) if draft and draft.data else ()
    return render(request, "entry.html", status=status, entry=data or {"id": entry_id, "kb": entry_id.split(".")[0]},
                  published=published, draft=draft, problems=problems or [], checked=checked, changes=changes,
                  base=base or edit_base(published, draft),
                  languages=TEXT_LANGUAGES, new=new, kbs=kb_names, from_review=from_review, warnings=warnings or [],
                  bots_using=bots_using((data or {}).get("kb", entry_id.split(".")[0]), bots), database=database is not None)


@bp.get("/console/knowledge/entry/<entry_id:str>", name="entry")
@guard("knowledge")
async def entry_get(request: Request, entry_id: str) -> HTTPResponse:
    if not TOPIC_ID.match(entry_id):  # e.g. a knowledge base's `<kb>._vocabulary`: it has its own page
        return error_page(request, 404, f"There is no entry '{entry_id[:100]}'.")
    return await entry_page(request, entry_id)


@bp.get("/console/knowledge/new", name="entry_new")
@guard("draft")
async def entry_new(request: Request) -> HTTPResponse:
    kb_names = console_of(request).kb_names
    if knowledge_database() is None:
        return no_database(request)
    key = (request.args.get("from") or "")[:500]
    group = await run(review.group, key) if key else None
    data: dict[str, Any] = {"id": "", "kb": request.args.get("kb") or (kb_names[0] if kb_names else ""),
                            "title": {}, "answer": {}, "questions": {}, "source": "", "updated": dt.date.today().isoformat()}
    if group is not None:
        data["questions"] = {review_language(group.text): [group.text]}
    return await entry_page(request, "", data=data, new=True, from_review=key if group else "")


@bp.post("/console/knowledge/entry", name="entry_create")
@guard("draft")
@with_database
async def entry_create(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
    kb, topic = form(request, "kb").strip(), form(request, "topic").strip()
    entry_id = f"{kb}.{topic}"
    data = entry_from_form(request, entry_id, kb)
    from_review = form(request, "from_review")[:500]
    if not TOPIC_ID.match(entry_id):
        return await entry_page(request, "", data=data, new=True, status=422, from_review=from_review,
                                problems=[FormProblem("The topic is lower-case letters, digits and '_', e.g. 'opening_hours'.")])
    if any(e["id"] == entry_id for e in await run(database.proposed)):
        return await entry_page(request, "", data=data, new=True, status=422, from_review=from_review,
                                problems=[FormProblem(f"An entry '{entry_id}' already exists: open it to edit it.")])
    problems = await run(problems_for, database, data)
    if problems:
        return await entry_page(request, "", data=data, new=True, problems=problems, status=422, from_review=from_review)
    user = request.ctx.session.user.name
    await run(database.save_draft, data, user)
    await run(audit.record, user, "draft.create", entry_id, "")
    if from_review:
        await run(review.resolve, from_review, "drafted")
        await run(audit.record, user, "review.drafted", from_review[:200], entry_id)
    return redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")


@bp.post("/console/knowledge/entry/<entry_id:str>", name="entry_save")
@guard("draft")
@with_database
async def entry_save(request: Request, entry_id: str, database: KnowledgeDatabase) -> HTTPResponse:
    if not TOPIC_ID.match(entry_id):  # a vocabulary is edited on its own page, never as an entry
        return error_page(request, 404, f"There is no entry '{entry_id[:100]}'.")
    action, user = form(request, "action", "save"), request.ctx.session.user.name
    published = next((e for e in await run(database.published) if e["id"] == entry_id), None)
    draft = await run(database.draft, entry_id)
    if action in ("discard", "delete") and form(request, "confirm") != "yes":  # never one reflex click
        if (action == "discard" and draft is None) or (action == "delete" and published is None):
            return redirect(f"/console/knowledge/entry/{entry_id}")
        return render(request, "entry_confirm.html", action=action, entry_id=entry_id, draft=draft,
                      page=f"/console/knowledge/entry/{entry_id}",
                      bots_using=bots_using(str((published or {}).get("kb") or entry_id.split(".", 1)[0]), console_of(request).bots))
    if action == "discard":
        if await run(database.discard_draft, entry_id):
            await run(audit.record, user, "draft.discard", entry_id, "")
        return redirect(f"/console/knowledge/entry/{entry_id}?ok=discarded")
    if action == "delete":
        if published is None:
            return error_page(request, 404, f"There is no published entry '{entry_id}'.")
        await run(lambda: database.save_draft(None, user, entry_id=entry_id, kb=published["kb"]))
        await run(audit.record, user, "draft.delete", entry_id, "")
        return redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")
    kb = form(request, "kb") or entry_id.split(".", 1)[0]
    data = entry_from_form(request, entry_id, kb)
    base = form(request, "base")
    if action == "save" and base and base != edit_base(published, draft):
        # Someone saved or published this entry after the form was opened: keep the operator's text, save nothing.
        who = f"{draft.author} saved a draft of it" if draft else "it was published or its draft discarded"
        conflict = FormProblem(f"This topic changed after you opened it ({who}). Your text below is NOT saved yet.",
                               "Open the topic in a new tab to see the current version, copy your changes into it "
                               "(or press Save draft here again to replace it with yours).")
        return await entry_page(request, entry_id, data=data, problems=[conflict], status=409)
    problems = await run(problems_for, database, data)
    if action == "check" or problems:
        warnings = await run(warnings_for, database, data) if action == "check" and not problems else []
        return await entry_page(request, entry_id, data=data, problems=problems, checked=True,
                                status=422 if problems else 200, warnings=warnings, base=base)
    await run(database.save_draft, data, user)
    summary = "; ".join(change.field for change in field_changes(published, data))
    await run(audit.record, user, "draft.save", entry_id, summary or "no change")
    return redirect(f"/console/knowledge/entry/{entry_id}?ok=saved")


async def vocabulary_page(request: Request, kb: str, text: str | None = None, problems=None, checked: bool = False,
                          status: int = 200, proposed: dict[str, Any] | None = None, warnings=None,
                          base: str = "") -> HTTPResponse:
    bots = console_of(request).bots
    database = knowledge_database()
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
                  bots_using=bots_using(kb, bots), database=database is not None, max_kb=MAX_VOCABULARY_BYTES // 1024,
                  warnings=warnings or [], base=base or edit_base(published, draft))


@bp.get("/console/knowledge/vocabulary/<kb:str>", name="vocabulary")
@guard("knowledge")
async def vocabulary_get(request: Request, kb: str) -> HTTPResponse:
    return await vocabulary_page(request, kb)


@bp.post("/console/knowledge/vocabulary/<kb:str>", name="vocabulary_save")
@guard("draft")
@with_database
async def vocabulary_save(request: Request, kb: str, database: KnowledgeDatabase) -> HTTPResponse:
    item_id, user = vocabulary_id(kb), request.ctx.session.user.name
    items = await run(database.published)
    known = {i["kb"] for i in items} | {d.kb for d in (await run(database.drafts)).values()}
    if not KB_NAME.match(kb) or kb not in known:
        return error_page(request, 404, f"There is no knowledge base '{kb[:100]}'.")
    action = form(request, "action", "save")
    if action == "discard" and form(request, "confirm") != "yes":  # never one reflex click
        draft = await run(database.draft, item_id)
        if draft is None:
            return redirect(f"/console/knowledge/vocabulary/{kb}")
        return render(request, "entry_confirm.html", action=action, entry_id=f"the {kb} vocabulary", draft=draft,
                      page=f"/console/knowledge/vocabulary/{kb}", bots_using=bots_using(kb, console_of(request).bots))
    if action == "discard":
        if await run(database.discard_draft, item_id):
            await run(audit.record, user, "draft.discard", item_id, "")
        return redirect(f"/console/knowledge/vocabulary/{kb}?ok=discarded")
    if action not in ("check", "save"):
        return error_page(request, 400, "Unknown action: use Check, Save draft or Discard draft.")
    text = form(request, "vocabulary")
    shown_text = text if len(text.encode("utf-8")) <= MAX_VOCABULARY_BYTES else ""
    base = form(request, "base")
    if action == "save" and base:
        published, draft = next((i for i in items if i["id"] == item_id), None), await run(database.draft, item_id)
        if base != edit_base(published, draft):  # someone changed it after the page was opened: save nothing
            who = f"{draft.author} saved a draft of it" if draft else "it was published or its draft discarded"
            conflict = FormProblem(f"This vocabulary changed after you opened it ({who}). Your text below is NOT saved yet.",
                                   "Open the vocabulary in a new tab to see the current version, copy your changes into "
                                   "it (or press Save draft here again to replace it with yours).")
            return await vocabulary_page(request, kb, text=shown_text, problems=[conflict], status=409)
    vocabulary, problems = parse_vocabulary_text(text)
    if problems:
        return await vocabulary_page(request, kb, text=shown_text, problems=problems, checked=True, status=422, base=base)
    item = {"kb": kb, "id": item_id, "vocabulary": vocabulary}
    problems = locate(await run(problems_for, database, item), text)
    if action == "check" or problems:
        return await vocabulary_page(request, kb, text=text, problems=problems, checked=True,
                                     status=422 if problems else 200, proposed=None if problems else item,
                                     warnings=await run(warnings_for, database, item) if action == "check" and not problems else [],
                                     base=base)
    await run(database.save_draft, item, user)
    published = next((i for i in items if i["id"] == item_id), None)
    summary = "; ".join(change.field for change in field_changes(published, item))
    await run(audit.record, user, "draft.save", item_id, summary[:3000] or "no change")
    return redirect(f"/console/knowledge/vocabulary/{kb}?ok=saved")


@bp.get("/console/try", name="try")
@guard("knowledge")
async def try_it(request: Request) -> HTTPResponse:
    bots = console_of(request).bots
    text = (request.args.get("q") or "").strip()[:500]
    results = await try_bots(request.app, bots, text) if text else []
    return render(request, "try.html", q=text, results=results)
