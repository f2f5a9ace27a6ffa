"""Composes a bot's Rasa project (config + shared + bot files) under var/build/<bot>/ and fingerprints it.

The fingerprint covers everything that changes what training produces: the
composed files, the project's NLU code and data, our policies, and the versions
of the packages that train. Knowledge entries are not inputs: topics come from
the live index at run time, so an operator's edit never needs `hkbot train`.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

from hkbot.bot_config import BotConfig
from hkbot.settings import PROJECT_ROOT, bots_dir, config_path, knowledge_dir, var_dir
from knowledge.store import load_directory

FAQ_COMPONENT = "nlu.components.faq.FaqRetriever"
#: The slot naming the conversation's bot (actions.bot_config reads it).
BOT_SLOT = "bot_name"
SHARED_FOLDER = "shared"
#: Packages whose versions change a trained model.
TRAINING_PACKAGES = ("rasa", "rasa-sdk", "spacy", "spacy-lookups-data", "jieba", "opencc", "pycantonese", "scikit-learn", "numpy", "tensorflow")
#: Project code that runs inside training besides the composed files.
CODE_INPUTS = ("nlu", "bots/runtime/policies.py")
IGNORED_PARTS = {"__pycache__", ".pytest_cache"}
#: The knowledge variants trained as examples of `faq`, so the shared-intent classifier tells a
#: topic question from a shared intent; the live index still picks the topic. Left out of the
#: fingerprint: a knowledge edit needs no retraining (the model keeps the variants it saw).
FAQ_EXAMPLES_FILE = "knowledge_faq.yml"


@dataclass(frozen=True)
class BuiltProject:
    """A composed Rasa project ready for `rasa train`."""

    bot: str
    root: Path
    config: Path
    domain: Path  # a folder: Rasa merges every domain file in it
    data: Path
    fingerprint: str


def build_dir(bot: str) -> Path:
    return var_dir() / "build" / bot


def compose_config(bot: BotConfig, source: Path | None = None) -> dict:
    """The shared config.yml with the bot's knowledge bases filled into the FaqRetriever entry."""
    source = source or config_path()
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    for component in config.get("pipeline") or []:
        if component.get("name") == FAQ_COMPONENT:
            component["knowledge_bases"] = list(bot.knowledge_bases)
    return config


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def _copy_tree(files: list[Path], source_root: Path, target: Path, prefix: str) -> None:
    for path in files:
        flat = "__".join(path.relative_to(source_root).parts)  # data/a/b.yml -> a__b.yml
        shutil.copyfile(path, target / f"{prefix}{flat}")


def compose(bot: BotConfig) -> BuiltProject:
    """Write var/build/<bot>/{config.yml, domain/, data/} from the shared and bot files."""
    root = build_dir(bot.name)
    if root.exists():
        shutil.rmtree(root)
    domain, data = root / "domain", root / "data"
    domain.mkdir(parents=True)
    data.mkdir()

    config = root / "config.yml"
    config.write_text(
        "# Composed by `hkbot train` from config.yml and bot.yml; do not edit.\n"
        + yaml.safe_dump(compose_config(bot), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    shared = bots_dir() / SHARED_FOLDER
    for prefix, folder in (("shared_", shared), ("bot_", bot.path)):
        if (folder / "domain.yml").is_file():
            shutil.copyfile(folder / "domain.yml", domain / f"{prefix}domain.yml")
        elif prefix == "bot_":  # a bot made from bot.yml alone: a plain FAQ bot's domain is derived
            (domain / "bot_domain.yml").write_text(
                "# Derived by `hkbot train` from bot.yml (this bot has no domain.yml); do not edit.\n"
                + yaml.safe_dump(derived_domain(bot), sort_keys=False, allow_unicode=True), encoding="utf-8")
        _copy_tree(_yaml_files(folder / "data"), folder / "data", data, prefix)
    _write_faq_examples(bot, data / FAQ_EXAMPLES_FILE)
    return BuiltProject(bot.name, root, config, domain, data, fingerprint(root))


def derived_domain(bot: BotConfig) -> dict:
    """The domain a plain FAQ bot needs besides the shared one: only its `bot_name` slot, which the actions read.

    Everything else (intents, the FAQ, fallback, handoff, greeting, language actions) is in
    bots/shared/domain.yml; greeting, languages, handoff and channels are read from bot.yml at run time.
    """
    return {
        "version": "3.1",
        "slots": {
            BOT_SLOT: {
                "type": "text",
                "initial_value": bot.name,
                "influence_conversation": False,
                "mappings": [{"type": "custom"}],
            },
        },
    }


def _write_faq_examples(bot: BotConfig, target: Path) -> None:
    """Every question variant of the bot's knowledge bases as an example of the `faq` intent."""
    entries = load_directory(knowledge_dir()).usable().entries  # a refused knowledge base teaches nothing
    wanted = {str(kb) for kb in bot.knowledge_bases}
    texts = list(dict.fromkeys(text for entry in entries if str(entry.kb) in wanted for _lang, text in entry.variants()))
    if not texts:
        return
    lines = "".join(f"      - {' '.join(text.split())}\n" for text in texts)
    target.write_text(f'version: "3.1"\nnlu:\n  - intent: faq\n    examples: |\n{lines}', encoding="utf-8")


def _package_versions() -> list[str]:
    versions = []
    for name in TRAINING_PACKAGES:
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}==absent")
    return versions


def _code_files() -> list[Path]:
    files = []
    for entry in CODE_INPUTS:
        path = PROJECT_ROOT / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        files += [p for p in candidates if p.is_file() and not IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc"]
    return files


def fingerprint(root: Path) -> str:
    """A SHA-256 over the composed files, the NLU code and data, our policies and package versions."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml") and p.name != FAQ_EXAMPLES_FILE):
        digest.update(f"build:{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    for path in _code_files():
        digest.update(f"code:{path.relative_to(PROJECT_ROOT).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    digest.update("\n".join(_package_versions()).encode())
    digest.update(f"faq examples: {FAQ_EXAMPLES_FILE}".encode())  # models trained with them differ
    return digest.hexdigest()
