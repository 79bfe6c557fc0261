"""The graph runner without dask gives what Rasa's ``DaskGraphRunner`` gives, on the same
schema: the same nodes run (only those the targets need), the same inputs, the same
results, the same refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from gopay_support.adapters.rasa import graph_runner
from gopay_support.adapters.rasa.graph_runner import SequentialGraphRunner

CALLS: list[str] = []


class Step(GraphComponent):
    """Appends its name to what it is given, so a result shows the path it took."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(config["name"])

    def run(self, left: str, right: str = "") -> str:
        CALLS.append(self.name)
        return f"({left}{right})>{self.name}"


def node(name: str, is_target: bool = False, **needs: str) -> SchemaNode:
    return SchemaNode(
        needs=needs,
        uses=Step,
        constructor_name="create",
        fn="run",
        config={"name": name},
        is_target=is_target,
    )


SCHEMA = GraphSchema(
    {
        "a": node("a", left="message"),
        "b": node("b", left="a"),
        "c": node("c", left="a", right="b", is_target=True),
        "unused": node("unused", left="message"),
        "d": node("d", left="c", is_target=True),
    }
)


def runners(tmp_path: Path) -> list[DaskGraphRunner]:
    context = ExecutionContext(SCHEMA, "model")
    storage = LocalModelStorage(tmp_path)
    return [DaskGraphRunner(SCHEMA, storage, context), SequentialGraphRunner(SCHEMA, storage, context)]


@pytest.mark.parametrize("targets", [["c"], ["d"], ["c", "d"], None])
def test_the_same_nodes_run_and_give_the_same_results_as_with_dask(tmp_path: Path, targets: Any) -> None:
    outcomes = []
    for runner in runners(tmp_path):
        CALLS.clear()
        first = runner.run(inputs={"message": "hi"}, targets=targets)
        second = runner.run(inputs={"message": "yo"}, targets=targets)  # the cached order
        outcomes.append((first, second, sorted(CALLS)))
    assert outcomes[0] == outcomes[1]
    first, second, calls = outcomes[1]
    assert "unused" not in calls
    assert set(first) == set(targets or ["c", "d"])
    expected = {"c": "((hi)>a((hi)>a)>b)>c", "d": "(((hi)>a((hi)>a)>b)>c)>d"}
    assert first == {target: expected[target] for target in first}
    assert all("(yo)>a" in value for value in second.values())


def test_an_input_value_named_like_a_node_is_refused_as_dask_refuses_it(tmp_path: Path) -> None:
    for runner in runners(tmp_path):
        with pytest.raises(GraphRunError):
            runner.run(inputs={"message": "a"}, targets=["c"])


def test_install_makes_rasas_processor_load_models_with_it() -> None:
    import rasa.core.processor

    original = rasa.core.processor.DaskGraphRunner
    try:
        graph_runner.install()
        graph_runner.install()
        assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    finally:
        rasa.core.processor.DaskGraphRunner = original  # type: ignore[misc]
