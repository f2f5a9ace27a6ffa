"""The console's pages and forms under `/console` on the `hkbot serve` app.

Every page is server-rendered (Jinja2, autoescaped) with a strict CSP: scripts and styles
only from `/console/static/`, no inline code. Every POST needs the session's CSRF token
(form field `csrf_token` or header `X-CSRF-Token`) and the permission of the user's role.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from console import audit, auth, proxy, stats
from knowledge.live import shared_store

logger = logging.getLogger("hkbot.console")

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
COOKIE = "hkbot_console"
LOGIN_COOKIE = "hkbot_console_login"
#: A browser the user logged in from before: others' failed log-ins do not slow it down (see `console.auth`).
DEVICE_COOKIE = "hkbot_console_device"
#: "1": cookies always `Secure` and HSTS sent; "0": never; unset: when the request came over https (see `console.proxy`).
SECURE_ENV = proxy.SECURE_ENV
#: How often the handoff timer looks for conversations nobody took, in seconds.
HANDOFF_TICK_SECONDS = 1.0
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_CONTENT_TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
LANGUAGE_NAMES = {"en": "English", "zh-Hant": "中文（繁體）", "yue": "廣東話", "zh-Hans": "中文（简体）", "und": "?"}
NOTICES = {
    "saved": "Draft saved. A publisher makes it live with Publish.",
    "published": "Published: every bot using this knowledge answers with it now.",
    "rolled_back": "Rolled back: the earlier version is live again (as a new version).",
    "discarded": "Draft discarded.",
    "attached": "Added as a question variant in a draft of the entry.",
    "dismissed": "Dismissed.",
    "user_saved": "User saved.",
    "taken": "You have the conversation. The citizen sees your messages in the chat.",
    "released": "Handed back: the virtual assistant answers again.",
    "imported": "Imported as drafts. Check them, then publish.",
}

_templates = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html"]),
    trim_blocks=True, lstrip_blocks=True,
)
_templates.filters["when"] = lambda at: dt.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""
_templates.filters["pct"] = lambda value: f"{value * 100:.0f}%"
_templates.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def content_security_policy() -> str:
    """Own scripts and styles only; forms post only to this server; the console is never framed."""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(), "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
    }


def bot_title(bots: Mapping[str, Any], name: str) -> str:
    """A bot's English display name for operators ("AFCD Dog Licence Assistant"), its id when it has none."""
    names = getattr(bots.get(name), "display_name", None) or {}
    return str(names.get("en") or name) if isinstance(names, Mapping) else name


def topic_titles() -> dict[str, str]:
    """Every live topic's English title by id, for pages that name topics."""
    return {entry.id: entry.title_in("en") for entry in shared_store().entries()}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    session = getattr(request.ctx, "session", None)
    notice = NOTICES.get(request.args.get("ok", ""))
    html = _templates.get_template(template).render(
        session=session, user=session.user if session else None, csrf=session.csrf if session else "",
        notice=notice, path=request.path, **context)
    return response.html(html, status=status, headers=_headers())


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    return render(request, "error.html", status=status, message=message)


def set_cookie(resp: HTTPResponse, request: Request, name: str, value: str, max_age: int, path: str = "/console") -> None:
    """A cookie JavaScript cannot read, sent only to /console, never cross-site; Secure over https (also behind a trusted proxy)."""
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if proxy.is_https(request):
        cookie["secure"] = True


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """Blocking work (argon2, validation, database) off the event loop the citizens' chats share."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


def _form(request: Request, name: str, default: str = "") -> str:
    try:
        value = request.form.get(name) if request.form else None
    except Exception:  # an unreadable body is treated as empty
        value = None
    return value if isinstance(value, str) else default


def guard(permission: str) -> Callable:
    """Needs a session (else to the login page), the CSRF token on POST, and `permission` in the user's role."""

    def decorate(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            # a background refresh (the handoff desk's polling) does not keep an unattended screen logged in
            active = not (request.method in ("GET", "HEAD") and "/api/" in request.path)
            session = await run(auth.session_for, request.cookies.get(COOKIE), None, active)
            if session is None:
                if request.method in ("GET", "HEAD") and "/api/" not in request.path:
                    return response.redirect(f"/console/login?next={quote(request.path)}", headers=_headers())
                return response.json({"error": "Your session has ended. Please log in again."}, status=401)
            request.ctx.session = session
            if request.method not in ("GET", "HEAD"):
                given = _form(request, "csrf_token") or request.headers.get("x-csrf-token")
                if not auth.csrf_valid(session.csrf, given):
                    await run(audit.record, session.user.name, "csrf.refused", request.path)
                    return error_page(request, 403, "This form was refused: its security token is missing or out of date. "
                                                    "Reload the page and try again.")
            if not session.user.can(permission):
                return error_page(request, 403, f"Your role ({session.user.role}) cannot do this. "
                                                f"Ask an administrator if you need it.")
            return await handler(request, *args, **kwargs)

        return guarded

    return decorate


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value else "/console/dashboard"


def _redirect(url: str) -> HTTPResponse:
    return response.redirect(url, status=303, headers=_headers())


def register(app: Sanic, bots: Mapping[str, Any]) -> None:
    """Mount every console route on `app`; `bots` maps bot names to their BotConfig."""
    from console import knowledge_pages, live_pages  # circle: the pages import web (issue 15 item 4)

    bots = dict(bots)

    @app.get("/console", name="console_home")
    async def home(request: Request) -> HTTPResponse:
        return _redirect("/console/dashboard")

    @app.get("/console/static/<name:str>", name="console_static")
    async def static(request: Request, name: str) -> HTTPResponse:
        if not _ASSET.match(name) or not (STATIC_DIR / name).is_file():
            return response.text("Not found", status=404)
        return response.text((STATIC_DIR / name).read_text(encoding="utf-8"), content_type=_CONTENT_TYPES[name.rsplit(".", 1)[1]],
                             headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    @app.get("/console/login", name="console_login_page")
    async def login_page(request: Request) -> HTTPResponse:
        token = secrets.token_urlsafe(24)
        resp = render(request, "login.html", login_csrf=token, next=_safe_next(request.args.get("next")))
        set_cookie(resp, request, LOGIN_COOKIE, token, 3600)
        return resp

    @app.post("/console/login", name="console_login")
    async def login(request: Request) -> HTTPResponse:
        if not auth.csrf_valid(request.cookies.get(LOGIN_COOKIE), _form(request, "csrf_token")):
            return error_page(request, 403, "This form was refused: its security token is missing or out of date. "
                                            "Reload the log-in page and try again.")
        name, password = _form(request, "name")[:64], _form(request, "password")[:1024]
        address = proxy.client_address(request)
        try:
            user, device = await run(auth.log_in, name, password, address, None, request.cookies.get(DEVICE_COOKIE))
        except auth.AuthError as error:
            token = secrets.token_urlsafe(24)
            resp = render(request, "login.html", status=429 if error.retry_after else 401, login_csrf=token,
                          error=str(error), name=name, next=_safe_next(_form(request, "next")))
            if error.retry_after:
                resp.headers["Retry-After"] = str(error.retry_after)
            set_cookie(resp, request, LOGIN_COOKIE, token, 3600)
            return resp
        token, _session = await run(auth.create_session, user)
        resp = _redirect(_safe_next(_form(request, "next")))
        set_cookie(resp, request, COOKIE, token, auth.SESSION_SECONDS)
        set_cookie(resp, request, DEVICE_COOKIE, device, auth.DEVICE_SECONDS, path="/console/login")
        return resp

    @app.post("/console/logout", name="console_logout")
    @guard("dashboard")
    async def logout(request: Request) -> HTTPResponse:
        await run(auth.end_session, request.cookies.get(COOKIE))
        await run(audit.record, request.ctx.session.user.name, "logout")
        resp = _redirect("/console/login")
        set_cookie(resp, request, COOKIE, "", 0)
        return resp

    @app.get("/console/dashboard", name="console_dashboard")
    @guard("dashboard")
    async def dashboard(request: Request) -> HTTPResponse:
        bot = request.args.get("bot") if request.args.get("bot") in bots else None
        try:
            days = min(90, max(1, int(request.args.get("days", "14"))))
        except ValueError:
            days = 14
        rows, topics = await run(lambda: stats.daily(days=days, bot=bot))
        bot_titles, titles = {name: bot_title(bots, name) for name in bots}, topic_titles()
        chart = {
            "rows": [r.to_dict() for r in rows],
            "topics": {name: counter.most_common(8) for name, counter in topics.items()},
            "names": {"bots": bot_titles, "topics": titles, "languages": LANGUAGE_NAMES},  # charts name things too
        }
        return render(request, "dashboard.html", rows=rows, topics=topics, chart=chart, bots=sorted(bots), bot=bot, days=days,
                      bot_titles=bot_titles, titles=titles)

    @app.get("/console/users", name="console_users")
    @guard("users")
    async def users_page(request: Request) -> HTTPResponse:
        return render(request, "users.html", users=await run(auth.users), roles=auth.ROLES)

    @app.post("/console/users", name="console_users_save")
    @guard("users")
    async def users_save(request: Request) -> HTTPResponse:
        me = request.ctx.session.user.name
        action, name = _form(request, "action"), _form(request, "name").strip()
        try:
            if action == "add":
                # a reset ends the user's sessions; an admin resetting their own password stays logged in here
                keep = request.cookies.get(COOKIE) if name == me else None
                await run(auth.add_user, name, _form(request, "role"), _form(request, "password"), me, None, keep)
            elif action in ("disable", "enable"):
                if name == me:
                    raise auth.AuthError("You cannot disable your own account.")
                await run(auth.set_active, name, action == "enable", me)
            else:
                raise auth.AuthError("Unknown action.")
        except auth.AuthError as error:
            return render(request, "users.html", status=400, users=await run(auth.users), roles=auth.ROLES, error=str(error))
        return _redirect("/console/users?ok=user_saved")

    @app.get("/console/audit", name="console_audit")
    @guard("audit")
    async def audit_page(request: Request) -> HTTPResponse:
        records = await run(lambda: audit.recent(500, request.args.get("user") or None, request.args.get("action") or None))
        return render(request, "audit.html", records=records)

    @app.middleware("response")
    async def strict_transport_security(request: Request, resp: HTTPResponse) -> None:
        """HSTS on every console answer that went out over https, so the browser never falls back to http."""
        if request.path.startswith("/console") and resp is not None:
            value = proxy.hsts_header(request)
            if value:
                resp.headers["Strict-Transport-Security"] = value

    knowledge_pages.register(app, bots)
    live_pages.register(app, bots)
