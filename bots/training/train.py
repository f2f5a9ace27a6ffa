"""`hkbot train`: trains each bot whose inputs changed, with Rasa's Python API, caching models by fingerprint."""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bots.registry.project import BuiltProject, compose
from bots.server.logs import quiet_rasa
from hkbot.bot_config import BotConfigError, load_bots
from hkbot.settings import knowledge_dir, models_dir, var_dir
from knowledge.store import Refusal, refusal_line
from knowledge.validation import load_directory

logger = logging.getLogger(__name__)
KEEP_MODELS_PER_BOT = 3
FINGERPRINT_CHARS = 16


class TrainingError(RuntimeError):
    """Training a bot failed; the message says which bot and where the full log is."""


def model_path(bot: str, fingerprint: str) -> Path:
    return models_dir() / f"{bot}-{fingerprint[:FINGERPRINT_CHARS]}.tar.gz"


def fingerprint_of(model: Path) -> str:
    """The fingerprint part of a model file name (`dog_licence-<fp>.tar.gz`)."""
    return model.name.removesuffix(".tar.gz").rsplit("-", 1)[-1]


@contextlib.contextmanager
def _bot_lock(bot: str) -> Iterator[None]:
    """One trainer per bot at a time, across processes (parallel test runs share var/)."""
    lock_dir = var_dir() / "build"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f".{bot}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_rasa() -> None:
    """Keep Rasa's graph cache under var/ and its console output quiet."""
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(var_dir() / "rasa-cache"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    quiet_rasa()


def _train(project: BuiltProject, target: Path) -> None:
    """Run Rasa's training into a temporary name, then move it into place atomically."""
    import rasa.model_training

    log_path = project.root / "train.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as scratch:
        with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            handler = logging.StreamHandler(log)
            logging.getLogger().addHandler(handler)
            try:
                result = rasa.model_training.train(
                    domain=str(project.domain),
                    config=str(project.config),
                    training_files=[str(project.data)],
                    output=scratch,
                    fixed_model_name="model",
                )
            except Exception as error:  # Rasa raises many kinds; all mean "this bot did not train"
                logger.exception("training %s failed", project.bot)
                raise TrainingError(f"{project.bot}: training failed: {error} (full log: {log_path})") from error
            finally:
                logging.getLogger().removeHandler(handler)
        produced = Path(result.model) if result.model else None
        if result.code != 0 or produced is None or not produced.is_file():
            raise TrainingError(f"{project.bot}: training produced no model (exit code {result.code}; full log: {log_path})")
        os.replace(produced, target)


def _prune(bot: str, keep: Path) -> None:
    """Keep the newest few models of a bot; older ones only fill the disk."""
    models = sorted(models_dir().glob(f"{bot}-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS_PER_BOT - 1 :]:
        old.unlink(missing_ok=True)


def ensure_trained(
    names: Iterable[str] | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Train the named bots (all when None) whose inputs changed; return bot -> model path."""
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    bots = load_bots(names)
    models: dict[str, Path] = {}
    for number, bot in enumerate(bots.values(), start=1):
        prefix = f"[{number}/{len(bots)}] {bot.name}:"
        with _bot_lock(bot.name):
            project = compose(bot)
            target = model_path(bot.name, project.fingerprint)
            if target.is_file() and not force:
                say(f"{prefix} unchanged, skipped ({target.name})")
            else:
                _prepare_rasa()
                say(f"{prefix} training…")
                started = time.monotonic()
                _train(project, target)
                say(f"{prefix} training… done in {time.monotonic() - started:.0f} s ({target.name})")
                _prune(bot.name, target)
        models[bot.name] = target
    return models


def train_command(args: argparse.Namespace) -> int:
    """`hkbot train [BOT ...] [--force]`."""
    try:
        ensure_trained(args.bots or None, force=args.force, progress=lambda line: print(line, flush=True))
    except (BotConfigError, TrainingError) as error:
        print(f"hkbot train: {error}", file=sys.stderr)
        return 1
    refused = refused_knowledge()
    if refused:  # trained, but without those questions: the last line says which file to fix and how
        print(f"hkbot train: {refusal_line(refused, 'its questions were left out of training')}", file=sys.stderr, flush=True)
    return 0


def refused_knowledge() -> list:
    """The knowledge bases of the knowledge folder that validation refuses (training leaves them out)."""
    loaded = load_directory(knowledge_dir())
    return [Refusal(kb, tuple(problems), False) for kb, problems in sorted(loaded.refused.items())]
