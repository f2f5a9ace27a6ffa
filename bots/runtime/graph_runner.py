"""`SequentialGraphRunner`: runs a model's graph nodes one after another, in an order worked out once per target list.

Rasa's `DaskGraphRunner` rebuilds the minimal schema and a dask task graph, then has dask
schedule it, three times a turn (NLU, then each action prediction): several milliseconds of
bookkeeping for a chain of a dozen nodes that never runs in parallel (dask's synchronous
scheduler). Same nodes, same inputs, same outputs, same errors. Used for prediction only, by
`bots.runtime.processor.HkbotProcessor`; training keeps Rasa's runner.
Equivalence: tests/bots/runtime/test_processor.py.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """Rasa's DaskGraphRunner (same construction) whose `run` calls the nodes in a remembered order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[tuple, list] = {}

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = list(targets) if targets else self._graph_schema.target_names
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to the `run` method are the same as node names in the graph schema.")
            results[name] = (name, value)
        try:
            for name, needs in self._plan(tuple(run_targets)):
                # Like dask, a parent that is neither a node nor an input is passed as its name.
                results[name] = self._instantiated_nodes[name](*(results.get(parent, parent) for parent in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets if target in results)

    def _plan(self, targets: tuple) -> list:
        """The nodes the targets need, parents first, each with its parents' names in argument order."""
        if targets not in self._plans:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            ordered: list = []

            def visit(name: Text) -> None:
                if name in nodes and name not in ordered:
                    for parent in nodes[name].needs.values():
                        visit(parent)
                    ordered.append(name)

            for name in nodes:
                visit(name)
            self._plans[targets] = [(name, tuple(nodes[name].needs.values())) for name in ordered]
        return self._plans[targets]
