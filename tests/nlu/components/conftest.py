"""A loaded dog_licence model for the components' equivalence tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def graph(trained_models, tmp_path_factory):
    """The dog_licence bot's prediction graph runner, loaded as the server loads it."""
    import os

    from hkbot.bot_config import load_bots
    from bots.runtime.agents import load_runtime

    os.environ["HKBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("components"))
    try:
        runtime = load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"], in_memory=True)
    finally:
        del os.environ["HKBOT_DATA_DIR"]
    return runtime.agent.processor.graph_runner


def components(graph, kind: type) -> list:
    return [node._component for node in graph._instantiated_nodes.values() if isinstance(getattr(node, "_component", None), kind)]


def featurized(graph, text: str):
    """The message after the last featurizer, before the classifier."""
    from rasa.core.channels.channel import UserMessage

    target = [name for name in graph._graph_schema.nodes if "CountVectorsCounter" in name][-1]
    return graph.run({"__message__": [UserMessage(text)], "__tracker__": None}, [target])[target][0]
