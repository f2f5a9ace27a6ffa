"""Console routes for the review queue: what the bot missed, grouped; attach a message to a topic or dismiss it."""
from __future__ import annotations

from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from console import audit, review
from console.context import console_of
from console.departments import UNCLEAR, department_label, department_names
from console.knowledge_pages import review_language
from console.pages import bot_title, error_page, form, guard, redirect, render, run
from knowledge.live import shared_database
from knowledge.live import shared_store

bp = Blueprint("console_review")


@bp.get("/console/review", name="review")
@guard("review")
async def review_page(request: Request) -> HTTPResponse:
    bots = console_of(request).bots
    bot = request.args.get("bot") if request.args.get("bot") in bots else None
    groups = await run(lambda: review.groups(bot))
    store = shared_store()
    entries = [(e.id, e.title_in("en")) for e in store.entries()]
    names = department_names({"kb": e.kb, "source": e.source} for e in store.entries())
    counts = review.area_counts(groups)  # over the groups this operator may see anyway: no other text
    wanted = (request.args.get("department") or "").strip()[:100]
    area = review.UNCLEAR if wanted == UNCLEAR else wanted
    problem = ""
    if wanted and area not in counts:
        problem = (f"Nothing to review for {department_label(area, names)}; showing every department."
                   if area in names or wanted == UNCLEAR else f"There is no department '{wanted}'; showing every department.")
        wanted = ""
    shown = [g for g in groups if g.area == area] if wanted else groups
    sections = [(a, department_label(a or UNCLEAR, names), [g for g in shown if g.area == a]) for a in counts]
    by_kb: dict[str, list[tuple[str, str]]] = {}
    for e in store.entries():
        by_kb.setdefault(e.kb, []).append((e.id, e.title_in("en")))
    entry_groups = sorted(((kb, department_label(kb, names), options) for kb, options in by_kb.items()), key=lambda g: g[1].lower())
    return render(request, "review.html", groups=shown, sections=[s for s in sections if s[2]], area_counts=counts,
                  reason_labels=review.REASON_LABELS,
                  entry_groups=entry_groups,
                  department=wanted, problem=problem, entries=entries, bots=sorted(bots), bot=bot,
                  area_label=lambda a: department_label(a or UNCLEAR, names), unclear=UNCLEAR, total=len(groups),
                  area_link=lambda a: "/console/review?" + urlencode({"department": a or UNCLEAR, **({"bot": bot} if bot else {})}),
                  database=shared_database() is not None, titles=dict(entries), suggest_score=review.SUGGEST_SCORE,
                  bot_titles={name: bot_title(bots, name) for name in bots})


@bp.post("/console/review/attach", name="attach")
@guard("draft")
async def review_attach(request: Request) -> HTTPResponse:
    database = shared_database()
    key, entry_id = form(request, "key")[:500], form(request, "entry_id")
    group = await run(review.group, key)
    if database is None or group is None:
        return error_page(request, 404, "This message is no longer in the review queue.")
    if not entry_id:
        return error_page(request, 400, "Choose the topic this message is a question of.")
    draft = await run(database.draft, entry_id)
    base = (draft.data if draft and draft.data else None) or next((e for e in await run(database.published) if e["id"] == entry_id), None)
    if base is None:
        return error_page(request, 404, f"There is no entry '{entry_id}'.")
    language = review_language(group.text)
    questions = {lang: list(texts) for lang, texts in base.get("questions", {}).items()}
    if group.text.casefold() not in {q.casefold() for texts in questions.values() for q in texts}:
        questions.setdefault(language, []).append(group.text)
    user = request.ctx.session.user.name
    await run(database.save_draft, {**base, "questions": questions}, user)
    await run(review.resolve, key, "attached")
    await run(audit.record, user, "review.attach", entry_id, f"{language}: {group.text}")
    return redirect("/console/review?ok=attached")


@bp.post("/console/review/dismiss", name="dismiss")
@guard("review")
async def review_dismiss(request: Request) -> HTTPResponse:
    key = form(request, "key")[:500]
    count = await run(review.resolve, key, "dismissed")
    await run(audit.record, request.ctx.session.user.name, "review.dismiss", key[:200], f"{count} message(s)")
    return redirect("/console/review?ok=dismissed")
