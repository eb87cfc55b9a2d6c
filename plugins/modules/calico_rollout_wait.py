#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_rollout_wait
short_description: Wait until Calico's CRDs are Established and its workloads have rolled out
version_added: "0.1.0"
description:
  - Polls the API server through C(kubectl get -o json) on the host that holds the kubeconfig
    until every listed CustomResourceDefinition is Established and every listed DaemonSet and
    Deployment has rolled out.
  - A DaemonSet has rolled out when its controller observed the latest spec and desired, updated,
    ready and available pod counts are equal (and not zero). A Deployment has rolled out when
    updated, ready and available replicas all equal C(spec.replicas).
  - On timeout the task fails and prints what is not ready, the pods with their reasons
    (waiting reason, last exit, restarts, scheduling failures) and the most recent events.
  - Reads only; never changes the cluster, so it always reports C(changed=false).
options:
  crds:
    description: Names of CustomResourceDefinitions that must be Established.
    type: list
    elements: str
    default: []
  workloads:
    description: DaemonSets and Deployments that must have rolled out, in O(namespace).
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: Kind of the workload.
        type: str
        required: true
        choices: [DaemonSet, Deployment]
      name:
        description: Name of the workload.
        type: str
        required: true
  namespace:
    description: Namespace of the workloads.
    type: str
    default: kube-system
  timeout:
    description: Seconds to wait before failing. C(0) checks once.
    type: int
    default: 600
  interval:
    description: Seconds between two checks.
    type: int
    default: 5
  max_events:
    description: How many recent events per workload the failure message shows.
    type: int
    default: 10
  kubeconfig:
    description: Path of the kubeconfig on the target host; kubectl's default when omitted.
    type: path
  context:
    description: Kubeconfig context to use.
    type: str
  kubectl:
    description: The kubectl executable on the target host.
    type: str
    default: kubectl
attributes:
  check_mode:
    support: full
    description: Reads the statuses once and reports them; it neither waits nor fails.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs kubectl on the host that holds the kubeconfig.
requirements:
  - kubectl on the target host
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Wait for calico-node, kube-controllers and Typha
  onprem.calico.calico_rollout_wait:
    kubeconfig: /etc/kubernetes/admin.conf
    workloads:
      - {kind: DaemonSet, name: calico-node}
      - {kind: Deployment, name: calico-kube-controllers}
      - {kind: Deployment, name: calico-typha}
    timeout: 600

- name: Wait for two CRDs
  onprem.calico.calico_rollout_wait:
    crds: [ippools.crd.projectcalico.org, bgppeers.crd.projectcalico.org]
    timeout: 120
"""

RETURN = r"""
ready:
  description: Whether everything listed is ready.
  returned: always
  type: bool
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
statuses:
  description: One entry per CRD and workload, with C(kind), C(name), C(namespace), C(ready), C(detail).
  returned: always
  type: list
  elements: dict
diagnostics:
  description: Lines explaining what is not ready (pods, reasons, recent events); empty when ready.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils.k8s_wait import (
    KubectlClient,
    Target,
    diagnose,
    wait_for,
)


def targets_from_params(params):
    targets = [Target("CustomResourceDefinition", name) for name in params["crds"]]
    targets += [Target(w["kind"], w["name"], params["namespace"]) for w in params["workloads"]]
    return targets


def run_wait(client, params, check_mode=False):
    """The whole module without Ansible: returns (failed, message, result dict)."""
    targets = targets_from_params(params)
    timeout = 0 if check_mode else params["timeout"]
    result = wait_for(client, targets, timeout=timeout, interval=params["interval"])
    diagnostics = [] if result.ready else diagnose(client, result.statuses, params["namespace"], params["max_events"])
    out = {
        "changed": False,
        "ready": result.ready,
        "elapsed": round(result.elapsed, 1),
        "statuses": [s.as_dict() for s in result.statuses],
        "diagnostics": diagnostics,
    }
    if result.ready or check_mode:
        return False, "", out
    names = ", ".join(s.target.label for s in result.not_ready)
    message = "not ready after %ds: %s\n%s" % (params["timeout"], names, "\n".join(diagnostics))
    return True, message, out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            crds=dict(type="list", elements="str", default=[]),
            workloads=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    kind=dict(type="str", required=True, choices=["DaemonSet", "Deployment"]),
                    name=dict(type="str", required=True),
                ),
            ),
            namespace=dict(type="str", default="kube-system"),
            timeout=dict(type="int", default=600),
            interval=dict(type="int", default=5),
            max_events=dict(type="int", default=10),
            kubeconfig=dict(type="path"),
            context=dict(type="str"),
            kubectl=dict(type="str", default="kubectl"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] < 0 or params["interval"] < 1:
        module.fail_json(msg="timeout must be >= 0 and interval >= 1 (got %s, %s)" % (params["timeout"], params["interval"]))
    if not params["crds"] and not params["workloads"]:
        module.fail_json(msg="nothing to wait for: give crds and/or workloads")
    kubectl = module.get_bin_path(params["kubectl"], required=True)

    def run(argv):
        return module.run_command(argv)

    client = KubectlClient(run, kubectl=kubectl, kubeconfig=params["kubeconfig"], context=params["context"])
    failed, message, out = run_wait(client, params, module.check_mode)
    if failed:
        module.fail_json(msg=message, **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
