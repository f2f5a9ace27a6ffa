"""What every console page shares: templates, security headers, cookies, forms and the `guard` on each route.

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
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, response
from sanic.response import HTTPResponse

from console import audit, auth, proxy
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
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
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


def headers() -> dict[str, str]:
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
    return response.html(html, status=status, headers=headers())


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


def form(request: Request, name: str, default: str = "") -> str:
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
                    return response.redirect(f"/console/login?next={quote(request.path)}", headers=headers())
                if "/api/" in request.path:
                    return response.json({"error": "Your session has ended. Please log in again."}, status=401)
                return session_ended(request)
            request.ctx.session = session
            if request.method not in ("GET", "HEAD"):
                given = form(request, "csrf_token") or request.headers.get("x-csrf-token")
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


#: An edit form sent after its session ended is kept (its text fields, never its security token or confirmation) on
#: the log-in page and offered again after logging in, as a Check that saves nothing: an operator review lost a typed
#: answer to a session that had timed out. Only entry and vocabulary edits, and only from the console's own pages.
RESUMABLE = re.compile(r"^/console/knowledge/(entry(/[a-z0-9_]+\.[a-z0-9_]+)?|vocabulary/[a-z0-9_]+)$")
RESUME_FIELDS = 60
RESUME_CHARS = 200_000
#: Fields never kept: the security token and the answers to "are you sure?".
RESUME_DROPPED = frozenset({"csrf_token", "confirm", "action"})
#: Fields of a kept form that go back hidden (the others are shown as text).
RESUME_HIDDEN = frozenset({"base", "kb", "from_review", "action"})


def resumable_fields(request: Request, prefix: str = "") -> list[tuple[str, str]]:
    """The fields of an edit form to keep (`prefix` stripped from their names: the log-in form's `resume.`); none for
    another form, a cross-site request, or one that was no save or check (a delete keeps nothing to type again)."""
    path = form(request, "next") if prefix else request.path
    if not RESUMABLE.match(path) or request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return []
    if not prefix and form(request, "action", "save") not in ("save", "check"):
        return []
    try:
        fields = [(key[len(prefix):], values[0]) for key, values in (request.form or {}).items()
                  if key.startswith(prefix) and key[len(prefix):] not in RESUME_DROPPED and values and isinstance(values[0], str)]
    except Exception:  # an unreadable body keeps nothing
        return []
    if len(fields) > RESUME_FIELDS or sum(len(key) + len(value) for key, value in fields) > RESUME_CHARS:
        return []
    return [(key, value) for key, value in fields if key] + [("action", "check")]


def session_ended(request: Request) -> HTTPResponse:
    """The log-in page for a form sent after its session ended: it says nothing was saved, and keeps an edit form."""
    token = secrets.token_urlsafe(24)
    resume = resumable_fields(request)
    back = request.path if resume else _referring_page(request)
    resp = render(request, "login.html", status=401, login_csrf=token, next=safe_next(back), ended=True, resume=resume)
    set_cookie(resp, request, LOGIN_COOKIE, token, 3600)
    return resp


def _referring_page(request: Request) -> str:
    """The console page a form was sent from (same site only), to return to after logging in; else the dashboard."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.host:
        return "/console/dashboard"
    return referer.path if referer.path.startswith("/console/") and referer.path != "/console/login" else "/console/dashboard"


def safe_next(value: str | None) -> str:
    return value if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value else "/console/dashboard"


def redirect(url: str) -> HTTPResponse:
    return response.redirect(url, status=303, headers=headers())


