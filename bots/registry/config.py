"""Old name of `hkbot.bot_config`, kept so code written before the move still imports; new code imports `hkbot.bot_config`."""
from hkbot.bot_config import (
    BOT_FILE,
    HKBOT_CHANNEL_SETTINGS,
    LANGUAGES,
    NAME_PATTERN,
    BotConfig,
    BotConfigError,
    ChannelEntry,
    Handoff,
    ServiceArea,
    bot_names,
    load_bot,
    load_bots,
)

__all__ = ["BOT_FILE", "HKBOT_CHANNEL_SETTINGS", "LANGUAGES", "NAME_PATTERN", "BotConfig", "BotConfigError",
           "ChannelEntry", "Handoff", "ServiceArea", "bot_names", "load_bot", "load_bots"]
