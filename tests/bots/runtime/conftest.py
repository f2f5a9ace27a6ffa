"""The dog licence bot's runtime from its trained model, in memory, once per test module that asks for it."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def runtime(request, trained_models, tmp_path_factory):
    import os

    from hkbot.bot_config import load_bots
    from bots.runtime.agents import load_runtime

    os.environ["HKBOT_DATA_DIR"] = str(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    try:
        return load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"], in_memory=True)
    finally:
        del os.environ["HKBOT_DATA_DIR"]
