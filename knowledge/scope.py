"""What the knowledge commands read: the YAML knowledge folder's store, and the knowledge bases a bot answers from."""
from __future__ import annotations

from pathlib import Path

import yaml

from hkbot.settings import bots_dir, knowledge_dir
from knowledge.store import KnowledgeStore


def folder_store(directory: Path | None = None) -> KnowledgeStore:
    """A store over `directory` (default: the knowledge folder), read once and not watched."""
    return KnowledgeStore(directory or knowledge_dir())


def bot_knowledge_bases(bot: str) -> list[str]:
    """The knowledge bases BOT answers from (bots/<bot>/bot.yml); a bot named like a kb answers from it."""
    path = bots_dir() / bot / "bot.yml"
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
            raise SystemExit(f"hkbot: cannot read {path}: {error}") from None
        kbs = data.get("knowledge_bases") if isinstance(data, dict) else None
        if isinstance(kbs, list) and kbs:
            return [str(kb) for kb in kbs]
    return [bot]


def served_together() -> dict[str, set[str]]:
    """Per knowledge base, the knowledge bases some bot answers together with it (every bot.yml under the bots folder)."""
    together: dict[str, set[str]] = {}
    for path in sorted(bots_dir().glob("*/bot.yml")):
        kbs = bot_knowledge_bases(path.parent.name)
        for kb in kbs:
            together.setdefault(kb, set()).update(kbs)
    return together
