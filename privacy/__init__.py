"""Personal data protection: redaction before storing or logging, retention, data-subject requests, limits.

Light to import (no Rasa): `redact`, `find_personal_data`; sender pseudonyms are `privacy.pseudonym`. The Rasa tracker
store wrapper that applies redaction before storing lives with the other store layers: `bots.storage.redacting`.
"""
from __future__ import annotations

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
]

