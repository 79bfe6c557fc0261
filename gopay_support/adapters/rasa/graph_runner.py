"""Rasa's prediction graph run in plain Python instead of through dask.

Every message runs the NLU part of the model's graph, and every action prediction its
policy part, through ``DaskGraphRunner``: per run it prunes the schema to the targets,
builds a dask task graph and has dask's synchronous scheduler order and call the nodes.
For a graph of a dozen nodes run one after the other that bookkeeping was about a tenth of
the Rasa server's time per message (issue 11, per-turn cost). :class:`SequentialGraphRunner`
does the same work with the order computed once per set of targets: the same nodes, called
the same way (each gets the ``(name, output)`` pairs of the nodes it needs, or a name that
nothing provided, as dask passes it), and the same result.

Installed by :func:`install` before Rasa loads a model (the tracker store calls it when the
server starts: Rasa builds it before the model's processor).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage

__all__ = ["SequentialGraphRunner", "install"]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` without dask: the nodes are called in a precomputed order."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._plans: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = list(targets) if targets else self._graph_schema.target_names
        plan = self._plan(tuple(run_targets))
        nodes = {name for name, _ in plan}
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of "
                    f"the input names passed to the `run` method are the same as node names "
                    f"in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in plan:
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The nodes the targets depend on, each after the nodes it needs."""
        plan = self._plans.get(targets)
        if plan is not None:
            return plan
        schema = self._graph_schema.minimal_graph_schema(list(targets))
        ordered: list[tuple[str, tuple[str, ...]]] = []
        placed: set[str] = set()

        def place(name: str, visiting: frozenset[str]) -> None:
            if name in placed or name not in schema.nodes:
                return
            if name in visiting:
                raise GraphRunError(f"The graph has a cycle through '{name}'.")
            needs = tuple(schema.nodes[name].needs.values())
            for need in needs:
                place(need, visiting | {name})
            placed.add(name)
            ordered.append((name, needs))

        for target in targets:
            place(target, frozenset())
        self._plans[targets] = ordered
        return ordered


def install() -> None:
    """Idempotent: Rasa's processor loads models with :class:`SequentialGraphRunner`."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
