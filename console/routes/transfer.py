"""Console routes that move knowledge in and out: CSV and YAML export, import as drafts."""
from __future__ import annotations

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from console import audit
from console.context import console_of
from console.knowledge_pages import published_items, with_database
from console.pages import MAX_UPLOAD_BYTES, error_page, guard, redirect, render, run
from knowledge import csv_io
from knowledge.db_store import KnowledgeDatabase, validate_entries

bp = Blueprint("console_transfer")


@bp.get("/console/knowledge/export.csv", name="export_csv")
@guard("knowledge")
async def export_csv(request: Request) -> HTTPResponse:
    items = await run(published_items)
    await run(audit.record, request.ctx.session.user.name, "export", "csv", "")
    return response.raw(csv_io.to_csv(items), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="knowledge.csv"', "Cache-Control": "no-store"})


@bp.get("/console/knowledge/export/<filename:str>", name="export_yaml")
@guard("knowledge")
async def export_yaml(request: Request, filename: str) -> HTTPResponse:
    kb = filename[:-4] if filename.endswith(".yml") else ""
    items = await run(published_items)
    if kb not in {i["kb"] for i in items}:
        return error_page(request, 404, f"There is no knowledge base '{kb}'.")
    await run(audit.record, request.ctx.session.user.name, "export", f"{kb}.yml", "")
    return response.text(csv_io.to_yaml(items, kb), content_type="application/yaml; charset=utf-8",
                         headers={"Content-Disposition": f'attachment; filename="{kb}.yml"', "Cache-Control": "no-store"})


@bp.get("/console/knowledge/import", name="import_page")
@guard("draft")
async def import_page(request: Request) -> HTTPResponse:
    kb_names = console_of(request).kb_names
    return render(request, "import.html", kbs=kb_names)


@bp.post("/console/knowledge/import", name="import")
@guard("draft")
@with_database
async def import_upload(request: Request, database: KnowledgeDatabase) -> HTTPResponse:
    kb_names = console_of(request).kb_names
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
    return redirect("/console/knowledge?ok=imported")
