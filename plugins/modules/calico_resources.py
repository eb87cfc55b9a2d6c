#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_resources
short_description: Apply and prune rendered Calico resources with calicoctl
version_added: "0.1.0"
description:
  - Brings the C(projectcalico.org/v3) objects rendered into C(calico-resources.yaml) to the live
    cluster with C(calicoctl), for the Kubernetes datastore (C(DATASTORE_TYPE=kubernetes) and a
    kubeconfig) or etcd (C(DATASTORE_TYPE=etcdv3), C(ETCD_ENDPOINTS) and the TLS files).
  - Each object lists the fields it manages in the C(onprem.calico/managed-fields) annotation.
    Only those fields are written; a field that the previous run managed and the plan dropped is
    removed; fields nobody manages (server defaults, other tools) are left alone.
  - Objects labelled C(app.kubernetes.io/managed-by=onprem.calico) are owned by the collection
    and deleted when the plan no longer has them (O(prune)). Singletons (BGPConfiguration
    C(default), the default IP pools, Calico Nodes) are only patched, never deleted.
  - A change of an IP pool's C(cidr) or C(blockSize) is refused with the migration steps, unless
    O(allow_pool_recreate=true). A pool whose CIDR another live pool already has is refused.
  - Reports the drift between the live IP pools and the plan, field by field, in RV(pool_drift).
  - Nothing is written when any change is refused.
options:
  resources:
    description: The rendered objects (the documents of C(calico-resources.yaml)).
    type: list
    elements: dict
    required: true
  prune:
    description: Delete owned objects (managed-by label) of kinds BGPPeer, BGPFilter, IPPool and CalicoNodeStatus the plan no longer has.
    type: bool
    default: true
  allow_pool_recreate:
    description:
      - Delete and recreate an IP pool whose C(cidr) or C(blockSize) changed. Only safe when no
        workload holds an address from the pool; otherwise follow the migration the error describes.
    type: bool
    default: false
  defer_mesh_disable:
    description:
      - Keep the node-to-node mesh on when the plan turns it off, so that route reflector
        sessions can be verified Established first; run again with V(false) afterwards.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the live objects and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: Before and after of every object that changes, as JSON.
  platform:
    support: full
    description: Runs calicoctl on the host it is delegated to.
    platforms: posix
extends_documentation_fragment:
  - onprem.calico.calicoctl
author:
  - onprem.calico maintainers (@onprem-calico)
notes:
  - calicoctl refuses a cluster of another Calico version; install it pinned to C(calico_version).
"""

EXAMPLES = r"""
- name: Apply the BGP and IPAM resources of the plan
  onprem.calico.calico_resources:
    resources: "{{ calico_bgp_rendered.calico }}"
    datastore: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf

- name: Apply with etcd, keeping the mesh until the reflectors are up
  onprem.calico.calico_resources:
    resources: "{{ calico_bgp_rendered.calico }}"
    datastore: etcd
    etcd_endpoints: [https://10.0.0.5:2379]
    etcd_ca_file: /etc/calico/etcd/ca.pem
    etcd_cert_file: /etc/calico/etcd/cert.pem
    etcd_key_file: /etc/calico/etcd/key.pem
    defer_mesh_disable: true
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) written, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "replace", "kind": "BGPConfiguration", "name": "default", "fields": ["/spec/nodeToNodeMeshEnabled"]}]
pool_drift:
  description: Differences between the live IP pools and the plan before this run, by field.
  returned: always
  type: list
  elements: dict
  sample: [{"pool": "default-ipv4-ippool", "family": 4, "field": "natOutgoing", "plan": true, "live": false}]
mesh_deferred:
  description: Whether the mesh was kept on because of O(defer_mesh_disable).
  returned: always
  type: bool
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils.calico_reconcile import (
    ReconcileError,
    reconcile,
)
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import (
    Calicoctl,
    CalicoctlError,
    DATASTORE_ARGS,
    datastore_env_from_params,
)


def _dump(obj):
    return json.dumps(obj, indent=2, sort_keys=True) + "\n" if obj else ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DATASTORE_ARGS,
            resources=dict(type="list", elements="dict", required=True),
            prune=dict(type="bool", default=True),
            allow_pool_recreate=dict(type="bool", default=False),
            defer_mesh_disable=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        env = datastore_env_from_params(p)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for obj in p["resources"]:
        if not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name") or not obj.get("kind"):
            module.fail_json(msg="every resource needs kind and metadata.name: %r" % (obj,))

    def run(argv, data, environ):
        return module.run_command(argv, data=data, environ_update=environ, binary_data=True)

    client = Calicoctl(run, p["calicoctl_path"], env)
    try:
        result = reconcile(client, p["resources"], check_mode=module.check_mode, prune=p["prune"],
                           allow_pool_recreate=p["allow_pool_recreate"],
                           defer_mesh_disable=p["defer_mesh_disable"])
    except ReconcileError as exc:
        module.fail_json(msg="refused, nothing was changed: " + "; ".join(exc.messages), errors=exc.messages)
    except CalicoctlError as exc:
        module.fail_json(msg=str(exc))
    actions = result["actions"]
    out = dict(
        changed=bool(actions),
        actions=[dict((k, a[k]) for k in ("action", "kind", "name", "fields")) for a in actions],
        pool_drift=result["pool_drift"],
        mesh_deferred=result["mesh_deferred"],
    )
    if module._diff:
        out["diff"] = [
            dict(before_header="%s %s" % (a["kind"], a["name"]), after_header="%s %s (%s)" % (a["kind"], a["name"], a["action"]),
                 before=_dump(a["before"]), after=_dump(a["after"]))
            for a in actions
        ]
    module.exit_json(**out)


if __name__ == "__main__":
    main()
