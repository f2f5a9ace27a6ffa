"""Console routes for administrators: users and their roles, and the audit log."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from console import audit, auth
from console.pages import COOKIE, form, guard, redirect, render, run

bp = Blueprint("console_users")


@bp.get("/console/users", name="users")
@guard("users")
async def users_page(request: Request) -> HTTPResponse:
    return render(request, "users.html", users=await run(auth.users), roles=auth.ROLES)


@bp.post("/console/users", name="users_save")
@guard("users")
async def users_save(request: Request) -> HTTPResponse:
    me = request.ctx.session.user.name
    action, name = form(request, "action"), form(request, "name").strip()
    try:
        if action == "add":
            # a reset ends the user's sessions; an admin resetting their own password stays logged in here
            keep = request.cookies.get(COOKIE) if name == me else None
            await run(auth.add_user, name, form(request, "role"), form(request, "password"), me, None, keep)
        elif action in ("disable", "enable"):
            if name == me:
                raise auth.AuthError("You cannot disable your own account.")
            await run(auth.set_active, name, action == "enable", me)
        else:
            raise auth.AuthError("Unknown action.")
    except auth.AuthError as error:
        return render(request, "users.html", status=400, users=await run(auth.users), roles=auth.ROLES, error=str(error))
    return redirect("/console/users?ok=user_saved")


@bp.get("/console/audit", name="audit")
@guard("audit")
async def audit_page(request: Request) -> HTTPResponse:
    records = await run(lambda: audit.recent(500, request.args.get("user") or None, request.args.get("action") or None))
    return render(request, "audit.html", records=records)
