#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_node_interface
short_description: Check that a node's Calico address and MTU match the host
version_added: "0.1.0"
description:
  - Reads the host's live addresses (C(ip -j addr show)) and checks that O(node_ip) is one of them
    and that the interface holding it leaves room for the encapsulation overhead.
  - Reports the interface and its MTU. Changes nothing; the result is a check of the inventory and
    never feeds a rendered artifact.
options:
  node_ip:
    description: The address calico-node uses on this host (the plan's C(nodes[host].ip)).
    type: str
    required: true
  expected_mtu:
    description: The MTU the inventory states for that interface (C(nodes[host].interface_mtu)); a
      mismatch is a warning.
    type: int
  overhead:
    description: Bytes the encapsulation in use adds, as the plan decided it
      (C(manifest.encapsulation_overhead)); the module only compares the interface MTU with it.
    type: int
    default: 0
  overhead_reason:
    description: Which encapsulation that is (C(manifest.encapsulation_overhead_reason)), for messages.
    type: str
    default: encapsulation
  veth_mtu:
    description: The pod MTU the manifest sets (C(manifest.veth_mtu)); 0 means Felix decides.
    type: int
    default: 0
  fail_on_error:
    description: Fail when a check finds an error; otherwise the errors are returned as warnings.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the host's addresses only, in check mode too.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux node, with iproute2's C(ip -j).
author:
  - onprem.calico maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Check calico_node_ip and the MTU of its interface
  onprem.calico.calico_node_interface:
    node_ip: "{{ calico_plan.nodes[inventory_hostname].ip }}"
    expected_mtu: "{{ calico_plan.nodes[inventory_hostname].interface_mtu }}"
    overhead: "{{ calico_plan.manifest.encapsulation_overhead }}"
    overhead_reason: "{{ calico_plan.manifest.encapsulation_overhead_reason }}"
    veth_mtu: "{{ calico_plan.manifest.veth_mtu }}"
"""

RETURN = r"""
interface:
  description: Name of the interface holding O(node_ip); null when none does.
  returned: always
  type: str
  sample: eth0
mtu:
  description: MTU of that interface.
  returned: always
  type: int
  sample: 1500
overhead:
  description: The encapsulation overhead in bytes the check used (O(overhead)).
  returned: always
  type: int
errors:
  description: What is wrong, with the fix.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import node_interface


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node_ip=dict(type="str", required=True),
            expected_mtu=dict(type="int"),
            overhead=dict(type="int", default=0),
            overhead_reason=dict(type="str", default="encapsulation"),
            veth_mtu=dict(type="int", default=0),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    ip_bin = module.get_bin_path("ip", required=True)
    rc, out, err = module.run_command([ip_bin, "-j", "addr", "show"])
    if rc != 0:
        module.fail_json(msg="ip -j addr show failed: %s" % err.strip())
    try:
        links = json.loads(out)
    except ValueError as exc:
        module.fail_json(msg="cannot parse ip -j addr show: %s" % exc)

    result = node_interface.check(
        links, module.params["node_ip"], module.params["expected_mtu"], module.params["overhead"],
        module.params["veth_mtu"], module.params["overhead_reason"])
    # "warnings" is a reserved key of module results: hand them to Ansible instead.
    for warning in result.pop("warnings"):
        module.warn(warning)
    if result["errors"] and module.params["fail_on_error"]:
        module.fail_json(msg=" ".join(result["errors"]), changed=False, **result)
    if not module.params["fail_on_error"]:
        for error in result["errors"]:
            module.warn(error)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
