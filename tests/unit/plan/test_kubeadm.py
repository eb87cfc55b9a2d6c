"""kubeadm podSubnet comparison used by playbooks/preflight.yml."""

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils.kubeadm import pod_subnet_check
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base


def configmap(pod_subnet):
    conf = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration", "networking": {"serviceSubnet": "10.96.0.0/12"}}
    if pod_subnet:
        conf["networking"]["podSubnet"] = pod_subnet
    return {"ClusterConfiguration": yaml.safe_dump(conf)}


def test_match_mismatch_and_skips():
    plan = build_plan(base(calico_pod_cidr="10.244.0.0/16")).plan
    assert pod_subnet_check(plan, configmap("10.244.0.0/16"))["status"] == "ok"
    bad = pod_subnet_check(plan, configmap("192.168.0.0/16"))
    assert bad["status"] == "mismatch"
    assert "calico_pod_cidr is 10.244.0.0/16 but kubeadm's podSubnet has 192.168.0.0/16" in bad["message"]
    assert pod_subnet_check(plan, None)["status"] == "skipped"
    assert "not compared" in pod_subnet_check(plan, None)["message"]
    assert pod_subnet_check(plan, configmap(None))["status"] == "skipped"


def test_dual_stack():
    plan = build_plan(base(calico_pod_cidr="10.244.0.0/16", calico_pod_cidr_v6="fd00:10:244::/56", calico_encapsulation="vxlan")).plan
    assert pod_subnet_check(plan, configmap("10.244.0.0/16,fd00:10:244::/56"))["status"] == "ok"
    missing_v6 = pod_subnet_check(plan, configmap("10.244.0.0/16"))
    assert missing_v6["status"] == "mismatch" and "calico_pod_cidr_v6" in missing_v6["message"]
