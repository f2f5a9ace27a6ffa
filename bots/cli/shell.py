"""`hkbot shell BOT`: chat with one bot in the terminal, through the same agent and actions as the server.

Buttons are shown numbered: type the number to press one. `/restart` starts a new
conversation, `/quit` (or Ctrl-D) leaves. Conversations stay in memory.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any, Callable

from bots.server.logs import configure_logging
from bots.training.train import TrainingError
from hkbot.bot_config import BotConfigError

PROMPT = "you> "


def render(messages: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Printable lines for a turn's bot messages, and the payloads of its numbered buttons."""
    lines: list[str] = []
    payloads: list[str] = []
    for message in messages:
        if message.get("text"):
            lines += [f"bot> {line}" if i == 0 else f"     {line}" for i, line in enumerate(message["text"].splitlines())]
        if message.get("image"):
            lines.append(f"     [image] {message['image']}")
        for button in message.get("buttons") or []:
            payloads.append(str(button.get("payload") or button.get("title") or ""))
            lines.append(f"     {len(payloads)}. {button.get('title', '')}")
    return lines, payloads


async def chat(runtime: Any, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    """The read-answer loop; returns at /quit or end of input."""
    # start-up: Rasa (and TensorFlow) load once the command has quietened their logs
    from rasa.core.channels.channel import UserMessage

    from bots.runtime.agents import handle_message
    from connectors.rest import MessageCollector

    sender = f"shell-{uuid.uuid4().hex[:12]}"
    payloads: list[str] = []
    write(f"{runtime.config.text('display_name', 'en')} / {runtime.config.text('display_name', 'zh-Hant')}  (/quit to leave, /restart for a new conversation)")
    while True:
        try:
            text = read(PROMPT).strip()
        except EOFError:
            write("")
            return
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return
        if text == "/restart":
            sender, payloads = f"shell-{uuid.uuid4().hex[:12]}", []
            write("(new conversation)")
            continue
        if text.isdigit() and 1 <= int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        collector = MessageCollector()
        await handle_message(runtime, UserMessage(text, collector, sender, input_channel="shell"))
        lines, payloads = render(collector.messages)
        for line in lines or ["bot> (no reply)"]:
            write(line)


def shell_command(args: argparse.Namespace) -> int:
    """`hkbot shell BOT`."""
    configure_logging("WARNING")
    from bots.runtime.agents import load_runtimes  # after configure_logging(): Rasa and TensorFlow import quietly

    try:
        runtimes = load_runtimes([args.bot], in_memory=True)
    except (BotConfigError, TrainingError, RuntimeError) as error:
        print(f"hkbot shell: {error}", file=sys.stderr)
        return 1
    configure_logging("WARNING")
    asyncio.run(chat(runtimes[args.bot]))
    return 0
