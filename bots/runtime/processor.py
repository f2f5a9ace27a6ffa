"""hkbot's Rasa Agent and MessageProcessor: the sequential graph runner, and no tracker copy for read-only actions.

`HkbotAgent.load_model` is Rasa 3.6's `Agent.load_model` with `HkbotProcessor` in place of
`MessageProcessor`; `HkbotProcessor` loads the model with `SequentialGraphRunner` (see
bots/runtime/graph_runner.py) and runs actions that only read the tracker on the tracker
itself (on the tested library versions only, `nlu.components.versions`). Equivalence with Rasa's own agent and processor: tests/bots/runtime/test_processor.py.

A channel that cannot be reached between turns (plain REST: its output channel says `hkbot_pull_only`) gets what
an officer sent into its conversation since the citizen's last message (console.handoff_desk.push) at the start of
the citizen's next turn, and a turn that brought nothing while an officer has the conversation gets a sentence
saying so: a REST citizen in a handoff heard nothing, ever. Only the channel the conversation came from gets them.
"""
from __future__ import annotations

import logging
import os
import tarfile
from pathlib import Path
from typing import Any, Optional, Text, Tuple, Union

from rasa.core.actions.action import Action, ActionBotResponse, ActionListen, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.engine import loader
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelMetadata
from rasa.exceptions import ModelNotFound
from rasa.model import get_latest_model
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.common import TempDirectoryPath, get_temp_dir_name

from actions.sentences import sentence
from bots.runtime.graph_runner import SequentialGraphRunner
from bots.runtime.policies import HANDOFF_SLOT
from nlu.components.versions import speedups_allowed
from nlu.language_id import detect_language

logger = logging.getLogger("hkbot.runtime")

#: Actions that never change the tracker they are given (remote actions get a serialised copy).
READ_ONLY_ACTIONS = (RemoteAction, ActionListen, ActionBotResponse)
#: Kinds of the messages the console puts into a conversation between the citizen's turns (console.handoff_desk.push).
PUSHED_KINDS = frozenset({"agent", "handoff_timeout", "handoff_released"})


def unseen_pushed(tracker: DialogueStateTracker, channel: str) -> list[BotUttered]:
    """The messages pushed into the conversation since the citizen's last message, oldest first; none unless that
    message came from `channel` (a REST caller may not read what was meant for a Telegram chat)."""
    if tracker.get_latest_input_channel() != channel:
        return []
    found = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and (event.metadata or {}).get("kind") in PUSHED_KINDS:
            found.append(event)
    return found[::-1]


def last_language(tracker: DialogueStateTracker) -> Optional[str]:
    """The language of the bot's latest message in the conversation (its metadata), if any."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered) and (event.metadata or {}).get("language"):
            return str(event.metadata["language"])
    return None


class HkbotProcessor(MessageProcessor):
    """Rasa's MessageProcessor with `SequentialGraphRunner`, no tracker copy for read-only actions, and an officer's
    messages handed to channels that cannot be pushed to."""

    async def fetch_tracker_and_update_session(
        self, sender_id: Text, output_channel: Optional[OutputChannel] = None, metadata: Optional[dict] = None,
    ) -> DialogueStateTracker:
        """Rasa's, then, for a pull-only channel (plain REST) whose conversation it is, the officer's messages it has
        not seen, before the turn's own replies."""
        tracker = await super().fetch_tracker_and_update_session(sender_id, output_channel, metadata)
        if output_channel is None or not getattr(output_channel, "hkbot_pull_only", False):
            return tracker
        for event in unseen_pushed(tracker, output_channel.name()):
            await output_channel.send_response(sender_id, event.message())
        if tracker.get_slot(HANDOFF_SLOT) is True and tracker.get_latest_input_channel() == output_channel.name():
            output_channel.hkbot_handoff_language = last_language(tracker) or ""
        return tracker

    async def handle_message(self, message: UserMessage) -> Optional[list[dict[str, Any]]]:
        """Rasa's; then, on a pull-only channel whose conversation an officer has, a turn that brought nothing at all
        (no answer, nothing new from the officer) gets a sentence saying so, in the citizen's language."""
        result = await super().handle_message(message)
        output = message.output_channel
        language = getattr(output, "hkbot_handoff_language", None)
        if language is not None and not getattr(output, "messages", None):
            detected = detect_language(message.text)
            language = detected if detected != "und" else (language or None)
            await output.send_response(message.sender_id, {"text": sentence("officer_waiting", language),
                                                           "kind": "handoff_waiting", "label": "handoff_waiting",
                                                           "language": language})
        return result

    @staticmethod
    def _load_model(model_path: Union[Text, Path]) -> Tuple[Text, ModelMetadata, GraphRunner]:
        """Rasa 3.6's `MessageProcessor._load_model`, with `SequentialGraphRunner` for Rasa's `DaskGraphRunner`."""
        try:
            if os.path.isfile(model_path):
                model_tar = model_path
            else:
                model_file_path = get_latest_model(model_path)
                if not model_file_path:
                    raise ModelNotFound(f"No model found at path '{model_path}'.")
                model_tar = model_file_path
        except TypeError:
            raise ModelNotFound(f"Model {model_path} can not be loaded.") from None

        logger.info(f"Loading model {model_tar}...")
        with TempDirectoryPath(get_temp_dir_name()) as temporary_directory:
            try:
                runner_class = SequentialGraphRunner if speedups_allowed("graph runner") else DaskGraphRunner
                metadata, runner = loader.load_predict_graph_runner(Path(temporary_directory), Path(model_tar), LocalModelStorage, runner_class)
                return os.path.basename(model_tar), metadata, runner
            except tarfile.ReadError:
                raise ModelNotFound(f"Model {model_path} can not be loaded.") from None

    async def _run_action(
        self, action: Action, tracker: DialogueStateTracker, output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator, prediction: PolicyPrediction,
    ) -> bool:
        """Rasa's `_run_action`, skipping its temporary tracker copy for read-only actions when the policy added no events.

        Rasa replays the whole conversation into a copy before each action, so that the
        policy's events can be dropped if the action is rejected. With no policy events the
        copy equals the tracker, and remote actions (serialised to the action server),
        `action_listen` and bot responses never change the tracker they are given: for those
        the tracker itself is used. Every other action, and any policy events, keep Rasa's copy.
        """
        if prediction.events or type(action) not in READ_ONLY_ACTIONS or "copy" in vars(tracker) or not speedups_allowed("read-only actions"):
            return await super()._run_action(action, tracker, output_channel, nlg, prediction)
        tracker.copy = lambda: tracker  # for Rasa's `temporary_tracker = tracker.copy()` only
        try:
            return await super()._run_action(action, tracker, output_channel, nlg, prediction)
        finally:
            del tracker.copy


class HkbotAgent(Agent):
    """Rasa's Agent whose models load into `HkbotProcessor`. Create it, then call `load_model` (Rasa's `Agent.load` builds a plain Agent)."""

    def load_model(self, model_path: Union[Text, Path], fingerprint: Optional[Text] = None) -> None:
        """Rasa 3.6's `Agent.load_model` with `HkbotProcessor`."""
        self.processor = HkbotProcessor(
            model_path=model_path,
            tracker_store=self.tracker_store,
            lock_store=self.lock_store,
            action_endpoint=self.action_endpoint,
            generator=self.nlg,
            http_interpreter=self.http_interpreter,
        )
        self.domain = self.processor.domain

        self._set_fingerprint(fingerprint)

        # update domain on all instances
        self.tracker_store.domain = self.domain
        if isinstance(self.nlg, TemplatedNaturalLanguageGenerator):
            self.nlg.responses = self.domain.responses if self.domain else {}


def load_agent(model_path: Union[Text, Path], **kwargs: Any) -> HkbotAgent:
    """Rasa's `Agent.load` (same keyword arguments) building an `HkbotAgent`."""
    agent = HkbotAgent(**kwargs)
    agent.load_model(model_path=model_path, fingerprint=kwargs.get("fingerprint"))
    return agent
