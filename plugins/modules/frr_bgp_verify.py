#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: frr_bgp_verify
short_description: Wait until every Calico node session of an FRR ToR is Established
description:
  - Polls C(show bgp summary json) until every expected node session is Established with the
    expected AS, or O(timeout) seconds pass, then fails naming each missing or idle peer by
    node name and address.
  - With O(routes), also returns the routes bgpd put in the kernel once two readings
    O(interval) seconds apart agree (routes follow an Established session by a moment, and a
    report built from an earlier reading would differ from the next run's).
  - Read-only; never changes the router.
version_added: "0.1.0"
author:
  - onprem.calico maintainers (@onprem-calico)
options:
  neighbors:
    description: The node sessions to expect (plan C(tor_routers[*].neighbors)).
    type: list
    elements: dict
    required: true
    suboptions:
      node:
        description: Node name, used in messages.
        type: str
        required: true
      ip:
        description: Node address (the IPv4 session).
        type: str
        required: true
      ip6:
        description: The node's IPv6 address in a dual-stack cluster, a session of its own.
        type: str
      asn:
        description: Node AS number.
        type: int
        required: true
  timeout:
    description: Seconds to wait for every session.
    type: int
    default: 120
  interval:
    description: Seconds between polls.
    type: float
    default: 2
  routes:
    description: Also return the kernel routes bgpd installed (C(ip -j route show proto bgp), IPv4 then IPv6).
    type: bool
    default: false
  vtysh:
    description: vtysh executable.
    type: path
    default: vtysh
  vty_socket:
    description: Directory of the daemons' vty sockets when not the default.
    type: path
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same checks in check mode.
  diff_mode:
    support: none
    description: Nothing to compare; the module never changes the router.
  platform:
    support: full
    platforms: posix
    description: An FRR 8 router.
seealso:
  - module: onprem.calico.frr_tor_config
"""

EXAMPLES = r"""
- name: Every node of the rack peers with this ToR
  onprem.calico.frr_bgp_verify:
    neighbors: "{{ calico_plan.tor_routers[inventory_hostname].neighbors }}"
    timeout: 120
"""

RETURN = r"""
sessions:
  description: Each expected session, one per address family (a neighbour with O(neighbors[].ip6) has two), with its
    state (C(missing) when not configured).
  returned: always
  type: list
  elements: dict
  sample: [{node: node01, ip: 10.0.1.11, asn: 65001, family: 4, state: Established},
           {node: node01, ip: "fd00:1::11", asn: 65001, family: 6, state: Established}]
problems:
  description: One message per session that is missing, not Established or has another AS.
  returned: always
  type: list
  elements: str
  sample: ["node02 (10.0.1.12, AS 65001): session is Active, not Established"]
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
routes:
  description: C(ip -j route show proto bgp) entries, IPv4 then IPv6, once settled.
  returned: when O(routes) is true (read once, unsettled, when the sessions timed out)
  type: list
  elements: dict
  sample: [{dst: 10.244.0.0/26, gateway: 10.77.1.11, dev: eth1, protocol: bgp}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.onprem.calico.plugins.module_utils.kernel_routes import kernel_routes, settled
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import vtysh_json, wait_for_sessions


def run_module(params, run_command, sleep=None, clock=None):
    """(ok, result) without Ansible; tests pass their own run_command."""
    def fetch():
        return vtysh_json(run_command, "show bgp summary json", params["vtysh"], params.get("vty_socket"))

    problems, report, waited = wait_for_sessions(
        fetch, "frr", params["neighbors"], params["timeout"], params["interval"], sleep=sleep)
    result = {"changed": False, "sessions": report, "problems": problems, "waited": waited}
    if params.get("routes"):
        result["routes"] = settled(lambda: kernel_routes(run_command, "bgp"),
                                   max(params["timeout"] - waited, 0), params["interval"], clock=clock, sleep=sleep)
    return not problems, result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            neighbors=dict(type="list", elements="dict", required=True, options=dict(
                node=dict(type="str", required=True),
                ip=dict(type="str", required=True),
                ip6=dict(type="str"),
                asn=dict(type="int", required=True),
            )),
            timeout=dict(type="int", default=120),
            interval=dict(type="float", default=2),
            routes=dict(type="bool", default=False),
            vtysh=dict(type="path", default="vtysh"),
            vty_socket=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    try:
        ok, result = run_module(module.params, module.run_command)
    except (RuntimeError, ValueError) as err:
        module.fail_json(msg=str(err))
    if not ok:
        module.fail_json(msg="BGP sessions not Established after %ss: %s"
                         % (result["waited"], "; ".join(result["problems"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
