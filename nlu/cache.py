"""Where nlu/ keeps what it builds once (jieba dictionary, script tables): its own setting, HKBOT_NLU_CACHE."""
from __future__ import annotations

import os
from pathlib import Path

from hkbot.settings import var_dir


def cache_dir() -> Path:
    """Where built dictionaries live (HKBOT_NLU_CACHE, else var/cache/nlu under the project)."""
    configured = os.environ.get("HKBOT_NLU_CACHE")
    if configured:
        return Path(configured).expanduser()
    return var_dir() / "cache" / "nlu"
