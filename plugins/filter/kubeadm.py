# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter onprem.calico.kubeadm_pod_subnet_check."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: kubeadm_pod_subnet_check
short_description: Compare the plan's pod CIDRs with kubeadm's podSubnet
version_added: "0.1.0"
description:
  - Takes the plan and the data of the C(kube-system/kubeadm-config) ConfigMap and says whether
    C(calico_pod_cidr) (and C(calico_pod_cidr_v6)) match kubeadm's C(networking.podSubnet).
  - Returns status C(skipped) when the ConfigMap could not be read, so preflight can say so.
positional: kubeadm_config
options:
  _input:
    description: The plan (C(calico_plan)).
    type: dict
    required: true
  kubeadm_config:
    description: The ConfigMap's C(data) (with C(ClusterConfiguration)), or null when unavailable.
    type: raw
    required: true
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Compare with kubeadm
  ansible.builtin.set_fact:
    kubeadm_check: "{{ calico_plan | onprem.calico.kubeadm_pod_subnet_check(cm.resources[0].data | default(none)) }}"
"""

RETURN = r"""
_value:
  description: C(status) (ok, mismatch or skipped) and a C(message).
  type: dict
"""

from ansible_collections.onprem.calico.plugins.plugin_utils.kubeadm import pod_subnet_check


class FilterModule:
    def filters(self):
        return {"kubeadm_pod_subnet_check": pod_subnet_check}
