"""Where hkbot keeps what it builds and stores; every path can be moved by an environment variable."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

#: The repository (or installed source tree) root: bots/, knowledge/, config.yml live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return _resolved(value) if value else default


@lru_cache(maxsize=64)
def _resolved(value: str) -> Path:
    """An absolute path for a setting; resolving asks the file system, and the server asks on every turn."""
    return Path(value).expanduser().resolve()


def var_dir() -> Path:
    """Everything hkbot writes: models, build folders, databases (HKBOT_VAR_DIR)."""
    return _path("HKBOT_VAR_DIR", PROJECT_ROOT / "var")


def models_dir() -> Path:
    """Trained models, named by the fingerprint of their inputs (HKBOT_MODELS_DIR)."""
    return _path("HKBOT_MODELS_DIR", var_dir() / "models")


def embeddings_dir() -> Path:
    """The dense signal's disk cache of embeddings, keyed by text and model (HKBOT_EMBEDDING_CACHE)."""
    return _path("HKBOT_EMBEDDING_CACHE", var_dir() / "embeddings")


def data_dir() -> Path:
    """Databases and other state: tracker store, feedback, review queue (HKBOT_DATA_DIR)."""
    return _path("HKBOT_DATA_DIR", var_dir() / "data")


def bots_dir() -> Path:
    """One folder per bot, each with its bot.yml (HKBOT_BOTS_DIR)."""
    return _path("HKBOT_BOTS_DIR", PROJECT_ROOT / "bots")


def knowledge_dir() -> Path:
    """The knowledge base YAML files that a running process watches (HKBOT_KNOWLEDGE_DIR)."""
    return _path("HKBOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge" / "seed")


def knowledge_dir_chosen() -> bool:
    """Whether HKBOT_KNOWLEDGE_DIR is set: a folder the operator names is served as files (knowledge.db_store)."""
    return bool(os.environ.get("HKBOT_KNOWLEDGE_DIR"))


def config_path() -> Path:
    """The shared Rasa NLU pipeline and policies (HKBOT_CONFIG)."""
    return _path("HKBOT_CONFIG", PROJECT_ROOT / "config.yml")
