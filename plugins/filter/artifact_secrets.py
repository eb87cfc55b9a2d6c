# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter onprem.calico.artifact_secrets_filled."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: artifact_secrets_filled
short_description: Put the secrets back into a rendered artifact, in memory, at apply time
version_added: "0.1.0"
description:
  - Rendered artifacts hold placeholders where the BGP password and the etcd client key go, so
    they can be reviewed and published. This filter replaces every placeholder with its value
    (plain, or base64 inside a Secret's C(data)) in a string or in parsed YAML/JSON objects.
  - The etcd client key is read on the controller from C(plan.manifest.etcd.key_file).
  - Fails naming the missing variable when an artifact needs a secret that was not given.
  - Use it only in tasks with C(no_log), and never write its result to a file that is kept.
positional: plan, bgp_password
options:
  _input:
    description: The artifact text, or its parsed objects (a list of documents, a dict).
    type: raw
    required: true
  plan:
    description: The plan (C(calico_plan)).
    type: dict
    required: true
  bgp_password:
    description: The BGP password (C(calico_bgp_password)), when BGP passwords are enabled.
    type: str
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Read the rendered manifest with its secrets
  ansible.builtin.set_fact:
    docs: "{{ lookup('file', path) | from_yaml_all | list | onprem.calico.artifact_secrets_filled(calico_plan) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The input with every placeholder replaced, same type as the input.
  type: raw
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import (
    SECRET_SOURCES,
    MissingSecret,
    fill_objects,
    fill_text,
    placeholder,
    secret_values,
)


def artifact_secrets_filled(data, plan, bgp_password=None):
    # Back to plain types: values that passed through Ansible carry tags.
    plan = json.loads(json.dumps(plan))
    try:
        values = secret_values(plan, bgp_password)
        if isinstance(data, str):
            return fill_text(data, values)
        return fill_objects(json.loads(json.dumps(data)), values)
    except (MissingSecret, OSError) as err:
        raise AnsibleFilterError("artifact_secrets_filled: %s" % err)


def artifact_secret_placeholder(name):
    """What a rendered artifact holds instead of the secret ``name`` (bgp_password, etcd_key)."""
    if name not in SECRET_SOURCES:
        raise AnsibleFilterError("artifact_secret_placeholder: unknown secret %r (known: %s)" % (name, ", ".join(SECRET_SOURCES)))
    return placeholder(name)


class FilterModule:
    def filters(self):
        return {"artifact_secrets_filled": artifact_secrets_filled, "artifact_secret_placeholder": artifact_secret_placeholder}
