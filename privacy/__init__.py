"""Personal data protection: redaction before storing or logging, retention, data-subject requests, limits.

Light to import (no Rasa): `redact`, `find_personal_data`; sender pseudonyms are `privacy.pseudonym`. The Rasa tracker
store wrapper loads on first use: `privacy.wrap_tracker_store(store, bot_config)`.
"""
from __future__ import annotations

from typing import Any

from privacy.config import PrivacyConfig, privacy_config
from privacy.log_filter import RedactingFilter, install_log_redaction
from privacy.redact import KINDS, PersonalData, find_personal_data, redact, redact_value

__all__ = [
    "KINDS",
    "PersonalData",
    "PrivacyConfig",
    "RedactingFilter",
    "find_personal_data",
    "install_log_redaction",
    "privacy_config",
    "redact",
    "redact_value",
    "wrap_tracker_store",
]


def wrap_tracker_store(store: Any, bot: Any = None) -> Any:
    """A Rasa tracker store that redacts the bot's configured kinds of personal data before saving."""
    from privacy.tracker_store import wrap_tracker_store as wrap

    return wrap(store, bot)
