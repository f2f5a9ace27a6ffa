"""Builds a bot's input channels from its bot.yml `channels` entries: class, credentials, mount path.

A channel is named by hkbot's name (`rest`, `websocket`, `socketio`, `telegram`, `twilio`), any
other Rasa channel name (`BUILTIN_CHANNELS`: `callback`, `botframework`, `slack`, ...), or a
dotted class path of an `InputChannel` subclass. Its settings go to `from_credentials`, except
`enabled` and `path` (read here) and `<setting>_env: VARIABLE` (the secret read from the
environment as `<setting>`). A variable that is not set stops start-up with `ChannelSetupError`
naming the bot, the channel and the variable.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from rasa.core.channels import BUILTIN_CHANNELS
from rasa.core.channels.channel import InputChannel

from connectors import CHANNELS
from hkbot.bot_config import HKBOT_CHANNEL_SETTINGS, BotConfig, BotConfigError, ChannelEntry


class ChannelSetupError(BotConfigError):
    """A channel that cannot start: unknown name, bad class, missing environment variable, bad settings."""


@dataclass
class ChannelPlan:
    """What the server mounts for one channel entry: the class, its credentials and where."""

    bot: str
    entry: ChannelEntry
    channel_class: type[InputChannel]
    credentials: dict[str, Any]

    @property
    def id(self) -> str:
        """The channel's name in this bot: its `path`, else the class's Rasa name."""
        return self.entry.path or self.channel_class.name()

    @property
    def mount(self) -> str:
        """The path under /bots/<bot>/: hkbot's own channels keep theirs, every other is `webhooks/<id>`."""
        own = getattr(self.channel_class, "hkbot_mount", None)
        return own if own and not self.entry.path else f"webhooks/{self.id}"


def channel_class(name: str) -> type[InputChannel]:
    """The InputChannel class for a bot.yml channel name or dotted path (ValueError saying why not)."""
    if name in CHANNELS:
        return CHANNELS[name]
    if name in BUILTIN_CHANNELS:
        return BUILTIN_CHANNELS[name]
    if "." not in name:
        known = sorted(set(CHANNELS) | set(BUILTIN_CHANNELS) - {"cmdline"})
        raise ValueError(f"unknown channel {name!r}: use one of {', '.join(known)} or a dotted class path (package.module.Class)")
    module_name, _, class_name = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import {module_name!r} for channel {name!r}: {error}") from None
    found = getattr(module, class_name, None)
    if not isinstance(found, type) or not issubclass(found, InputChannel):
        raise ValueError(f"{name!r} is not a Rasa InputChannel class")
    return found


def credentials_of(bot: BotConfig, entry: ChannelEntry) -> dict[str, Any]:
    """The entry's settings for `from_credentials`, each `<x>_env: VAR` replaced by `<x>: $VAR`."""
    credentials: dict[str, Any] = {}
    for key, value in entry.settings.items():
        if key in HKBOT_CHANNEL_SETTINGS:
            continue
        if key.endswith("_env"):
            secret = os.environ.get(value, "").strip()
            if not secret:
                raise ChannelSetupError(
                    f"bot '{bot.name}', channel '{entry.path or entry.name}': the environment variable {value} "
                    f"(for '{key[:-4]}') is not set. Set it, or switch the channel off with 'enabled: false' "
                    f"in {bot.path / 'bot.yml'}"
                )
            credentials[key[:-4]] = secret
        else:
            credentials[key] = value
    return credentials


def plan_channels(bot: BotConfig) -> list[ChannelPlan]:
    """Every enabled channel of a bot, resolved; ChannelSetupError on the first that cannot start."""
    plans: list[ChannelPlan] = []
    for entry in bot.channel_entries or tuple(ChannelEntry(name) for name in bot.channels):
        if not entry.enabled:
            continue
        try:
            found = channel_class(entry.name)
        except ValueError as error:
            raise ChannelSetupError(f"bot '{bot.name}', channel '{entry.name}' in {bot.path / 'bot.yml'}: {error}") from None
        credentials = credentials_of(bot, entry)
        if getattr(found, "hkbot_channel", False):  # our channels build per bot
            credentials["bot"] = bot.name
        plans.append(ChannelPlan(bot.name, entry, found, credentials))
    ids = [plan.id for plan in plans]
    for plan in plans:
        if ids.count(plan.id) > 1:
            raise ChannelSetupError(f"bot '{bot.name}': two channels are named {plan.id!r} in {bot.path / 'bot.yml'}; "
                                    "give one of them its own 'path: <name>'")
    return plans


def build(plan: ChannelPlan) -> InputChannel:
    """The channel object, or ChannelSetupError naming bot and channel when its class refuses the settings."""
    try:
        return plan.channel_class.from_credentials(plan.credentials)
    except Exception as error:  # each channel class raises its own kinds (RasaException, ValidationError, ...)
        raise ChannelSetupError(f"bot '{plan.bot}', channel '{plan.id}': could not start: {error}") from None


def check_bots(bots: dict[str, BotConfig]) -> None:
    """Resolve and build every bot's channels (classes, environment variables, settings) before anything slow starts.

    Building calls only `from_credentials` (no blueprint, no provider call)."""
    for bot in bots.values():
        for plan in plan_channels(bot):
            build(plan)


def own_blueprint(blueprint: Any, name: str) -> Any:
    """The blueprint under a name of its own, its routes' names too (Rasa names every bot's copy alike).

    Sanic names a route `<blueprint>.<handler>` when it is declared and attaches a blueprint's
    middleware by route name: three bots' `telegram_webhook.message` routes would share each
    other's middleware (one bot's webhook secret checked on another's updates).
    """
    old = blueprint.name
    blueprint.name = name
    blueprint._future_routes = {
        future._replace(name=f"{name}.{future.name[len(old) + 1:]}") if future.name and future.name.startswith(f"{old}.") else future
        for future in blueprint._future_routes
    }
    return blueprint
