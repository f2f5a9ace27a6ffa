"""Console routes for publishing: publish drafts, the versions and what each changed, roll back."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from console import audit
from console.knowledge_pages import entry_titles, live_warnings, with_database
from console.pages import error_page, form, guard, redirect, render, run
from knowledge.db_store import KnowledgeDatabase, PublishError
from knowledge.live import shared_store
from knowledge.versions import diff_entries

bp = Blueprint("console_publishing")


@bp.get("/console/knowledge/publish", name="publish_confirm")
@guard("publish")
@with_database
async def publish_confirm(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
    """Before publishing every draft at once: only what would change, then a confirmation."""
    published, proposed = await run(lambda: (database.published(), database.proposed()))
    changes = diff_entries(published, proposed)
    return render(request, "publish_all.html", changes=changes, titles=entry_titles(proposed, published))


@bp.post("/console/knowledge/publish", name="publish")
@guard("publish")
@with_database
async def publish(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
    user = request.ctx.session.user.name
    entry_id = form(request, "entry_id").strip()
    if not entry_id and form(request, "confirm") != "yes":  # every draft at once: confirmed on the page that shows them
        return redirect("/console/knowledge/publish")
    ids = [entry_id] if entry_id else None
    try:
        number = await run(lambda: database.publish(user, ids, form(request, "message")[:500]))
    except PublishError as error:
        return render(request, "problems.html", status=422, message=str(error), problems=error.problems)
    await run(shared_store().check)  # live in this process now; other processes poll within 0.5 s
    await run(audit.record, user, "publish", f"version {number}", entry_id or "all drafts")
    return redirect(f"/console/versions/{number}?ok=published")


@bp.get("/console/versions", name="versions")
@guard("knowledge")
@with_database
async def versions(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
    listed = await run(database.versions)
    return render(request, "versions.html", versions=listed)


@bp.get("/console/versions/<number:int>", name="version")
@guard("knowledge")
@with_database
async def version(request: Request, number: int, database: KnowledgeDatabase) -> HTTPResponse:
    this, before, latest = await run(lambda: (database.version(number), database.version(number - 1), database.latest_number()))
    if this is None:
        return error_page(request, 404, f"There is no version {number}.")
    changes = diff_entries(before.entries if before else [], this.entries)
    changed = {c.entry_id for c in changes if c.kind != "removed"}
    warnings = await run(live_warnings, changed) if number == latest and changed and len(changed) <= 50 else []
    return render(request, "version.html", version=this, changes=changes, latest=latest, warnings=warnings,
                  titles=entry_titles(this.entries, before.entries if before else []))


@bp.get("/console/versions/<number:int>/rollback", name="rollback_confirm")
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


@bp.post("/console/versions/<number:int>/rollback", name="rollback")
@guard("publish")
@with_database
async def rollback(request: Request, number: int, database: KnowledgeDatabase) -> HTTPResponse:
    if form(request, "confirm") != "yes":  # a whole-knowledge change is confirmed on the page that shows it
        return redirect(f"/console/versions/{number}/rollback")
    user = request.ctx.session.user.name
    try:
        new = await run(database.rollback, number, user)
    except PublishError as error:
        return render(request, "problems.html", status=422, message=str(error), problems=error.problems)
    await run(shared_store().check)
    await run(audit.record, user, "rollback", f"version {new}", f"content of version {number}")
    return redirect(f"/console/versions/{new}?ok=rolled_back")
