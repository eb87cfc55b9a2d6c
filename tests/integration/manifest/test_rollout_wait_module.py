"""onprem.calico.calico_rollout_wait run by real Ansible against a FAKE kubectl.

No API server or kubectl exists here; fake_kubectl.py answers ``kubectl get -o json`` from
a JSON state file passed as --kubeconfig. This checks the module's argument handling,
kubectl invocation, result and failure output, and the role's wait stage (tag
calico_manifest_wait), not Kubernetes itself.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FAKE_KUBECTL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_kubectl.py")
BIN = os.path.join(REPO, ".venv", "bin")
UPSTREAM = os.path.abspath(os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))


def ansible_env():
    # fake_kubectl.py starts with "#!/usr/bin/env python": the venv provides that name even
    # where the system has only python3.
    path = BIN + os.pathsep + os.environ.get("PATH", "")
    return dict(os.environ, PATH=path, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")


def daemonset(ready):
    return {"metadata": {"name": "calico-node", "generation": 1},
            "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}}},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2,
                       "numberReady": ready, "numberAvailable": ready}}


def deployment(name, replicas, ready):
    return {"metadata": {"name": name, "generation": 1},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"k8s-app": name}}},
            "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                       "readyReplicas": ready, "availableReplicas": ready}}


CRASHING_POD = {
    "metadata": {"name": "calico-node-x1", "labels": {"k8s-app": "calico-node"}},
    "spec": {"nodeName": "worker1"},
    "status": {"phase": "Running", "containerStatuses": [{"name": "calico-node", "ready": False, "restartCount": 4,
                                                          "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
}


def write_state(tmp_path, node_ready, typha_ready=2):
    state = {
        "objects": {
            "daemonsets.apps/calico-node": daemonset(node_ready),
            "deployments.apps/calico-kube-controllers": deployment("calico-kube-controllers", 1, 1),
            "deployments.apps/calico-typha": deployment("calico-typha", 2, typha_ready),
            "customresourcedefinitions.apiextensions.k8s.io/ippools.crd.projectcalico.org":
                {"metadata": {"name": "ippools.crd.projectcalico.org"}, "status": {"conditions": [{"type": "Established", "status": "True"}]}},
        },
        "pods": [CRASHING_POD],
        "events": [{"involvedObject": {"kind": "Pod", "name": "calico-node-x1"}, "type": "Warning", "reason": "BackOff",
                    "message": "Back-off restarting failed container calico-node", "lastTimestamp": "2026-01-01T00:00:00Z"}],
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    return str(path)


def run_module(args, *extra):
    argv = [os.path.join(BIN, "ansible"), "localhost", "-m", "onprem.calico.calico_rollout_wait", "-a", json.dumps(args), *extra]
    proc = subprocess.run(argv, cwd=REPO, env=ansible_env(), capture_output=True, text=True, check=False, timeout=120)
    data = json.loads(proc.stdout)
    return proc.returncode, data["plays"][0]["tasks"][0]["hosts"]["localhost"]


WORKLOADS = [{"kind": "DaemonSet", "name": "calico-node"}, {"kind": "Deployment", "name": "calico-kube-controllers"}]


def test_ready_rollout(tmp_path):
    rc, result = run_module({"kubectl": FAKE_KUBECTL, "kubeconfig": write_state(tmp_path, node_ready=2),
                             "crds": ["ippools.crd.projectcalico.org"], "workloads": WORKLOADS, "timeout": 5, "interval": 1})
    assert rc == 0, result
    assert result["ready"] is True and result["changed"] is False
    assert [s["ready"] for s in result["statuses"]] == [True, True, True]


def test_timeout_fails_with_diagnostics(tmp_path):
    rc, result = run_module({"kubectl": FAKE_KUBECTL, "kubeconfig": write_state(tmp_path, node_ready=1),
                             "workloads": WORKLOADS, "timeout": 2, "interval": 1})
    assert rc != 0 and result["failed"] is True
    assert result["msg"].startswith("not ready after 2s: DaemonSet kube-system/calico-node")
    assert "pod calico-node-x1 on worker1: Running" in result["msg"]
    assert "container calico-node waiting: CrashLoopBackOff; restarts 4" in result["msg"]
    assert "Back-off restarting failed container calico-node" in result["msg"]


def test_check_mode_reports_once_without_failing(tmp_path):
    rc, result = run_module({"kubectl": FAKE_KUBECTL, "kubeconfig": write_state(tmp_path, node_ready=1),
                             "workloads": WORKLOADS, "timeout": 600}, "--check")
    assert rc == 0 and result["ready"] is False and result.get("failed") is not True


def test_bad_arguments_are_refused(tmp_path):
    rc, result = run_module({"kubectl": FAKE_KUBECTL, "workloads": [{"kind": "StatefulSet", "name": "x"}]})
    assert rc != 0 and "StatefulSet" in result["msg"]
    rc, result = run_module({"kubectl": FAKE_KUBECTL})
    assert rc != 0 and "nothing to wait for" in result["msg"]


@pytest.mark.parametrize("inventory,expect_typha", [("kdd-typha", True), ("kdd-small", False)])
def test_role_wait_stage_waits_for_typha_only_with_typha(tmp_path, inventory, expect_typha):
    state = write_state(tmp_path, node_ready=2, typha_ready=1)  # Typha is the only thing not ready
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "examples", inventory),
            os.path.join(REPO, "playbooks", "manifest.yml"), "--tags", "calico_manifest_wait",
            "-e", "calico_manifest_api_host=localhost", "-e", "calico_manifest_kubeconfig=%s" % state,
            "-e", "calico_manifest_kubectl=%s" % FAKE_KUBECTL, "-e", "calico_manifest_rollout_timeout=2",
            "-e", "calico_manifest_wait_interval=1", "-e", "calico_artifacts_dir=%s" % (tmp_path / "out"),
            "-e", "calico_manifest_upstream_dir=%s" % UPSTREAM]
    proc = subprocess.run(argv, cwd=REPO, env=ansible_env(), capture_output=True, text=True, check=False, timeout=300)
    data = json.loads(proc.stdout)
    waits = [t["hosts"]["localhost"] for p in data["plays"] for t in p["tasks"] if "Wait for calico-node" in t["task"]["name"]]
    assert len(waits) == 1
    names = [s["name"] for s in waits[0]["statuses"]]
    assert ("calico-typha" in names) is expect_typha
    assert (proc.returncode != 0) is expect_typha
    assert not (tmp_path / "out").exists()  # only the wait stage ran
