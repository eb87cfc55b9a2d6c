"""plan.schema.json: every plan the core builds matches it, and a plan that drifts from it is refused."""

import copy
import json
import os

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan, schema
from plan_inputs import base, tor_base
from testpaths import REPO


def test_example_plans_match_the_schema(example_plan, each_example):
    schema.check(example_plan(each_example))  # build_plan checked it already; a second look costs nothing


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda p: p["nodes"]["a1"]["peers"][0].update(kind="bogus"), "data.nodes.a1.peers[0].kind"),
        (lambda p: p["tor_routers"]["tor1"]["timers"].pop("hold"), "data.tor_routers.tor1.timers"),
        (lambda p: p["nodes"]["a1"].update(unplanned=1), "data.nodes.a1"),
        (lambda p: p["cluster"].update(node_count="4"), "data.cluster.node_count"),
        (lambda p: p["racks"]["r1"].update(_nets=[]), "data.racks.r1"),
    ],
)
def test_a_plan_that_drifts_from_the_schema_is_refused(change, where):
    plan = copy.deepcopy(build_plan(tor_base()).plan)
    change(plan)
    with pytest.raises(schema.PlanSchemaError) as err:
        schema.check(plan)
    assert "(at %s)" % where in str(err.value)


def test_every_plan_section_is_described():
    document = json.load(open(schema.SCHEMA_PATH, encoding="utf-8"))
    plan = build_plan(base()).plan
    assert sorted(document["properties"]) == sorted(plan)
    assert document["additionalProperties"] is False


def test_plan_doc_points_at_the_schema():
    with open(os.path.join(REPO, "docs", "plan.md"), encoding="utf-8") as handle:
        assert "plugins/plugin_utils/plan/plan.schema.json" in handle.read()
