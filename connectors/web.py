"""The web pages of the widget and the kiosk: `/widget.js`, its assets, `/demo/<bot>`, `/kiosk/<bot>`, `/qr.svg`.

Every HTML page is sent with a strict Content-Security-Policy: scripts and styles come
only from files of this server (no inline code), so injected text can never run.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from connectors.profile import bot_profile, config_value, page_language
from connectors.qr import qr_svg, qr_url

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_CONTENT_TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LANGUAGES = ("en", "yue", "zh-Hant", "zh-Hans")

_templates = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def content_security_policy(request: Request) -> str:
    """Only this server's own scripts, styles and socket; no inline code, no frames, no forms."""
    socket = f"ws://{request.host} wss://{request.host}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self' {socket}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'; object-src 'none'"
    )


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    html = _templates.get_template(template).render(**context)
    return response.html(
        html,
        status=status,
        headers={
            "Content-Security-Policy": content_security_policy(request),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Cache-Control": "no-store",
        },
    )


def _asset(name: str) -> HTTPResponse:
    if not _ASSET.match(name) or not (STATIC_DIR / name).is_file():
        return response.text("Not found", status=404)
    return response.text(
        (STATIC_DIR / name).read_text(encoding="utf-8"),
        content_type=_CONTENT_TYPES[name.rsplit(".", 1)[1]],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            # The widget is embedded by department sites on other origins.
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Access-Control-Allow-Origin": "*",
        },
    )


def _language(value: str | None, default: str) -> str:
    return value if value in _LANGUAGES else default


def _html_lang(language: str) -> str:
    return {"en": "en", "zh-Hans": "zh-CN"}.get(language, "zh-HK")


def _number(value: str | None, minimum: int, maximum: int) -> int | None:
    try:
        return min(maximum, max(minimum, int(value))) if value else None
    except ValueError:
        return None


def register_web_routes(app: Sanic, bots: Mapping[str, Any]) -> None:
    """Add the widget script, its assets and the demo and kiosk pages of `bots` (name -> BotConfig)."""
    app.ctx.hkbot_bots = dict(bots)

    def chat_bots() -> dict[str, Any]:
        """Bots reachable from a page: those with the `websocket` channel in bot.yml."""
        return {
            name: config
            for name, config in app.ctx.hkbot_bots.items()
            if "websocket" in (config_value(config, "channels", ("websocket",)) or ())
        }

    def not_found(request: Request, name: str) -> HTTPResponse:
        return _page(request, "not_found.html", status=404, name=name[:80], bots=sorted(chat_bots()))

    @app.get("/widget.js", name="hkbot_widget_js")
    async def widget_js(request: Request) -> HTTPResponse:
        return _asset("widget.js")

    @app.get("/hkbot-static/<name:str>", name="hkbot_static")
    async def static(request: Request, name: str) -> HTTPResponse:
        return _asset(name)

    @app.get("/qr.svg", name="hkbot_qr")
    async def qr(request: Request) -> HTTPResponse:
        """The kiosk's QR code for a source link, drawn by this server."""
        url = qr_url(request.args.get("url"))
        if url is None:
            return response.text("Give an http(s) link of at most 500 characters as ?url=", status=400)
        return response.text(qr_svg(url), content_type="image/svg+xml",
                             headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=86400"})

    @app.get("/demo/<bot:str>", name="hkbot_demo")
    async def demo(request: Request, bot: str) -> HTTPResponse:
        config = chat_bots().get(bot)
        if config is None:
            return not_found(request, bot)
        profile = bot_profile(bot, config)
        language = _language(request.args.get("lang"), "yue")
        color = request.args.get("color")
        color = color if color and _COLOR.match(color) else None
        snippet = f'<script src="{request.scheme}://{request.host}/widget.js" data-bot="{bot}" data-lang="{language}"></script>'
        return _page(
            request,
            "demo.html",
            bot=bot,
            profile=profile,
            language=language,
            html_lang=_html_lang(page_language(language)),
            color=color,
            snippet=snippet,
        )

    @app.get("/kiosk/<bot:str>", name="hkbot_kiosk")
    async def kiosk(request: Request, bot: str) -> HTTPResponse:
        config = chat_bots().get(bot)
        if config is None:
            return not_found(request, bot)
        profile = bot_profile(bot, config)
        language = page_language(_language(request.args.get("lang"), profile["default_language"]))
        idle = _number(request.args.get("idle"), 2, 3600) or profile["idle_seconds"]
        warn = _number(request.args.get("warn"), 1, 120) or 20
        return _page(
            request,
            "kiosk.html",
            bot=bot,
            profile=profile,
            language=language,
            html_lang=_html_lang(language),
            idle_seconds=idle,
            warn_seconds=warn,
        )
