"""The survey and the node chain of the AWX workflow, built without AWX."""

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.awx_objects import SurveyError, survey_spec, workflow_nodes
from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema


def test_questions_are_the_input_schemas_survey_questions():
    spec = survey_spec(["calico_production", "calico_mtu", "calico_block_size"])["spec"]
    production, mtu, block = spec
    schema_questions = {q["variable"]: q for q in input_schema.survey_spec()["spec"]}
    assert spec == [schema_questions[n] for n in ("calico_production", "calico_mtu", "calico_block_size")]
    assert production["type"] == "multiplechoice" and production["choices"] == ["true", "false"]
    assert mtu["type"] == "text" and block["type"] == "integer"
    assert not any(q["required"] or "default" in q for q in spec)


@pytest.mark.parametrize("name", ["calico_racks", "calico_ip_pools", "calico_rack", "no_such_variable"])
def test_lists_mappings_and_host_variables_are_no_questions(name):
    with pytest.raises(SurveyError, match=name):
        survey_spec([name])


def test_nodes_put_the_approval_after_render_and_chain_every_stage():
    nodes = workflow_nodes(["render", "preflight", "hosts"], "Default", 600)
    assert [n["identifier"] for n in nodes] == ["render", "approval", "preflight", "hosts"]
    assert [n["related"]["success_nodes"] for n in nodes] == [
        [{"identifier": "approval"}], [{"identifier": "preflight"}], [{"identifier": "hosts"}], []]
    assert nodes[1]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes[1]["unified_job_template"]["timeout"] == 600
    wanted = {"name": "calico: preflight", "type": "job_template", "organization": {"name": "Default"}}
    assert nodes[2]["unified_job_template"] == wanted
