#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_bird_status
short_description: A node's BGP sessions from calico-node's BIRD control sockets
description:
  - Asks calico-node's BIRD (IPv4) and BIRD6 (IPv6) for their BGP protocols over their control
    sockets, speaking the protocol C(birdc) speaks, and returns every session's state by
    neighbour address. calico-node keeps the sockets in C(/var/run/calico), which it mounts from
    the host, so this runs on the node itself with the standard library only (no birdc, no
    container runtime, no API access).
  - Waits up to O(timeout) seconds for every address in O(peers) to be Established; it never
    fails because a session is down (the verify stage decides, naming the nodes), only on bad
    arguments.
  - Optionally returns the routes BIRD installed in the kernel (C(ip -j route show proto bird)), once two
    readings O(interval) seconds apart agree (routes follow an Established session by a moment), within
    what is left of O(timeout).
version_added: "0.2.0"
author:
  - onprem.calico maintainers (@onprem-calico)
options:
  peers:
    description: Neighbour addresses the plan expects on this node (IPv4 and IPv6).
    type: list
    elements: str
    default: []
  socket_v4:
    description: BIRD's control socket (calico-node's path by default).
    type: path
    default: /var/run/calico/bird.ctl
  socket_v6:
    description: BIRD6's control socket; only required when O(peers) has an IPv6 address.
    type: path
    default: /var/run/calico/bird6.ctl
  timeout:
    description: Seconds to wait for every peer in O(peers) to be Established (0 reads once).
    type: int
    default: 0
  interval:
    description: Seconds between readings while waiting.
    type: float
    default: 1
  routes:
    description: Also return the routes BIRD put in the kernel (IPv4 and IPv6).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Read-only; the same readings in check mode.
  diff_mode:
    support: none
    description: Nothing to compare; the module changes nothing.
  platform:
    support: full
    platforms: posix
    description: A Linux node running calico-node (or BIRD on calico-node's socket paths).
seealso:
  - module: onprem.calico.calico_node_status
  - module: onprem.calico.frr_bgp_verify
"""

EXAMPLES = r"""
- name: Read this node's sessions, waiting up to a minute for the planned peers
  onprem.calico.calico_bird_status:
    peers: "{{ calico_plan.nodes[inventory_hostname].peers | map(attribute='ip') | list }}"
    timeout: 60
  register: node_bgp
"""

RETURN = r"""
sessions:
  description: BGP state by neighbour address, from both sockets (C(down) for a disabled protocol).
  returned: always
  type: dict
  sample: {"10.77.1.2": "Established", "10.77.1.3": "Active"}
errors:
  description: Sockets that could not be read, with why.
  returned: always
  type: dict
  sample: {"/var/run/calico/bird.ctl": "cannot connect to /var/run/calico/bird.ctl: [Errno 2] No such file or directory"}
error:
  description: Why the node could not be asked at all (no socket answered), else null.
  returned: always
  type: str
versions:
  description: The greeting of each socket that answered (the BIRD version).
  returned: always
  type: dict
  sample: {"/var/run/calico/bird.ctl": "BIRD 1.6.8 ready."}
routes:
  description: C(ip -j route show proto bird) entries, IPv4 then IPv6, when O(routes) is true.
  returned: when O(routes) is true
  type: list
  elements: dict
waited:
  description: Seconds spent waiting for the peers.
  returned: always
  type: float
"""

import ipaddress
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils.bird_control import (
    read_sessions,
    wait_for_peers,
)
from ansible_collections.onprem.calico.plugins.module_utils.kernel_routes import kernel_routes, settled


def sockets_to_read(peers, socket_v4, socket_v6, exists=os.path.exists):
    """BIRD's socket always; BIRD6's when an IPv6 peer is expected or the socket is there."""
    wants_v6 = any(ipaddress.ip_address(p).version == 6 for p in peers)
    return [socket_v4] + ([socket_v6] if wants_v6 or exists(socket_v6) else [])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="str", default=[]),
            socket_v4=dict(type="path", default="/var/run/calico/bird.ctl"),
            socket_v6=dict(type="path", default="/var/run/calico/bird6.ctl"),
            timeout=dict(type="int", default=0),
            interval=dict(type="float", default=1.0),
            routes=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        paths = sockets_to_read(p["peers"], p["socket_v4"], p["socket_v6"])
    except ValueError as exc:
        module.fail_json(msg="peers: %s" % exc)
    sessions, errors, versions, waited = wait_for_peers(lambda: read_sessions(paths), p["peers"], p["timeout"], p["interval"])
    result = dict(changed=False, sessions=sessions, errors=errors, versions=versions, waited=waited,
                  error=None if versions else "no BIRD control socket answered: " + "; ".join(errors.values()))
    if p["routes"]:
        # Routes follow Established by a moment: report them once two readings agree.
        result["routes"] = settled(lambda: kernel_routes(module.run_command, "bird"), max(p["timeout"] - waited, 0), p["interval"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
