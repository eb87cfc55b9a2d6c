# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter onprem.calico.calico_upgrade_check."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: calico_upgrade_check
short_description: Compare the running Calico release with the plan's before any change
version_added: "0.1.0"
description:
  - Reads the running release from ClusterInformation C(default) (C(spec.calicoVersion)) or else from
    the C(calico-node) image tag of the calico-node DaemonSet, and compares it with the plan's
    C(cluster.version).
  - Status C(refused) for a downgrade or a skipped minor release (this collection's policy is one minor
    release at a time) unless I(force); the message names both versions and where the running one
    was read.
positional: cluster_information, daemonset, force
options:
  _input:
    description: The plan (C(calico_plan)).
    type: dict
    required: true
  cluster_information:
    description: The ClusterInformation object C(default), or null when there is none.
    type: raw
    required: true
  daemonset:
    description: The DaemonSet C(kube-system/calico-node), or null when there is none.
    type: raw
    required: true
  force:
    description: Allow a downgrade or a skipped minor release (C(calico_upgrade_force)).
    type: bool
    default: false
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Compare the releases
  ansible.builtin.set_fact:
    guard: "{{ calico_plan | onprem.calico.calico_upgrade_check(info.resources | first | default(none), none) }}"
"""

RETURN = r"""
_value:
  description: C(status) (fresh, same, upgrade, forced or refused), C(running), C(target), C(source) and a C(message).
  type: dict
"""

from ansible_collections.onprem.calico.plugins.plugin_utils import upgrade_guard


def calico_upgrade_check(plan, cluster_information, daemonset, force=False):
    return upgrade_guard.check(plan["cluster"]["version"], cluster_information, daemonset, force)


class FilterModule:
    def filters(self):
        return {"calico_upgrade_check": calico_upgrade_check}
