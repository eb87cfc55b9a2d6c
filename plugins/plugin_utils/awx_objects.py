"""AWX objects of the install / change workflow: its survey and its chain of nodes.

The survey is the input schema's (``input_schema.survey_spec``, also written to
docs/awx/survey.json), restricted to the questions a site chooses: cluster variables only (extra
variables override every host, so a host variable must never be asked), scalars only (lists and
mappings describe the network and belong in git, reviewed), every question optional without a
default (an answer overrides the inventory's reviewed value).
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema


class SurveyError(ValueError):
    """A requested question is not a scalar cluster variable."""


def survey_spec(names) -> dict:
    """The survey_spec of AWX with one question for each of ``names``, in that order."""
    allowed = {var.name: var for var in input_schema.survey_vars()}
    wrong = [n for n in names if n not in allowed]
    if wrong:
        raise SurveyError("not scalar cluster variables, so not survey questions: %s (allowed: %s)"
                          % (", ".join(wrong), ", ".join(sorted(allowed))))
    return input_schema.survey_spec([allowed[n] for n in names])


def workflow_nodes(stages, organization: str, approval_timeout: int) -> list[dict]:
    """The workflow_nodes option of the AWX collection's workflow_job_template module: the first stage (render), an approval
    node, then the other stages, each linked on success to the next."""
    sequence = [stages[0], "approval"] + list(stages[1:])
    nodes = []
    for index, step in enumerate(sequence):
        if step == "approval":
            template = {"name": "calico: approve the render", "type": "workflow_approval", "timeout": approval_timeout,
                        "description": "Read the review summary at the end of the render job, then approve or deny"}
        else:
            template = {"name": "calico: " + step, "type": "job_template", "organization": {"name": organization}}
        following = sequence[index + 1:index + 2]
        nodes.append({"identifier": step, "unified_job_template": template,
                      "related": {"success_nodes": [{"identifier": n} for n in following]}})
    return nodes
