#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_node_status
short_description: Check every node's BGP sessions against the plan through CalicoNodeStatus
version_added: "0.1.0"
description:
  - Reads the C(CalicoNodeStatus) objects (classes C(BGP) and C(Routes)) that calico-node fills in
    for each node, and requires every session the plan expects to be C(Established).
  - Expected sessions per node are the plan's C(nodes[*].peers) (ToR, route reflector and node
    peers) plus, while the node-to-node mesh is on, every other node.
  - Reports, by node, the sessions that are not Established (with their state) and how many
    routes each peer gave the node.
options:
  nodes:
    description: The plan's C(nodes) mapping.
    type: dict
    required: true
  node_to_node_mesh:
    description: Whether the mesh is on, so every other node is an expected peer.
    type: bool
    default: false
  peer_kinds:
    description:
      - Only check plan peers of these kinds (C(tor), C(route_reflector), C(node)); C(mesh) adds the
        mesh sessions. Default is every kind.
    type: list
    elements: str
  fail_on_missing:
    description: Fail when a node lacks an expected Established session.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Read-only.
  diff_mode:
    support: none
    description: Read-only, nothing to diff.
  platform:
    support: full
    description: Runs calicoctl on the host it is delegated to.
    platforms: posix
extends_documentation_fragment:
  - onprem.calico.calicoctl
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Require every planned BGP session Established
  onprem.calico.calico_node_status:
    nodes: "{{ calico_plan.nodes }}"
    node_to_node_mesh: "{{ calico_plan.bgp.node_to_node_mesh }}"
    datastore: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf
  register: bgp_status
  until: bgp_status is succeeded
  retries: 12
  delay: 10
"""

RETURN = r"""
report:
  description: Per node, the Established peers, the missing ones with their state, and routes per peer.
  returned: always
  type: dict
  sample: {"node01": {"established": ["10.0.1.1"], "missing": [{"peer": "tor1b", "ip": "10.0.1.2", "state": "Active"}],
           "routes": {"10.0.1.1": 1}, "status_reported": true}}
failing_nodes:
  description: Nodes with at least one expected session not Established.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils.calico_reconcile import (
    expected_sessions,
    session_report,
)
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import (
    Calicoctl,
    CalicoctlError,
    DATASTORE_ARGS,
    datastore_env_from_params,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DATASTORE_ARGS,
            nodes=dict(type="dict", required=True),
            node_to_node_mesh=dict(type="bool", default=False),
            peer_kinds=dict(type="list", elements="str"),
            fail_on_missing=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        env = datastore_env_from_params(p)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    def run(argv, data, environ):
        return module.run_command(argv, data=data, environ_update=environ)

    client = Calicoctl(run, p["calicoctl_path"], env)
    try:
        statuses = client.list("CalicoNodeStatus")
    except CalicoctlError as exc:
        module.fail_json(msg=str(exc))
    expected = expected_sessions(p["nodes"], p["node_to_node_mesh"], p["peer_kinds"])
    report, failing = session_report(expected, statuses)
    if failing and p["fail_on_missing"]:
        lines = []
        for node in failing:
            lines.append("%s: %s" % (node, ", ".join(
                "%s (%s) %s" % (m["peer"], m["ip"], m["state"]) for m in report[node]["missing"])))
        module.fail_json(msg="BGP sessions not Established: " + "; ".join(lines),
                         report=report, failing_nodes=failing)
    module.exit_json(changed=False, report=report, failing_nodes=failing)


if __name__ == "__main__":
    main()
