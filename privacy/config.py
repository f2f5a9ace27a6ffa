"""A bot's privacy settings, from the `privacy:` key of its bot.yml.

```yaml
privacy:
  redact: [hkid, phone, email, passport, card, bank_account]   # kinds replaced before storing; default: all
  retention_days: 30                             # conversations older than this are purged
```
Both keys are optional; without the block every kind is redacted and conversations are
kept 30 days (`HKBOT_RETENTION_DAYS` changes that default for every bot).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hkbot.bot_config import load_bots
from privacy.redact import KINDS, normalise_kinds

RETENTION_ENV = "HKBOT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30


class PrivacyConfigError(ValueError):
    """A `privacy:` block that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class PrivacyConfig:
    """Which kinds of personal data a bot redacts, and how many days it keeps conversations."""

    redact: tuple[str, ...] = KINDS
    retention_days: int = DEFAULT_RETENTION_DAYS


def default_retention_days() -> int:
    """`HKBOT_RETENTION_DAYS` when set to a whole number of days, else 30."""
    value = os.environ.get(RETENTION_ENV, "").strip()
    if not value:
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit() or int(value) < 1:
        raise PrivacyConfigError(f"{RETENTION_ENV}={value!r}: must be a whole number of days, at least 1")
    return int(value)


def parse_privacy(block: Any, where: str = "bot.yml") -> PrivacyConfig:
    """A PrivacyConfig from the `privacy:` value of a bot.yml (None means the defaults)."""
    if block is None:
        return PrivacyConfig(retention_days=default_retention_days())
    if not isinstance(block, dict):
        raise PrivacyConfigError(f"{where}: key 'privacy': must be a map with redact and retention_days, got {block!r}")
    unknown = set(block) - {"redact", "retention_days"}
    if unknown:
        raise PrivacyConfigError(f"{where}: key 'privacy.{sorted(unknown)[0]}': unknown key (use redact, retention_days)")
    kinds = block.get("redact", list(KINDS))
    if not isinstance(kinds, list):
        raise PrivacyConfigError(f"{where}: key 'privacy.redact': must be a list such as [hkid, phone, email, passport, card]")
    try:
        redact = normalise_kinds(kinds)
    except ValueError as error:
        raise PrivacyConfigError(f"{where}: key 'privacy.redact': {error}") from None
    days = block.get("retention_days", default_retention_days())
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise PrivacyConfigError(f"{where}: key 'privacy.retention_days': must be a whole number of days, at least 1, got {days!r}")
    return PrivacyConfig(redact=redact, retention_days=days)


def privacy_config(bot: Any = None) -> PrivacyConfig:
    """The privacy settings of a bot: a `hkbot.bot_config.BotConfig`, a bot name, a bot.yml dict, or None."""
    if bot is None:
        return parse_privacy(None)
    if isinstance(bot, PrivacyConfig):
        return bot
    if isinstance(bot, dict):
        return parse_privacy(bot.get("privacy"), f"bot {bot.get('name', '?')}")
    if isinstance(bot, str):
        bot = load_bots([bot])[bot]
    block = getattr(bot, "privacy", None)  # a registry that knows the key
    if block is None:
        block = (getattr(bot, "extra", None) or {}).get("privacy")
    where = str(Path(getattr(bot, "path", "")) / "bot.yml") if getattr(bot, "path", None) else f"bot {getattr(bot, 'name', '?')}"
    if isinstance(block, PrivacyConfig):
        return block
    return parse_privacy(block, where)


def redact_kinds(bot: Optional[Any]) -> tuple[str, ...]:
    """The kinds a bot redacts (every kind when it says nothing)."""
    return privacy_config(bot).redact
