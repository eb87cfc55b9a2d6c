#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: frr_uplink_routes
short_description: Check that an FRR ToR advertises its rack aggregate, and no block inside it, to its uplinks
description:
  - With rack pools each rack's ToRs announce the rack's pool to the spine as one aggregate;
    the site's uplink export policy calls the owned C(CALICO-TO-UPLINKS) route map, which keeps
    the node blocks inside the rack. The spine is not managed by the collection, so this reads
    the sending side, C(show bgp ipv4|ipv6 unicast neighbors <uplink> advertised-routes json).
  - The uplinks are the router's BGP neighbours of the family (C(show bgp summary json)) that are
    not node sessions, that is neither a planned node address nor inside one of the router's
    listen ranges.
  - Polls until every Established uplink is advertised each aggregate of its family and no
    more-specific prefix inside one, or O(timeout) seconds pass; then fails naming the uplink,
    the missing aggregate and the leaked prefixes. A family with aggregates and no Established
    uplink fails too (the aggregate reaches no spine).
  - Read-only; never changes the router.
version_added: "0.1.0"
author:
  - onprem.calico maintainers (@onprem-calico)
options:
  router:
    description:
      - The router's entry of the plan (C(calico_plan.tor_routers[inventory_hostname])); its
        C(aggregates), C(neighbors) and C(listen_ranges) are read.
    type: dict
    required: true
  timeout:
    description: Seconds to wait for the advertised routes to be as expected.
    type: int
    default: 60
  interval:
    description: Seconds between polls.
    type: float
    default: 2
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
  - module: onprem.calico.frr_bgp_verify
  - module: onprem.calico.frr_tor_config
"""

EXAMPLES = r"""
- name: The spine gets the rack aggregate and none of the node blocks
  onprem.calico.frr_uplink_routes:
    router: "{{ calico_plan.tor_routers[inventory_hostname] }}"
  when: calico_plan.tor_routers[inventory_hostname].aggregates | length > 0
"""

RETURN = r"""
uplinks:
  description:
    - One entry per uplink neighbour and family with aggregates. C(aggregates) are the rack
      aggregates it is advertised, C(missing) those it is not, C(specifics) the prefixes inside
      an aggregate it is advertised (each a leak). An uplink that is not Established is listed
      with its state and not checked.
  returned: always
  type: list
  elements: dict
  sample: [{peer: 10.77.0.1, family: 4, state: Established, aggregates: [10.244.0.0/22], missing: [], specifics: [], problems: []}]
problems:
  description: One message per missing aggregate or leaked set of more-specifics, naming the uplink.
  returned: always
  type: list
  elements: str
  sample: ["uplink 10.77.0.1: aggregate 10.244.0.0/22 not advertised"]
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.onprem.calico.plugins.module_utils import tor_bgp_sessions
from ansible_collections.onprem.calico.plugins.module_utils.tor_uplink_routes import advertised_command, parse_advertised, wait_for_uplinks


def run_module(params, run_command, sleep=None, clock=None):
    """(ok, result) without Ansible; tests pass their own run_command."""
    def vtysh_json(command):
        return tor_bgp_sessions.vtysh_json(run_command, command, params["vtysh"], params.get("vty_socket"))

    def fetch_advertised(peer, family):
        return parse_advertised("frr", vtysh_json(advertised_command("frr", peer, family)), family)

    result, waited = wait_for_uplinks(lambda: vtysh_json("show bgp summary json"), fetch_advertised, "frr",
                                      params["router"], params["timeout"], params["interval"], clock=clock, sleep=sleep)
    result.update(changed=False, waited=waited)
    return not result["problems"], result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            router=dict(type="dict", required=True),
            timeout=dict(type="int", default=60),
            interval=dict(type="float", default=2),
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
        module.fail_json(msg="What the uplinks receive is not the rack aggregate alone after %ss: %s"
                         % (result["waited"], "; ".join(result["problems"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
