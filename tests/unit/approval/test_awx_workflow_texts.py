"""What a person sees in AWX: the approval node's name and instructions, and why a survey question is refused."""

import re

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.awx_objects import SurveyError, survey_spec, workflow_nodes


def test_the_approval_node_is_named_like_the_stage_templates_and_tells_the_approver_what_to_read():
    approval = workflow_nodes(["render", "verify"], "Default", 3600)[1]["unified_job_template"]
    # playbooks/awx/workflow.yml names every job template "calico: <stage>"; the approval node follows suit.
    assert approval == {
        "name": "calico: approve the render",
        "type": "workflow_approval",
        "timeout": 3600,
        "description": "Read the review summary at the end of the render job, then approve or deny",
    }


def test_a_refused_question_names_every_wrong_variable_and_every_allowed_one():
    with pytest.raises(SurveyError) as refused:
        survey_spec(["calico_mtu", "calico_racks", "no_such_variable"])
    message = str(refused.value)
    match = re.fullmatch(r"not scalar cluster variables, so not survey questions: (.*) \(allowed: (.*)\)", message)
    assert match, message
    assert match.group(1).split(", ") == ["calico_racks", "no_such_variable"]
    assert match.group(2).split(", ") == sorted(var.name for var in input_schema.survey_vars())
