"""AWX objects of the install / change workflow: its survey and its chain of nodes.

The survey comes from the inventory's variable table.

The survey asks for cluster variables only (extra variables override every host, so a host
variable must never be asked) and only for scalars: lists and mappings describe the network and
belong in git, reviewed. ``question_source()`` is the one place that says where questions come
from, so a richer variable schema can replace the table without touching the playbook.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.catalog import SUPPORTED_VERSIONS
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import CLUSTER_VARS

# Variable types of CLUSTER_VARS that a survey question can carry.
SCALAR_TYPES = ("str", "str?", "int", "bool", "int|auto")


class SurveyError(ValueError):
    """A requested question is not a scalar cluster variable."""


def question_source() -> dict:
    """name -> (type, default) of every variable a survey may ask for."""
    return {name: spec for name, spec in CLUSTER_VARS.items() if spec[0] in SCALAR_TYPES}


def _question(name: str, kind: str, default, current) -> dict:
    value = default if current is None else current
    question = {"variable": name, "question_name": name, "required": True,
                "question_description": "Cluster variable %s (docs/inventory.md)" % name}
    if name == "calico_version":
        question.update(type="multiplechoice", choices=list(SUPPORTED_VERSIONS))
    elif kind == "bool":
        question.update(type="multiplechoice", choices=["true", "false"])
        value = "true" if value else "false"
    elif kind == "int":
        question.update(type="integer")
    else:
        question.update(type="text")
    question["default"] = value if value is not None else ""
    return question


def survey_spec(names, current=None) -> dict:
    """The survey_spec of AWX for ``names``; ``current`` overrides defaults (e.g. the git values)."""
    source = question_source()
    wrong = [n for n in names if n not in source]
    if wrong:
        raise SurveyError("not scalar cluster variables, so not survey questions: %s (allowed: %s)"
                          % (", ".join(wrong), ", ".join(sorted(source))))
    current = current or {}
    return {"name": "onprem.calico cluster variables", "description": "Answers become extra variables of every node.",
            "spec": [_question(n, source[n][0], source[n][1], current.get(n)) for n in names]}


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
