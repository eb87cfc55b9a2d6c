"""Compare the plan's pod CIDRs with kubeadm's ClusterConfiguration.podSubnet.

kube-controller-manager allocates node podCIDRs from podSubnet; when Calico's pools lie
elsewhere, kube-proxy's cluster CIDR and Calico disagree about what is pod traffic.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml


def pod_subnet_check(plan: dict, kubeadm_config: Any) -> dict:
    """``{"status": "ok" | "mismatch" | "skipped", "message": str}``.

    ``kubeadm_config`` is the ``data`` of the kube-system/kubeadm-config ConfigMap (a dict with
    ``ClusterConfiguration``), its ClusterConfiguration YAML text, or None when unavailable.
    """
    if not kubeadm_config:
        return {"status": "skipped", "message": "kubeadm-config ConfigMap not available: pod CIDR not compared with kubeadm's podSubnet."}
    text = kubeadm_config.get("ClusterConfiguration") if isinstance(kubeadm_config, dict) else kubeadm_config
    try:
        conf = yaml.safe_load(text) if isinstance(text, str) else text
    except yaml.YAMLError as exc:
        return {"status": "skipped", "message": "kubeadm ClusterConfiguration is not YAML (%s): not compared." % exc}
    subnet = ((conf or {}).get("networking") or {}).get("podSubnet")
    if not subnet:
        return {"status": "skipped", "message": "kubeadm ClusterConfiguration has no networking.podSubnet: nothing to compare."}
    kubeadm_nets = {}
    for part in str(subnet).split(","):
        net = ipaddress.ip_network(part.strip(), strict=False)
        kubeadm_nets[net.version] = net
    planned = {4: plan["cluster"]["pod_cidr"], 6: plan["cluster"]["pod_cidr_v6"]}
    problems = []
    for version, var in ((4, "calico_pod_cidr"), (6, "calico_pod_cidr_v6")):
        ours = planned[version]
        theirs = kubeadm_nets.get(version)
        if ours is None and theirs is None:
            continue
        if ours is None or theirs is None or ipaddress.ip_network(ours) != theirs:
            problems.append("%s is %s but kubeadm's podSubnet has %s" % (var, ours or "unset", theirs or "no IPv%d range" % version))
    if problems:
        return {
            "status": "mismatch",
            "message": "; ".join(problems)
            + ". Fix: set %s to match kubeadm's networking.podSubnet (%s), or reconfigure kubeadm."
            % ("calico_pod_cidr" if len(problems) == 1 and "v6" not in problems[0] else "the pod CIDR variables", subnet),
        }
    return {"status": "ok", "message": "pod CIDR matches kubeadm's podSubnet %s." % subnet}
