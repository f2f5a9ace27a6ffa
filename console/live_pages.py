"""Console pages for what happens live: the review queue of missed messages and the human handoff desk."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Mapping
from urllib.parse import urlencode

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from console import audit, capture, handoffs, review, suggestions
from console.departments import UNCLEAR, department_label, department_names
from console.messages import agent_text
from console.web import HANDOFF_TICK_SECONDS, LANGUAGE_NAMES, _form, _redirect, bot_title, error_page, guard, render, run
from knowledge.departments import department_of_kb
from knowledge.schema import Department
from knowledge.live import shared_database, shared_store

logger = logging.getLogger("hkbot.console")
MAX_REPLY_CHARS = 2000


async def push(app: Sanic, handoff: handoffs.Handoff, text: str, sender_kind: str = "agent", kind: str = "agent") -> int:
    """Tell the citizen something: into the tracker (so a reloaded widget shows it) and through their channel.

    The channel is the one the conversation last came from (websocket, socket.io, Telegram, WhatsApp,
    a REST callback, ...; see connectors.gate.deliver); returns how many sockets or channels took it.
    """
    from rasa.shared.core.events import BotUttered

    from connectors.gate import deliver  # start-up: the channels load Rasa; the console imports it only to push

    metadata = {"kind": kind, "label": kind, "language": handoff.language}
    channel = None
    runtime = (getattr(app.ctx, "runtimes", {}) or {}).get(handoff.bot)
    if runtime is not None:
        agent = runtime.agent
        async with agent.lock_store.lock(handoff.sender):
            tracker = await agent.tracker_store.retrieve(handoff.sender)
            if tracker is not None:
                channel = tracker.get_latest_input_channel()
                tracker.update(BotUttered(text, {}, metadata))
                await agent.tracker_store.save(tracker)
    return await deliver(handoff.bot, handoff.sender, channel, {"from": sender_kind, "text": text, "buttons": [], "metadata": metadata})


async def handoff_department(app: Sanic, handoff: handoffs.Handoff) -> Department | None:
    """The department `action_handoff` named when the citizen asked (its message's `department` metadata), if any."""
    runtime = (getattr(app.ctx, "runtimes", {}) or {}).get(handoff.bot)
    if runtime is None:
        return None
    tracker = await runtime.agent.tracker_store.retrieve(handoff.sender)
    for event in reversed(list(tracker.events) if tracker is not None else []):
        metadata = getattr(event, "metadata", None) or {}
        if getattr(event, "type_name", "") == "bot" and metadata.get("kind") == "handoff":
            kb = metadata.get("department")
            return department_of_kb(kb) if isinstance(kb, str) and kb else None
    return None


async def release(app: Sanic, handoff: handoffs.Handoff) -> None:
    """`handoff_active` false: the bot answers the next message again (HandoffPolicy abstains)."""
    from bots.server.app import set_handoff  # circle: the server mounts the console (create_app)

    runtime = (getattr(app.ctx, "runtimes", {}) or {}).get(handoff.bot)
    if runtime is not None:
        await set_handoff(runtime, handoff.sender, False)


def timeout_note(open_sockets: int, seconds: int) -> str:
    """What the transcript says of an expired request: what happened, not a message nobody saw."""
    where = "in the chat" if open_sockets else "when they come back to the chat (they were not connected)"
    return f"Nobody took this request within {seconds} s; the citizen is told {where}, with the phone number."


def register(app: Sanic, bots: Mapping[str, Any]) -> None:
    # start-up: Rasa loads with the server that mounts the console, not when the console module is imported
    from bots.runtime import agents as bot_runtime
    from connectors import websocket

    if capture.on_turn not in bot_runtime.turn_listeners:
        bot_runtime.turn_listeners.append(capture.on_turn)
    wait_seconds = {name: int(getattr(getattr(config, "handoff", None), "wait_seconds", 120)) for name, config in bots.items()}
    phones = {name: str(getattr(getattr(config, "handoff", None), "phone", "") or "1823") for name, config in bots.items()}

    async def on_session_end(bot: str, sender: str) -> None:
        current = await run(handoffs.find_open, bot, sender)
        if current is not None:
            await run(handoffs.set_status, current.id, "closed")
            await run(handoffs.add_message, current.id, "system", "The citizen ended the conversation.")

    if on_session_end not in websocket.session_end_hooks:
        websocket.session_end_hooks.append(on_session_end)

    async def expire_overdue() -> None:
        """Tell citizens nobody took within `handoff.wait_seconds` how else to reach 1823, and let the bot answer again."""
        while True:
            await asyncio.sleep(HANDOFF_TICK_SECONDS)
            try:
                for handoff in await run(lambda: handoffs.overdue(wait_seconds)):
                    if not await run(lambda: handoffs.set_status(handoff.id, "expired", expected=("waiting",))):
                        continue  # an agent took it at this moment
                    text = agent_text("timeout", handoff.language, phone=phones.get(handoff.bot, "1823"))
                    department = await handoff_department(app, handoff)
                    if department is not None and department.hotline != phones.get(handoff.bot):
                        name = department.name_in("en" if handoff.language == "en" else "zh-Hant")
                        text += " " + agent_text("timeout_department", handoff.language, name=name, phone=department.hotline)
                    await release(app, handoff)
                    seen = await push(app, handoff, text, sender_kind="bot", kind="handoff_timeout")
                    await run(handoffs.add_message, handoff.id, "system", timeout_note(seen, wait_seconds.get(handoff.bot, 120)))
                    await run(audit.record, "system", "handoff.timeout", f"{handoff.bot} #{handoff.id}", "")
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The handoff timer failed; retrying")

    @app.after_server_start
    async def start_timer(app_: Sanic, _loop: Any) -> None:
        app_.add_task(expire_overdue())

    # -- review queue -------------------------------------------------------------

    @app.get("/console/review", name="console_review")
    @guard("review")
    async def review_page(request: Request) -> HTTPResponse:
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
                      entry_groups=entry_groups,
                      department=wanted, problem=problem, entries=entries, bots=sorted(bots), bot=bot,
                      area_label=lambda a: department_label(a or UNCLEAR, names), unclear=UNCLEAR, total=len(groups),
                      area_link=lambda a: "/console/review?" + urlencode({"department": a or UNCLEAR, **({"bot": bot} if bot else {})}),
                      database=shared_database() is not None, titles=dict(entries), suggest_score=review.SUGGEST_SCORE,
                      bot_titles={name: bot_title(bots, name) for name in bots})

    @app.post("/console/review/attach", name="console_review_attach")
    @guard("draft")
    async def review_attach(request: Request) -> HTTPResponse:
        from console.knowledge_pages import review_language  # circle knowledge_pages <-> live_pages (issue 15 item 4)

        database = shared_database()
        key, entry_id = _form(request, "key")[:500], _form(request, "entry_id")
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
        return _redirect("/console/review?ok=attached")

    @app.post("/console/review/dismiss", name="console_review_dismiss")
    @guard("review")
    async def review_dismiss(request: Request) -> HTTPResponse:
        key = _form(request, "key")[:500]
        count = await run(review.resolve, key, "dismissed")
        await run(audit.record, request.ctx.session.user.name, "review.dismiss", key[:200], f"{count} message(s)")
        return _redirect("/console/review?ok=dismissed")

    # -- handoff desk -------------------------------------------------------------

    def listing(items: list[handoffs.Handoff]) -> list[dict[str, Any]]:
        online = {(h.bot, h.sender) for h in items if h.sender in websocket.open_senders(h.bot)}
        return [{"id": h.id, "bot": h.bot, "bot_title": bot_title(bots, h.bot), "language": h.language,
                 "language_name": LANGUAGE_NAMES.get(h.language, h.language), "status": h.status, "agent": h.agent,
                 "created_at": h.created_at, "waited": round(h.waited), "online": (h.bot, h.sender) in online} for h in items]

    @app.get("/console/handoffs", name="console_handoffs")
    @guard("handoff")
    async def handoff_desk(request: Request) -> HTTPResponse:
        items = await run(handoffs.queue)
        recent = await run(lambda: handoffs.queue(("closed", "expired"), limit=50))
        return render(request, "handoffs.html", items=listing(items), recent=listing(recent[-20:]))

    @app.get("/console/api/handoffs", name="console_api_handoffs")
    @guard("handoff")
    async def handoff_api(request: Request) -> HTTPResponse:
        return response.json({"handoffs": listing(await run(handoffs.queue))}, headers={"Cache-Control": "no-store"})

    @app.get("/console/handoffs/<handoff_id:int>", name="console_handoff")
    @guard("handoff")
    async def handoff_page(request: Request, handoff_id: int) -> HTTPResponse:
        handoff = await run(handoffs.get, handoff_id)
        if handoff is None:
            return error_page(request, 404, "There is no such conversation.")
        messages = await run(handoffs.messages, handoff_id)
        return render(request, "handoff.html", handoff=handoff, bot_title=bot_title(bots, handoff.bot), messages=messages,
                      mine=handoff.agent == request.ctx.session.user.name,
                      suggested=await run(suggested_for, handoff, suggestions.latest_citizen_text(messages)))

    def suggested_for(handoff: handoffs.Handoff, text: str) -> list[suggestions.Suggestion]:
        kbs = tuple(getattr(bots.get(handoff.bot), "knowledge_bases", ()) or ())
        return suggestions.suggest(text, kbs, handoff.language)

    @app.get("/console/api/handoffs/<handoff_id:int>/suggestions", name="console_api_handoff_suggestions")
    @guard("handoff")
    async def handoff_suggestions_api(request: Request, handoff_id: int) -> HTTPResponse:
        """The best knowledge matches for the citizen's latest message (the desk refreshes them as they write)."""
        handoff = await run(handoffs.get, handoff_id)
        if handoff is None:
            return response.json({"error": "There is no such conversation."}, status=404)
        text = suggestions.latest_citizen_text(await run(handoffs.messages, handoff_id))
        found = await run(suggested_for, handoff, text)
        return response.json({"for": text, "suggestions": [s.to_dict() for s in found]}, headers={"Cache-Control": "no-store"})

    @app.get("/console/api/handoffs/<handoff_id:int>", name="console_api_handoff")
    @guard("handoff")
    async def handoff_messages_api(request: Request, handoff_id: int) -> HTTPResponse:
        handoff = await run(handoffs.get, handoff_id)
        if handoff is None:
            return response.json({"error": "There is no such conversation."}, status=404)
        try:
            after = int(request.args.get("after", "0"))
        except ValueError:
            after = 0
        items = await run(handoffs.messages, handoff_id, after)
        return response.json({"status": handoff.status, "agent": handoff.agent, "messages": [m.to_dict() for m in items]},
                             headers={"Cache-Control": "no-store"})

    @app.post("/console/handoffs/<handoff_id:int>/take", name="console_handoff_take")
    @guard("handoff")
    async def handoff_take(request: Request, handoff_id: int) -> HTTPResponse:
        user = request.ctx.session.user.name
        if not await run(lambda: handoffs.set_status(handoff_id, "active", agent=user, expected=("waiting",))):
            return error_page(request, 409, "Someone else has taken this conversation, or it has ended.")
        handoff = await run(handoffs.get, handoff_id)
        text = agent_text("joined", handoff.language)
        await push(app, handoff, text)
        await run(handoffs.add_message, handoff_id, "system", f"{user} joined. {text}")
        await run(audit.record, user, "handoff.take", f"{handoff.bot} #{handoff_id}", "")
        return _redirect(f"/console/handoffs/{handoff_id}?ok=taken")

    @app.post("/console/handoffs/<handoff_id:int>/reply", name="console_handoff_reply")
    @guard("handoff")
    async def handoff_reply(request: Request, handoff_id: int) -> HTTPResponse:
        user = request.ctx.session.user.name
        handoff = await run(handoffs.get, handoff_id)
        text = _form(request, "text").strip()[:MAX_REPLY_CHARS]
        if handoff is None or handoff.status != "active" or handoff.agent != user:
            return error_page(request, 409, "Take the conversation first (it may have ended or another officer has it).")
        if not text:
            return error_page(request, 400, "Write a message first.")
        delivered = await push(app, handoff, text)
        message = await run(handoffs.add_message, handoff_id, "agent", text)
        await run(audit.record, user, "handoff.reply", f"{handoff.bot} #{handoff_id}", "")
        if "application/json" in (request.headers.get("accept") or ""):
            return response.json({"message": message.to_dict(), "delivered": delivered})
        return _redirect(f"/console/handoffs/{handoff_id}")

    @app.post("/console/handoffs/<handoff_id:int>/release", name="console_handoff_release")
    @guard("handoff")
    async def handoff_release(request: Request, handoff_id: int) -> HTTPResponse:
        user = request.ctx.session.user.name
        handoff = await run(handoffs.get, handoff_id)
        if handoff is not None and handoff.status == "active" and handoff.agent != user \
                and not request.ctx.session.user.can("users"):  # only its officer, or an admin, hands it back
            return error_page(request, 403, f"{handoff.agent} has this conversation: only they or an admin can hand it back.")
        expected = ("waiting",) if handoff is not None and handoff.status == "waiting" else ("waiting", "active")
        if handoff is None or not await run(lambda: handoffs.set_status(handoff_id, "closed", expected=expected)):
            return error_page(request, 409, "This conversation has already ended.")
        await release(app, handoff)
        text = agent_text("released", handoff.language)
        await push(app, handoff, text, sender_kind="bot", kind="handoff_released")
        await run(handoffs.add_message, handoff_id, "system", f"{user} handed back. {text}")
        await run(audit.record, user, "handoff.release", f"{handoff.bot} #{handoff_id}", "")
        return _redirect("/console/handoffs?ok=released")
