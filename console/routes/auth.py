"""Console routes for getting in and out: `/console`, its static files, log-in and log-out."""
from __future__ import annotations

import re
import secrets

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from console import audit, auth, proxy
from console.pages import (COOKIE, DEVICE_COOKIE, LOGIN_COOKIE, RESUME_HIDDEN, STATIC_DIR, error_page, form, guard, redirect,
                           render, resumable_fields, run, safe_next, set_cookie)

bp = Blueprint("console_auth")

_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_CONTENT_TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


@bp.get("/console", name="home")
async def home(request: Request) -> HTTPResponse:
    return redirect("/console/dashboard")


@bp.get("/console/static/<name:str>", name="static")
async def static(request: Request, name: str) -> HTTPResponse:
    if not _ASSET.match(name) or not (STATIC_DIR / name).is_file():
        return response.text("Not found", status=404)
    return response.text((STATIC_DIR / name).read_text(encoding="utf-8"), content_type=_CONTENT_TYPES[name.rsplit(".", 1)[1]],
                         headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})


@bp.get("/console/login", name="login_page")
async def login_page(request: Request) -> HTTPResponse:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", login_csrf=token, next=safe_next(request.args.get("next")),
                  out=request.args.get("out") == "1")
    set_cookie(resp, request, LOGIN_COOKIE, token, 3600)
    return resp


@bp.post("/console/login", name="login")
async def login(request: Request) -> HTTPResponse:
    if not auth.csrf_valid(request.cookies.get(LOGIN_COOKIE), form(request, "csrf_token")):
        return error_page(request, 403, "This form was refused: its security token is missing or out of date. "
                                        "Reload the log-in page and try again.")
    name, password = form(request, "name")[:64], form(request, "password")[:1024]
    resume = resumable_fields(request, prefix="resume.")  # a form sent after its session ended
    address = proxy.client_address(request)
    try:
        user, device = await run(auth.log_in, name, password, address, None, request.cookies.get(DEVICE_COOKIE))
    except auth.AuthError as error:
        token = secrets.token_urlsafe(24)
        resp = render(request, "login.html", status=429 if error.retry_after else 401, login_csrf=token,
                      error=str(error), name=name, next=safe_next(form(request, "next")), resume=resume,
                      ended=bool(resume))
        if error.retry_after:
            resp.headers["Retry-After"] = str(error.retry_after)
        set_cookie(resp, request, LOGIN_COOKIE, token, 3600)
        return resp
    token, session = await run(auth.create_session, user)
    if resume:  # offered again as it was sent, to send on purpose (never sent by itself)
        resp = render(request, "resume.html", next=safe_next(form(request, "next")), resume=resume,
                      resume_csrf=session.csrf, hidden=RESUME_HIDDEN)
    else:
        resp = redirect(safe_next(form(request, "next")))
    set_cookie(resp, request, COOKIE, token, auth.SESSION_SECONDS)
    set_cookie(resp, request, DEVICE_COOKIE, device, auth.DEVICE_SECONDS, path="/console/login")
    return resp


@bp.post("/console/logout", name="logout")
@guard("dashboard")
async def logout(request: Request) -> HTTPResponse:
    await run(auth.end_session, request.cookies.get(COOKIE))
    await run(audit.record, request.ctx.session.user.name, "logout")
    resp = redirect("/console/login?out=1")
    set_cookie(resp, request, COOKIE, "", 0)
    return resp
