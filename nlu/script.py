"""Chinese script conversion with OpenCC: Hong Kong Traditional <-> Simplified.

Converters are built once per process (each loads its dictionaries from the opencc package).
"""
from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    """The cached OpenCC converter for a config name (s2hk, hk2s, t2s, s2t, ...)."""
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Simplified (or any Traditional) -> Hong Kong Traditional (OpenCC s2hk)."""
    return converter("s2hk").convert(text) if text else text


def to_simplified(text: str) -> str:
    """Hong Kong Traditional -> Simplified (OpenCC hk2s)."""
    return converter("hk2s").convert(text) if text else text
