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
  datastore:
    description: The Calico datastore.
    type: str
    required: true
    choices: [kubernetes, etcd]
  calicoctl_path:
    description: Path of calicoctl.
    type: path
    default: /usr/local/bin/calicoctl
  kubeconfig:
    description: Kubeconfig with O(datastore=kubernetes).
    type: path
  etcd_endpoints:
    description: etcd client URLs with O(datastore=etcd).
    type: list
    elements: str
  etcd_ca_file:
    description: CA bundle for https etcd endpoints.
    type: path
  etcd_cert_file:
    description: Client certificate for https etcd endpoints.
    type: path
  etcd_key_file:
    description: Client key for https etcd endpoints.
    type: path
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
    datastore_env,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type="dict", required=True),
            node_to_node_mesh=dict(type="bool", default=False),
            peer_kinds=dict(type="list", elements="str"),
            fail_on_missing=dict(type="bool", default=True),
            datastore=dict(type="str", required=True, choices=["kubernetes", "etcd"]),
            calicoctl_path=dict(type="path", default="/usr/local/bin/calicoctl"),
            kubeconfig=dict(type="path"),
            etcd_endpoints=dict(type="list", elements="str"),
            etcd_ca_file=dict(type="path"),
            etcd_cert_file=dict(type="path"),
            etcd_key_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        env = datastore_env(p["datastore"], p["kubeconfig"], p["etcd_endpoints"], p["etcd_ca_file"],
                            p["etcd_cert_file"], p["etcd_key_file"])
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
