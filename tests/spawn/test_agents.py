"""The agent catalogue: built-ins overlaid by the configuration, resolved once."""

from __future__ import annotations

import pytest

from maestro_jupyter.errors import ValidationFailed
from maestro_jupyter.spawner.agents import AgentCatalogue, substitute

pytestmark = pytest.mark.timeout(30)


def test_configured_agents_overlay_and_remove_built_ins():
    catalogue = AgentCatalogue({"shell": None, "echo": {"argv": ["echo", "{prompt}"]}}, "echo")
    assert "shell" not in catalogue.names and "echo" in catalogue.names
    assert catalogue.resolve(None).argv == ("echo", "{prompt}")


def test_a_default_that_names_no_agent_falls_back_to_the_first_one():
    catalogue = AgentCatalogue({"shell": None, "echo": {"argv": ["echo"]}}, "gone")
    assert catalogue.default == catalogue.names[0]


@pytest.mark.parametrize(
    "spec",
    [{"argv": []}, {"argv": "echo hi"}, {"argv": ["echo", 3]}, {"argv": ["echo"], "env": {"A": 1}}],
)
def test_a_misconfigured_agent_is_refused_by_name_with_the_reason(spec):
    catalogue = AgentCatalogue({"odd": spec})
    assert "odd" not in catalogue.names
    with pytest.raises(ValidationFailed) as refused:
        catalogue.resolve("odd")
    assert refused.value.details["errors"][0]["field"] == "agent"
    assert "in the config" in refused.value.message


def test_placeholders_are_replaced_only_as_whole_items():
    argv = ["run", "{prompt}", "--x={prompt}", "{brief}"]
    values = {"{prompt}": "hello; rm -rf /", "{brief}": "/b.md"}
    assert substitute(argv, values) == ["run", "hello; rm -rf /", "--x={prompt}", "/b.md"]
