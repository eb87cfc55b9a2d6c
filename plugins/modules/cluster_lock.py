#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_lock
short_description: Take or release the lock that lets one run at a time change a cluster
version_added: "0.1.0"
description:
  - Takes (I(state=present)) or releases (I(state=absent)) the cluster lock, named for the
    holder (the AWX job id, or C(user@controller:pid); the action plugin of the same name fills
    I(holder) in on the controller) and stamped with the time it was taken.
  - With I(backend=lease) the lock is a Kubernetes Lease (C(coordination.k8s.io/v1)); run the task
    on a host with the kubeconfig (the Python C(kubernetes) package is needed there, as for
    C(kubernetes.core)). Two controllers exclude each other; of two runs racing for it, the API
    server's resourceVersion check lets one win.
  - With I(backend=file) the lock is a file (mode 0600) created atomically; it protects the runs of
    one controller only.
  - A lock held by another holder fails the task at once, naming the holder and when it was taken.
    A lock older than I(timeout) seconds is broken only with I(break_stale=true).
  - Releasing leaves a lock of another holder alone.
options:
  state:
    description: Take (C(present)) or release (C(absent)) the lock.
    type: str
    choices: [present, absent]
    default: present
  backend:
    description: Where the lock lives.
    type: str
    choices: [lease, file]
    required: true
  holder:
    description: Who takes or releases it; filled in by the action plugin.
    type: str
    required: true
  timeout:
    description: Seconds after which a lock counts as stale (kept as the Lease's C(leaseDurationSeconds)).
    type: int
    default: 10800
  break_stale:
    description: Take the lock from another holder when it is older than I(timeout).
    type: bool
    default: false
  delete:
    description:
      - C(state=absent), C(backend=lease) - delete the released Lease instead of keeping it with no
        holder (the end of C(playbooks/uninstall.yml), which leaves nothing of the collection in
        the cluster). The file backend always removes its file.
    type: bool
    default: false
  path:
    description: C(file) - the lock file.
    type: path
  namespace:
    description: C(lease) - the Lease's namespace.
    type: str
    default: kube-system
  name:
    description: C(lease) - the Lease's name.
    type: str
  kubeconfig:
    description: C(lease) - kubeconfig on the host the task runs on.
    type: path
    default: /etc/kubernetes/admin.conf
  context:
    description: C(lease) - kubeconfig context; empty means the current one.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Reads the lock and fails the same way when another run holds it; writes nothing.
  diff_mode:
    support: none
    description: The lock is run bookkeeping, not configuration; the result names the holders.
  platform:
    support: full
    platforms: posix
    description: The file backend on the controller, the Lease backend on any host with the kubeconfig.
requirements:
  - The Python C(kubernetes) package for I(backend=lease).
notes:
  - A run killed with SIGKILL cannot release its lock; it stays until it is older than I(timeout)
    and the next run breaks it with I(break_stale=true) (docs/operations.md).
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Take the cluster lock (Lease)
  onprem.calico.cluster_lock:
    backend: lease
    name: onprem-calico-prod
    timeout: 10800
  delegate_to: cp1

- name: Release it
  onprem.calico.cluster_lock:
    backend: file
    path: artifacts/prod.lock
    state: absent
"""

RETURN = r"""
holder:
  description: This run's holder name.
  returned: always
  type: str
  sample: awx-job-4711
previous_holder:
  description: The holder found before a lock was taken (a broken stale lock's holder), or empty.
  returned: always
  type: str
  sample: alice@laptop:1234
lock:
  description: Where the lock is, for the release at the end of the run.
  returned: always
  type: dict
  sample: {backend: file, path: artifacts/prod.lock}
"""

import json
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.onprem.calico.plugins.module_utils import cluster_lock

try:
    from kubernetes import client as k8s_client, config as k8s_config
    from kubernetes.client.rest import ApiException
except ImportError:
    K8S_IMPORT_ERROR = traceback.format_exc()

    class ApiException(Exception):  # never raised: only the lease backend calls the client
        pass
else:
    K8S_IMPORT_ERROR = None


class LeaseStore:
    """get/create/replace of a Lease through the kubernetes client, errors as cluster_lock's."""

    def __init__(self, kubeconfig, context):
        api = k8s_config.new_client_from_config(config_file=kubeconfig, context=context or None)
        self.api = k8s_client.CoordinationV1Api(api)

    @staticmethod
    def _call(method, *args, **kwargs):
        try:
            return json.loads(method(*args, _preload_content=False, **kwargs).data)
        except ApiException as exc:
            if exc.status == 404:
                raise cluster_lock.NotFound()
            if exc.status == 409:
                raise cluster_lock.LockConflict()
            raise

    def get(self, namespace, name):
        return self._call(self.api.read_namespaced_lease, name, namespace)

    def create(self, namespace, body):
        return self._call(self.api.create_namespaced_lease, namespace, body)

    def replace(self, namespace, name, body):
        return self._call(self.api.replace_namespaced_lease, name, namespace, body)

    def delete(self, namespace, name, resource_version):
        options = k8s_client.V1DeleteOptions(preconditions=k8s_client.V1Preconditions(resource_version=resource_version))
        return self._call(self.api.delete_namespaced_lease, name, namespace, body=options)


def run(module, store=None):
    p = module.params
    now = cluster_lock.utcnow()
    if p["backend"] == "file":
        lock = {"backend": "file", "path": p["path"]}
        if p["state"] == "present":
            changed, previous = cluster_lock.acquire_file(p["path"], p["holder"], now, p["timeout"], p["break_stale"], module.check_mode)
        else:
            changed, previous = cluster_lock.release_file(p["path"], p["holder"], module.check_mode), ""
    else:
        lock = {"backend": "lease", "namespace": p["namespace"], "name": p["name"]}
        if p["state"] == "present":
            changed, previous = cluster_lock.acquire_lease(store, p["namespace"], p["name"], p["holder"], now, p["timeout"],
                                                           p["break_stale"], module.check_mode)
        else:
            changed, previous = cluster_lock.release_lease(store, p["namespace"], p["name"], p["holder"], now, p["timeout"],
                                                           module.check_mode, p["delete"]), ""
    return {"changed": changed, "holder": p["holder"], "previous_holder": previous, "lock": lock}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            backend=dict(type="str", choices=["lease", "file"], required=True),
            holder=dict(type="str", required=True),
            timeout=dict(type="int", default=10800),
            break_stale=dict(type="bool", default=False),
            delete=dict(type="bool", default=False),
            path=dict(type="path"),
            namespace=dict(type="str", default="kube-system"),
            name=dict(type="str"),
            kubeconfig=dict(type="path", default="/etc/kubernetes/admin.conf"),
            context=dict(type="str", default=""),
        ),
        required_if=[("backend", "file", ["path"]), ("backend", "lease", ["name"])],
        supports_check_mode=True,
    )
    store = None
    if module.params["backend"] == "lease":
        if K8S_IMPORT_ERROR:
            module.fail_json(msg=missing_required_lib("kubernetes"), exception=K8S_IMPORT_ERROR)
        store = LeaseStore(module.params["kubeconfig"], module.params["context"])
    try:
        result = run(module, store)
    except cluster_lock.LockHeld as exc:
        module.fail_json(msg=str(exc), holder=module.params["holder"])
    except ApiException as exc:
        module.fail_json(msg="The cluster lock (Lease %s/%s): the API answered %s %s"
                         % (module.params["namespace"], module.params["name"], exc.status, exc.reason))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
