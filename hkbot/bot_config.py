"""What a bot.yml says: reads and validates every `bots/<bot>/bot.yml` into a `BotConfig`.

A department adds a bot by writing a folder with a bot.yml; errors name the file
and the key so that the IT team can fix them without reading Python.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from hkbot.settings import bots_dir

BOT_FILE = "bot.yml"
LANGUAGES = ("en", "yue", "zh-Hant", "zh-Hans")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,63}$")
#: A channel by its Rasa or hkbot name (`telegram`) or a dotted class path (`my_dept.channels.KioskInput`).
CHANNEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: A channel's mount path under /bots/<bot>/webhooks/ (the `path` setting): lower-case letters, digits, _ and -.
CHANNEL_PATH = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
#: Setting names that hold a secret: written in bot.yml only as `<name>_env: VARIABLE`.
SECRET_SETTING = re.compile(r"token|secret|password|jwt_key|api_key|account_sid|app_id", re.IGNORECASE)
#: Settings hkbot reads itself; every other setting goes to the channel's `from_credentials`.
HKBOT_CHANNEL_SETTINGS = ("enabled", "path")
REQUIRED_KEYS = ("name", "display_name", "languages", "default_language", "knowledge_bases", "greeting", "channels")
KNOWN_KEYS = REQUIRED_KEYS + (
    "persona",
    "handoff",
    "top_topics",
    "allowed_origins",
    "privacy_notice",
    "service_areas",
)
#: The keys of one service area in bot.yml `service_areas`.
AREA_KEYS = ("id", "title", "knowledge_bases", "top_topics")


class BotConfigError(ValueError):
    """A bot.yml that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Handoff:
    """Where a citizen is sent when they ask for a human."""

    target: str = "1823"
    phone: str = "1823"
    wait_seconds: int = 120
    #: A request after the bot gave crisis lines waits at most this long (never longer than `wait_seconds`) before
    #: the citizen is told to call: they should not wait alone.
    urgent_wait_seconds: int = 60


@dataclass(frozen=True)
class ChannelEntry:
    """One entry of a bot.yml `channels` list: a channel name or class path and its settings as written.

    `settings` hold environment variable NAMES for secrets (`access_token_env: VAR`), never the
    secrets; `connectors.channel_setup` reads the variables when the server starts.
    """

    name: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.settings.get("enabled", True) is not False

    @property
    def path(self) -> str | None:
        return self.settings.get("path")


@dataclass(frozen=True)
class ServiceArea:
    """One service area a citizen can browse: its title and which knowledge bases and top topics it holds."""

    id: str
    title: dict[str, str]
    knowledge_bases: tuple[str, ...]
    top_topics: tuple[str, ...]


@dataclass(frozen=True)
class BotConfig:
    """One department's bot, as declared in its bot.yml."""

    name: str
    path: Path  # the bot's folder
    display_name: dict[str, str]
    languages: tuple[str, ...]
    default_language: str
    knowledge_bases: tuple[str, ...]
    greeting: dict[str, str]
    channels: tuple[str, ...]  # the names of the enabled entries of `channel_entries`
    persona: dict[str, str] = field(default_factory=dict)
    handoff: Handoff = field(default_factory=Handoff)
    top_topics: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    privacy_notice: dict[str, str] = field(default_factory=dict)
    service_areas: tuple[ServiceArea, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know
    channel_entries: tuple[ChannelEntry, ...] = ()

    @property
    def domain_path(self) -> Path:
        return self.path / "domain.yml"

    @property
    def config_only(self) -> bool:
        """A plain FAQ bot made from bot.yml alone: `hkbot train` derives its domain (bots.registry.project)."""
        return not self.domain_path.is_file() and not self.data_dir.is_dir()

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    def area(self, area_id: object) -> ServiceArea | None:
        """The service area called `area_id`, or None when the bot has no such area."""
        return next((area for area in self.service_areas if area.id == area_id), None)

    def text(self, key: str, language: str) -> str:
        """A multilingual field (display_name, greeting, ...) in `language`, falling back sensibly."""
        values: dict[str, str] = getattr(self, key)
        for tag in (language, "zh-Hant" if language in ("yue", "zh-Hans") else "en", self.default_language, "en"):
            if values.get(tag):
                return values[tag]
        return next(iter(values.values()), "")


def _fail(path: Path, key: str, problem: str) -> BotConfigError:
    return BotConfigError(f"{path}: key '{key}': {problem}")


def _string(path: Path, data: dict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _string_list(path: Path, data: dict, key: str, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, None if required else [])
    if not isinstance(value, list) or (required and not value):
        raise _fail(path, key, f"must be a{' non-empty' if required else ''} list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, (str, int)) or not str(item).strip():
            raise _fail(path, key, f"every item must be a non-empty string, got {item!r}")
    return tuple(str(item).strip() for item in value)


def _texts(path: Path, data: dict, key: str, required: bool = True) -> dict[str, str]:
    """A map from language tag to text, e.g. {en: ..., zh-Hant: ...}."""
    value = data.get(key, None if required else {})
    if not isinstance(value, dict) or (required and not value):
        raise _fail(path, key, f"must be a map from language tag to text, got {value!r}")
    for tag, text in value.items():
        if tag not in LANGUAGES:
            raise _fail(path, key, f"unknown language tag {tag!r} (use one of {', '.join(LANGUAGES)})")
        if not isinstance(text, str) or not text.strip():
            raise _fail(path, f"{key}.{tag}", f"must be a non-empty string, got {text!r}")
    if required and not ({"en", "zh-Hant"} <= set(value)):
        raise _fail(path, key, "needs at least an 'en' and a 'zh-Hant' text")
    return {tag: text.strip() for tag, text in value.items()}


def _handoff(path: Path, data: dict) -> Handoff:
    value = data.get("handoff", {})
    keys = "target, phone, wait_seconds, urgent_wait_seconds"
    if not isinstance(value, dict):
        raise _fail(path, "handoff", f"must be a map with {keys}; got {value!r}")
    unknown = set(value) - {"target", "phone", "wait_seconds", "urgent_wait_seconds"}
    if unknown:
        raise _fail(path, f"handoff.{sorted(unknown)[0]}", f"unknown key (use {keys})")
    waits = {}
    for key in ("wait_seconds", "urgent_wait_seconds"):
        wait = value.get(key, getattr(Handoff, key))
        if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
            raise _fail(path, f"handoff.{key}", f"must be a whole number of seconds, got {wait!r}")
        waits[key] = wait
    return Handoff(
        target=str(value.get("target", Handoff.target)),
        phone=str(value.get("phone", Handoff.phone)),
        wait_seconds=waits["wait_seconds"],
        urgent_wait_seconds=min(waits["urgent_wait_seconds"], waits["wait_seconds"]),
    )


def _channel_settings(path: Path, key: str, value: Any) -> dict[str, Any]:
    """A channel entry's settings, checked: plain values, and secrets only as environment variable names."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, key, f"the settings must be a map (setting: value), got {value!r}")
    settings: dict[str, Any] = {}
    for name, setting in value.items():
        where = f"{key}.{name}"
        if not isinstance(name, str) or not name.strip():
            raise _fail(path, where, "a setting name must be a non-empty string")
        if name == "enabled":
            if not isinstance(setting, bool):
                raise _fail(path, where, f"must be true or false, got {setting!r}")
        elif name == "path":
            if not isinstance(setting, str) or not CHANNEL_PATH.match(setting):
                raise _fail(path, where, f"must be lower-case letters, digits, '_' or '-' (at most 32), got {setting!r}")
        elif name.endswith("_env"):
            if not isinstance(setting, str) or not ENV_NAME.match(setting):
                raise _fail(path, where, f"must be the NAME of an environment variable (letters, digits, _), got {setting!r}")
        elif SECRET_SETTING.search(name):
            raise _fail(path, where, f"a secret is never written in bot.yml: set it in an environment variable and "
                                     f"give that variable's name as '{name}_env: VARIABLE_NAME'")
        elif isinstance(setting, (dict, list)) or (setting is not None and not isinstance(setting, (str, int, float, bool))):
            raise _fail(path, where, f"must be a plain value (text, number, true/false), got {setting!r}")
        settings[name] = setting
    return settings


def _channels(path: Path, data: dict) -> tuple[ChannelEntry, ...]:
    """`channels`: names (`- rest`) and/or one-key maps of a name or class path to its settings."""
    value = data.get("channels")
    if not isinstance(value, list) or not value:
        raise _fail(path, "channels", f"must be a non-empty list of channel names or 'name: {{settings}}' entries, got {value!r}")
    entries: list[ChannelEntry] = []
    for index, item in enumerate(value):
        key = f"channels[{index}]"
        if isinstance(item, str):
            name, settings = item.strip(), {}
        elif isinstance(item, dict) and len(item) == 1:
            name, raw = next(iter(item.items()))
            name = str(name).strip()
            settings = _channel_settings(path, f"{key}.{name}", raw)
        else:
            raise _fail(path, key, f"must be a channel name or one 'name: {{settings}}' map, got {item!r}")
        if not CHANNEL_NAME.match(name):
            raise _fail(path, key, f"{name!r} is not a channel name or a dotted class path")
        entries.append(ChannelEntry(name, settings))
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        mount = entry.path or entry.name
        if entry.enabled and mount in seen:
            raise _fail(path, f"channels[{index}]", f"{mount!r} is mounted twice (also channels[{seen[mount]}]); "
                                                    "give one of them its own 'path: <name>'")
        seen[mount] = index
    return tuple(entries)


def _service_area(path: Path, index: int, value: object, bot_kbs: tuple[str, ...]) -> ServiceArea:
    """One item of `service_areas`, checked against the bot's own knowledge bases."""
    key = f"service_areas[{index}]"
    if not isinstance(value, dict):
        raise _fail(path, key, f"must be a map with {', '.join(AREA_KEYS)}; got {value!r}")
    unknown = sorted(set(value) - set(AREA_KEYS))
    if unknown:
        raise _fail(path, f"{key}.{unknown[0]}", f"unknown key (use {', '.join(AREA_KEYS)})")
    for required in AREA_KEYS:
        if required not in value:
            raise _fail(path, f"{key}.{required}", "is required")
    area_id = str(value["id"]).strip()
    if not NAME_PATTERN.match(area_id):
        raise _fail(path, f"{key}.id", f"{area_id!r} must be letters, digits and underscores")

    def inner(name: str) -> dict[str, object]:  # the item's value under its full key, for the shared checks
        return {f"{key}.{name}": value[name]}

    kbs = _string_list(path, inner("knowledge_bases"), f"{key}.knowledge_bases")
    outside = [kb for kb in kbs if kb not in bot_kbs]
    if outside:
        raise _fail(path, f"{key}.knowledge_bases", f"{outside[0]!r} is not one of the bot's knowledge_bases {list(bot_kbs)}")
    topics = _string_list(path, inner("top_topics"), f"{key}.top_topics")
    for topic in topics:
        if topic.split(".", 1)[0] not in kbs:
            raise _fail(path, f"{key}.top_topics", f"{topic!r} is not a topic of the area's knowledge bases {list(kbs)}")
    if len(set(topics)) != len(topics):
        raise _fail(path, f"{key}.top_topics", "lists a topic twice")
    return ServiceArea(id=area_id, title=_texts(path, inner("title"), f"{key}.title"), knowledge_bases=kbs, top_topics=topics)


def _service_areas(path: Path, data: dict, bot_kbs: tuple[str, ...]) -> tuple[ServiceArea, ...]:
    """bot.yml `service_areas`: a list of areas with unique ids (optional; none means top_topics only)."""
    value = data.get("service_areas")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, "service_areas", f"must be a list of areas ({', '.join(AREA_KEYS)}); got {value!r}")
    areas: list[ServiceArea] = []
    for index, item in enumerate(value):
        area = _service_area(path, index, item, bot_kbs)
        if any(area.id == other.id for other in areas):
            raise _fail(path, f"service_areas[{index}].id", f"{area.id!r} is used by two areas")
        areas.append(area)
    return tuple(areas)


def load_bot(folder: Path) -> BotConfig:
    """Read and validate `folder/bot.yml`."""
    path = folder / BOT_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BotConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise BotConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise BotConfigError(f"{path}: must be a YAML map of keys (name, display_name, ...)")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise _fail(path, key, "is required")

    name = str(data["name"]).strip()
    if not NAME_PATTERN.match(name):
        raise _fail(path, "name", f"{name!r} must be letters, digits and underscores")
    if name != folder.name:
        raise _fail(path, "name", f"{name!r} must match its folder name {folder.name!r}")

    languages = _string_list(path, data, "languages")
    for tag in languages:
        if tag not in LANGUAGES:
            raise _fail(path, "languages", f"unknown language tag {tag!r} (use {', '.join(LANGUAGES)})")
    default_language = _string(path, data, "default_language")
    if default_language not in languages:
        raise _fail(path, "default_language", f"{default_language!r} is not one of languages {list(languages)}")

    channel_entries = _channels(path, data)
    knowledge_bases = _string_list(path, data, "knowledge_bases")
    return BotConfig(
        name=name,
        path=folder,
        display_name=_texts(path, data, "display_name"),
        languages=languages,
        default_language=default_language,
        knowledge_bases=knowledge_bases,
        greeting=_texts(path, data, "greeting"),
        channels=tuple(entry.name for entry in channel_entries if entry.enabled),
        persona=_texts(path, data, "persona", required=False),
        handoff=_handoff(path, data),
        top_topics=_string_list(path, data, "top_topics", required=False),
        allowed_origins=_string_list(path, data, "allowed_origins", required=False),
        privacy_notice=_texts(path, data, "privacy_notice", required=False),
        service_areas=_service_areas(path, data, knowledge_bases),
        extra={key: value for key, value in data.items() if key not in KNOWN_KEYS},
        channel_entries=channel_entries,
    )


def bot_names() -> list[str]:
    """Names of every bot folder (a folder with a bot.yml) under `bots_dir()`, sorted."""
    root = bots_dir()
    return sorted(p.parent.name for p in root.glob(f"*/{BOT_FILE}"))


def load_bots(names: Iterable[str] | None = None) -> dict[str, BotConfig]:
    """The named bots (all when None), validated; unknown names are an error listing the known ones."""
    known = bot_names()
    wanted = list(names) if names else known
    if not wanted:
        raise BotConfigError(f"{bots_dir()}: no bots found (a bot is a folder with a {BOT_FILE})")
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise BotConfigError(f"unknown bot {unknown[0]!r}; known bots: {', '.join(known) or 'none'}")
    return {name: load_bot(bots_dir() / name) for name in wanted}
