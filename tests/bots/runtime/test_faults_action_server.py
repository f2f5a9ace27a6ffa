"""The external action server stops and comes back: citizens get an apology with 1823 meanwhile, then answers again."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port, stop_process
from tests.scaleout_services import BOT, Conversation, stored_user_texts  # noqa: F401


class ActionServer:
    """rasa-sdk's own action server (`python -m rasa_sdk --actions actions`) as a subprocess on a fixed port."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        env = {**os.environ, "HKBOT_DATA_DIR": str(self.data_dir),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        log = open(self.data_dir / "actions.log", "a")
        self.process = subprocess.Popen([str(REPO / ".venv" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.port)],
                                        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data_dir / "actions.log").read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the action server did not start")

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture(scope="module")
def actions(tmp_path_factory):
    server = ActionServer(tmp_path_factory.mktemp("action-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot_server(actions, server_factory):
    """dog_licence with its actions run by the external action server."""
    return server_factory(env={"HKBOT_ACTION_ENDPOINT": f"{actions.url}/webhook"}, bots=[BOT])


def test_action_server_stops_then_returns(actions, bot_server):
    chat = Conversation()
    answer = chat.reply(bot_server, "狗牌幾多錢？")
    assert (answer["kind"], answer["label"]) == ("answer", "dog_licence.fee")

    actions.stop()
    for text, language, words in (("狗牌幾多錢？", "zh-Hant", "致電 1823"), ("How much is a dog licence?", "en", "call 1823")):
        apology = chat.reply(bot_server, text)
        assert (apology["kind"], apology["language"]) == ("error", language), apology
        assert words in apology["text"] and "Traceback" not in apology["text"]

    actions.start()
    again = chat.reply(bot_server, "How much is a dog licence?")
    assert (again["kind"], again["label"], again["language"]) == ("answer", "dog_licence.fee", "en")
    form = chat.reply(bot_server, "/request_checklist")  # the conversation goes on where it was
    assert form["kind"] == "form" and form["slot"] == "dog_application"
    assert "action server" in bot_server.log_path.read_text()  # the outage is in the log for IT
