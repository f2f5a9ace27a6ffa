"""Channels a bot can be reached through, by the name used in bot.yml `channels`.

hkbot's own channels and its per-bot versions of Rasa's; any other Rasa channel name
(`rasa.core.channels.BUILTIN_CHANNELS`) or a dotted class path works too (connectors.channel_setup).
Each is built per bot from its bot.yml settings and mounted under `/bots/<bot>/`; every message
goes through connectors.gate. Add a channel with one line here.
"""
from __future__ import annotations

from rasa.core.channels.channel import InputChannel

from connectors.messengers import BotTelegramInput, BotTwilioInput
from connectors.rest import RestChannel
from connectors.socketio import BotSocketIOInput
from connectors.websocket import WebSocketInput

CHANNELS: dict[str, type[InputChannel]] = {
    "rest": RestChannel,
    "websocket": WebSocketInput,
    "socketio": BotSocketIOInput,
    "telegram": BotTelegramInput,
    "twilio": BotTwilioInput,
}
