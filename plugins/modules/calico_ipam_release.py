#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_ipam_release
short_description: Release the IPAM of retired nodes and check that nothing leaked
version_added: "0.1.0"
description:
  - With O(datastore=etcd), deletes the Calico Node of every node of O(nodes) that still has one
    (C(calicoctl delete node)), which releases its IPAM blocks and addresses.
  - With O(datastore=kubernetes) the playbook deletes the Kubernetes Nodes; kube-controllers then
    releases their IPAM. The module only checks.
  - Then runs C(calicoctl ipam check) and fails, naming them, when it reports problems or a block
    still affine to one of O(nodes). With O(check=false) the check is skipped.
options:
  nodes:
    description: Names of the retired nodes.
    type: list
    elements: str
    required: true
  check:
    description: Run C(calicoctl ipam check) afterwards and fail on anything leaked.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports the Calico Nodes it would delete and deletes none; the IPAM check (read only) still runs.
  diff_mode:
    support: none
    description: Nothing is rewritten; the result lists the Calico Nodes deleted.
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
- name: Release the retired nodes' IPAM
  onprem.calico.calico_ipam_release:
    nodes: [node07]
    datastore: etcd
    etcd_endpoints: [https://10.0.0.5:2379]
    etcd_ca_file: /etc/calico/calicoctl/ca.pem
    etcd_cert_file: /etc/calico/calicoctl/cert.pem
    etcd_key_file: /etc/calico/calicoctl/key.pem
"""

RETURN = r"""
deleted:
  description: Calico Nodes deleted (or, in check mode, to delete).
  returned: always
  type: list
  elements: str
  sample: [node07]
leaks:
  description: What C(calicoctl ipam check) still reports; empty when nothing leaked.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import ipam_release
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import (
    DATASTORE_ARGS,
    Calicoctl,
    CalicoctlError,
    datastore_env_from_params,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DATASTORE_ARGS,
            nodes=dict(type="list", elements="str", required=True),
            check=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        env = datastore_env_from_params(p)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    def run(argv, data, environ):
        return module.run_command(argv, data=data, environ_update=environ, binary_data=True)

    client = Calicoctl(run, p["calicoctl_path"], env)
    leaks = []
    try:
        deleted = ipam_release.release(client, p["nodes"], p["datastore"], check_mode=module.check_mode)
        if p["check"] and not (module.check_mode and deleted):
            leaks = ipam_release.leaks(client.ipam_check(), p["nodes"])
    except CalicoctlError as exc:
        module.fail_json(msg=str(exc))
    if leaks:
        module.fail_json(msg="IPAM of %s not released: %s" % (", ".join(p["nodes"]), "; ".join(leaks)),
                         deleted=deleted, leaks=leaks, changed=bool(deleted))
    module.exit_json(changed=bool(deleted), deleted=deleted, leaks=leaks)


if __name__ == "__main__":
    main()
