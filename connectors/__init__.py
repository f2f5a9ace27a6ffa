"""Channels a bot can be reached through, by the name used in bot.yml `channels`.

Each value is a Rasa `InputChannel` class; the server builds one per bot with
`from_credentials({"bot": <name>})` and mounts its blueprint under
`/bots/<bot>/<url_prefix()>`. Add a channel with one line here.
"""
from __future__ import annotations

from rasa.core.channels.channel import InputChannel

from connectors.rest import RestChannel
from connectors.websocket import WebSocketInput

CHANNELS: dict[str, type[InputChannel]] = {
    "rest": RestChannel,
    "websocket": WebSocketInput,
}
