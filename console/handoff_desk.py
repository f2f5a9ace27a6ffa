"""The human handoff desk's work outside the pages: tell the citizen, hand back to the bot, expire unanswered requests.

One `HandoffDesk` per app (`app.ctx.handoff_desk`). It reaches the bots through what the app
owns (`app.ctx.runtimes`, `app.ctx.handoff_switch`), never by importing the server.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Mapping, Protocol

from rasa.shared.core.events import BotUttered

from connectors import websocket
from connectors.gate import deliver
from console import audit, handoffs, suggestions
from actions.sentences import joined
from console.messages import agent_text
from console.pages import LANGUAGE_NAMES, bot_title, run
from knowledge.departments import department_of_kb
from knowledge.schema import Department

logger = logging.getLogger("hkbot.console")

#: How often the handoff timer looks for conversations nobody took, in seconds.
HANDOFF_TICK_SECONDS = 1.0


def timeout_note(open_sockets: int, seconds: int, urgent: bool = False) -> str:
    """What the transcript says of an expired request: what happened, not a message nobody saw."""
    where = "in the chat" if open_sockets else "when they come back to the chat (they were not connected)"
    lines = " and the crisis lines again" if urgent else ""
    return f"Nobody took this request within {seconds} s; the citizen is told {where}, with the phone number{lines}."


def timeout_text(handoff: handoffs.Handoff, phone: str, department: Department | None) -> str:
    """What a citizen nobody took is told: the bot's phone, the department's own line, and for an urgent request (the
    bot gave crisis lines in the conversation) those lines again: nobody came, and they should not wait alone."""
    text = agent_text("timeout", handoff.language, phone=phone)
    if department is not None and department.hotline != phone:
        name = department.name_in("en" if handoff.language == "en" else "zh-Hant")
        text = joined(handoff.language, text, agent_text("timeout_department", handoff.language, name=name, phone=department.hotline))
    if handoff.urgent:
        text = joined(handoff.language, text, agent_text("timeout_crisis", handoff.language))
    return text


class HandoffSwitch(Protocol):
    """Sets a conversation's `handoff_active` slot (the server's `app.ctx.handoff_switch`, bots.server.app)."""

    async def set(self, bot: str, sender: str, active: bool) -> bool: ...


class HandoffDesk:
    """Handoffs of the bots served by one app: messages to citizens, hand-back, the expiry timer, ended sessions."""

    def __init__(self, bots: Mapping[str, Any], runtimes: Mapping[str, Any], switch: HandoffSwitch | None = None) -> None:
        self.bots = dict(bots)
        self.runtimes = runtimes  # bots.runtime.agents.BotRuntime per bot name (none on a console without bots)
        self.switch = switch  # None on a console without bots: nothing to hand back
        self.wait_seconds = {name: int(getattr(getattr(config, "handoff", None), "wait_seconds", handoffs.DEFAULT_WAIT_SECONDS))
                             for name, config in self.bots.items()}
        self.urgent_wait_seconds = {name: int(getattr(getattr(config, "handoff", None), "urgent_wait_seconds", self.wait_seconds[name]))
                                    for name, config in self.bots.items()}
        self.phones = {name: str(getattr(getattr(config, "handoff", None), "phone", "") or "1823") for name, config in self.bots.items()}

    async def push(self, handoff: handoffs.Handoff, text: str, sender_kind: str = "agent", kind: str = "agent") -> int:
        """Tell the citizen something: into the tracker (so a reloaded widget shows it) and through their channel.

        The channel is the one the conversation last came from (websocket, socket.io, Telegram, WhatsApp,
        a REST callback, ...; see connectors.gate.deliver); returns how many sockets or channels took it.
        """
        metadata = {"kind": kind, "label": kind, "language": handoff.language}
        channel = None
        runtime = self.runtimes.get(handoff.bot)
        if runtime is not None:
            agent = runtime.agent
            async with agent.lock_store.lock(handoff.sender):
                tracker = await agent.tracker_store.retrieve(handoff.sender)
                if tracker is not None:
                    channel = tracker.get_latest_input_channel()
                    tracker.update(BotUttered(text, {}, metadata))
                    await agent.tracker_store.save(tracker)
        return await deliver(handoff.bot, handoff.sender, channel, {"from": sender_kind, "text": text, "buttons": [], "metadata": metadata})

    async def department(self, handoff: handoffs.Handoff) -> Department | None:
        """The department `action_handoff` named when the citizen asked (its message's `department` metadata), if any."""
        runtime = self.runtimes.get(handoff.bot)
        if runtime is None:
            return None
        tracker = await runtime.agent.tracker_store.retrieve(handoff.sender)
        for event in reversed(list(tracker.events) if tracker is not None else []):
            metadata = getattr(event, "metadata", None) or {}
            if getattr(event, "type_name", "") == "bot" and metadata.get("kind") == "handoff":
                kb = metadata.get("department")
                return department_of_kb(kb) if isinstance(kb, str) and kb else None
        return None

    async def release(self, handoff: handoffs.Handoff) -> None:
        """`handoff_active` false: the bot answers the next message again (HandoffPolicy abstains)."""
        if self.switch is not None:
            await self.switch.set(handoff.bot, handoff.sender, False)

    async def on_session_end(self, bot: str, sender: str) -> None:
        """A `session_end_hooks` entry: the citizen ended the conversation, so its open handoff closes."""
        current = await run(handoffs.find_open, bot, sender)
        if current is not None:
            await run(handoffs.set_status, current.id, "closed")
            await run(handoffs.add_message, current.id, "system", "The citizen ended the conversation.")

    async def expire_overdue(self) -> None:
        """Tell citizens nobody took within `handoff.wait_seconds` (`urgent_wait_seconds` after crisis lines) how else to
        reach 1823, and let the bot answer again."""
        for handoff in await run(lambda: handoffs.overdue(self.wait_seconds, urgent_wait_seconds=self.urgent_wait_seconds)):
            if not await run(lambda: handoffs.set_status(handoff.id, "expired", expected=("waiting",))):
                continue  # an agent took it at this moment
            text = timeout_text(handoff, self.phones.get(handoff.bot, "1823"), await self.department(handoff))
            await self.release(handoff)
            seen = await self.push(handoff, text, sender_kind="bot", kind="handoff_timeout")
            await run(handoffs.add_message, handoff.id, "system",
                      timeout_note(seen, round(handoffs.due_at(handoff, self.wait_seconds, self.urgent_wait_seconds)
                                               - handoff.created_at), handoff.urgent))
            await run(audit.record, "system", "handoff.timeout", f"{handoff.bot} #{handoff.id}", "")

    async def run_timer(self) -> None:
        """Every `HANDOFF_TICK_SECONDS`, expire overdue requests; a failure is logged and the timer goes on."""
        while True:
            await asyncio.sleep(HANDOFF_TICK_SECONDS)
            try:
                await self.expire_overdue()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The handoff timer failed; retrying")

    def listing(self, items: list[handoffs.Handoff]) -> list[dict[str, Any]]:
        """The desk's rows for these handoffs, with whether the citizen's chat is open now."""
        online = {(h.bot, h.sender) for h in items if h.sender in websocket.open_senders(h.bot)}
        return [{"id": h.id, "bot": h.bot, "bot_title": bot_title(self.bots, h.bot), "language": h.language,
                 "language_name": LANGUAGE_NAMES.get(h.language, h.language), "status": h.status, "agent": h.agent,
                 "created_at": h.created_at, "waited": round(h.waited), "online": (h.bot, h.sender) in online,
                 "urgent": h.urgent} for h in items]

    def suggested_for(self, handoff: handoffs.Handoff, text: str) -> list[suggestions.Suggestion]:
        """The best knowledge matches for `text` in the knowledge bases of the handoff's bot."""
        kbs = tuple(getattr(self.bots.get(handoff.bot), "knowledge_bases", ()) or ())
        return suggestions.suggest(text, kbs, handoff.language)
