# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter onprem.calico.api_host_architecture_check."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: api_host_architecture_check
short_description: Compare the API host's architecture with the plan's
version_added: "0.1.0"
description:
  - Takes the plan and the API host's C(ansible_architecture) and says whether it is the
    architecture the plan chose calicoctl's checksum for (C(calico_api_host_architecture)).
  - Returns status C(skipped) when the architecture could not be read, so preflight can say so.
positional: reported
options:
  _input:
    description: The plan (C(calico_plan)).
    type: dict
    required: true
  reported:
    description: The API host's C(ansible_architecture) (for example C(x86_64)), or null when unavailable.
    type: raw
    required: true
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Compare the architecture
  ansible.builtin.set_fact:
    arch_check: "{{ calico_plan | onprem.calico.api_host_architecture_check(api_facts.ansible_facts.ansible_architecture | default(none)) }}"
"""

RETURN = r"""
_value:
  description: C(status) (ok, mismatch or skipped) and a C(message).
  type: dict
"""

from ansible_collections.onprem.calico.plugins.plugin_utils.catalog import api_host_architecture_check


class FilterModule:
    def filters(self):
        return {"api_host_architecture_check": api_host_architecture_check}
