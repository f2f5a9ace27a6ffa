"""Contact details the departments publish (hotlines, enquiry e-mails): public, so never redacted.

They are found in the bots' own files (every bot.yml under `bots_dir()`, every knowledge YAML
under `knowledge_dir()`) and in the texts the caller passes (`bots.storage.redacting.public_contacts`
passes the bots' sentences, and adds the answers and titles of the knowledge now served). A bot answer "call TSW on 2117 3348" stays readable
in the stored history, while a citizen's own number is still replaced by [PHONE].
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from hkbot.settings import bots_dir, knowledge_dir
from privacy.redact import find_personal_data, identity_of


def public_values(texts: Iterable[str]) -> frozenset[str]:
    """The identities (see `identity_of`) of the personal-looking data in published texts."""
    return frozenset(identity_of(item.kind, item.text) for text in texts for item in find_personal_data(text))


def _files(bots: Path, knowledge: Path) -> list[Path]:
    return sorted(bots.glob("*/bot.yml")) + sorted(knowledge.glob("*.yml"))


def published_contacts(also: Iterable[str] = (), bots: Path | None = None, knowledge: Path | None = None) -> frozenset[str]:
    """What the bots' configuration and knowledge publish (under `bots` and `knowledge`, by default the settings'
    directories), and `also` (the bots' own sentences: the crisis lines, which a stored history and an officer's
    transcript must show as given); read now."""
    texts = list(also)
    for path in _files(bots or bots_dir(), knowledge or knowledge_dir()):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except OSError:
            continue
    return public_values(texts)
