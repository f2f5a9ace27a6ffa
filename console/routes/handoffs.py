"""Console routes for the human handoff desk: the queue, one conversation, take, reply, hand back; and its timer.

The work behind them (messages to the citizen, hand-back, expiry) is the app's `HandoffDesk`
(`request.app.ctx.handoff_desk`, console.handoff_desk).
"""
from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request, Sanic, response
from sanic.response import HTTPResponse

from console import audit, handoffs, suggestions
from console.handoff_desk import HandoffDesk
from console.messages import agent_text
from console.pages import bot_title, error_page, form, guard, redirect, render, run

bp = Blueprint("console_handoffs")
MAX_REPLY_CHARS = 2000


def desk_of(request: Request) -> HandoffDesk:
    """The handoff desk of the app serving `request`."""
    return request.app.ctx.handoff_desk


@bp.after_server_start
async def start_timer(app: Sanic, _loop: Any) -> None:
    """Expire requests nobody took while this app serves (the task ends with the server)."""
    app.add_task(app.ctx.handoff_desk.run_timer())


@bp.get("/console/handoffs", name="desk")
@guard("handoff")
async def handoff_desk(request: Request) -> HTTPResponse:
    desk = desk_of(request)
    items = await run(handoffs.queue)
    recent = await run(lambda: handoffs.queue(("closed", "expired"), limit=50))
    return render(request, "handoffs.html", items=desk.listing(items), recent=desk.listing(recent[-20:]))


@bp.get("/console/api/handoffs", name="api_desk")
@guard("handoff")
async def handoff_api(request: Request) -> HTTPResponse:
    return response.json({"handoffs": desk_of(request).listing(await run(handoffs.queue))}, headers={"Cache-Control": "no-store"})


@bp.get("/console/handoffs/<handoff_id:int>", name="conversation")
@guard("handoff")
async def handoff_page(request: Request, handoff_id: int) -> HTTPResponse:
    handoff = await run(handoffs.get, handoff_id)
    if handoff is None:
        return error_page(request, 404, "There is no such conversation.")
    desk = desk_of(request)
    messages = await run(handoffs.messages, handoff_id)
    return render(request, "handoff.html", handoff=handoff, bot_title=bot_title(desk.bots, handoff.bot), messages=messages,
                  mine=handoff.agent == request.ctx.session.user.name,
                  suggested=await run(desk.suggested_for, handoff, suggestions.latest_citizen_text(messages)))


@bp.get("/console/api/handoffs/<handoff_id:int>/suggestions", name="api_suggestions")
@guard("handoff")
async def handoff_suggestions_api(request: Request, handoff_id: int) -> HTTPResponse:
    """The best knowledge matches for the citizen's latest message (the desk refreshes them as they write)."""
    handoff = await run(handoffs.get, handoff_id)
    if handoff is None:
        return response.json({"error": "There is no such conversation."}, status=404)
    text = suggestions.latest_citizen_text(await run(handoffs.messages, handoff_id))
    found = await run(desk_of(request).suggested_for, handoff, text)
    return response.json({"for": text, "suggestions": [s.to_dict() for s in found]}, headers={"Cache-Control": "no-store"})


@bp.get("/console/api/handoffs/<handoff_id:int>", name="api_conversation")
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


@bp.post("/console/handoffs/<handoff_id:int>/take", name="take")
@guard("handoff")
async def handoff_take(request: Request, handoff_id: int) -> HTTPResponse:
    user = request.ctx.session.user.name
    if not await run(lambda: handoffs.set_status(handoff_id, "active", agent=user, expected=("waiting",))):
        return error_page(request, 409, "Someone else has taken this conversation, or it has ended.")
    handoff = await run(handoffs.get, handoff_id)
    text = agent_text("joined", handoff.language)
    await desk_of(request).push(handoff, text)
    await run(handoffs.add_message, handoff_id, "system", f"{user} joined. {text}")
    await run(audit.record, user, "handoff.take", f"{handoff.bot} #{handoff_id}", "")
    return redirect(f"/console/handoffs/{handoff_id}?ok=taken")


@bp.post("/console/handoffs/<handoff_id:int>/reply", name="reply")
@guard("handoff")
async def handoff_reply(request: Request, handoff_id: int) -> HTTPResponse:
    user = request.ctx.session.user.name
    handoff = await run(handoffs.get, handoff_id)
    text = form(request, "text").strip()[:MAX_REPLY_CHARS]
    if handoff is None or handoff.status != "active" or handoff.agent != user:
        return error_page(request, 409, "Take the conversation first (it may have ended or another officer has it).")
    if not text:
        return error_page(request, 400, "Write a message first.")
    delivered = await desk_of(request).push(handoff, text)
    message = await run(handoffs.add_message, handoff_id, "agent", text)
    await run(audit.record, user, "handoff.reply", f"{handoff.bot} #{handoff_id}", "")
    if "application/json" in (request.headers.get("accept") or ""):
        return response.json({"message": message.to_dict(), "delivered": delivered})
    return redirect(f"/console/handoffs/{handoff_id}")


@bp.post("/console/handoffs/<handoff_id:int>/release", name="release")
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
    desk = desk_of(request)
    await desk.release(handoff)
    text = agent_text("released", handoff.language)
    await desk.push(handoff, text, sender_kind="bot", kind="handoff_released")
    await run(handoffs.add_message, handoff_id, "system", f"{user} handed back. {text}")
    await run(audit.record, user, "handoff.release", f"{handoff.bot} #{handoff_id}", "")
    return redirect("/console/handoffs?ok=released")
