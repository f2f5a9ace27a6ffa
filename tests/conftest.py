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
