# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters onprem.calico.awx_survey_spec (documented here) and awx_workflow_nodes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: awx_survey_spec
short_description: The AWX survey spec for scalar cluster variables
version_added: "0.1.0"
description:
  - Builds the C(survey_spec) of an AWX workflow or job template with one question per variable,
    taken from the input schema's survey (docs/awx/survey.json) - typed (multiple choice for
    booleans and allowed values, integer with its bounds, text), optional and without a default,
    because an answer becomes an extra variable that overrides the inventory's reviewed value.
  - Fails naming the variable when it is not a scalar cluster variable (host variables and
    network descriptions never belong in a survey).
options:
  _input:
    description: The variable names to ask for, in order.
    type: list
    elements: str
    required: true
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Survey for the release and the production flag
  ansible.builtin.set_fact:
    spec: "{{ ['calico_version', 'calico_production'] | onprem.calico.awx_survey_spec }}"
"""

RETURN = r"""
_value:
  description: The survey spec (C(name), C(description), C(spec) with one question per variable).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.plugin_utils.awx_objects import SurveyError, survey_spec, workflow_nodes


def awx_survey_spec(names):
    try:
        return survey_spec(list(names))
    except SurveyError as err:
        raise AnsibleFilterError("awx_survey_spec: %s" % err)


def awx_workflow_nodes(stages, organization, approval_timeout):
    """The workflow's nodes: first stage, approval, the rest, chained on success."""
    return workflow_nodes(list(stages), organization, int(approval_timeout))


class FilterModule:
    def filters(self):
        return {"awx_survey_spec": awx_survey_spec, "awx_workflow_nodes": awx_workflow_nodes}
