"""Rollout wait and diagnostics (plugins/module_utils/k8s_wait.py).

No API server exists on these machines, so these tests drive the logic through
``FakeKubeClient``: an IN-MEMORY FAKE of the KubeClient interface (get / list_pods /
list_events) whose objects change between polling rounds, with a fake clock. The kubectl
adapter is tested against a fake command runner that returns recorded kubectl JSON.
"""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import k8s_wait
from ansible_collections.onprem.calico.plugins.module_utils.k8s_wait import (
    KubeClient,
    KubeClientError,
    KubectlClient,
    Target,
    diagnose,
    wait_for,
)
from ansible_collections.onprem.calico.plugins.modules import calico_rollout_wait

NS = "kube-system"


class FakeKubeClient(KubeClient):
    """In-memory fake of the KubeClient interface. ``rounds`` is a list of states (dicts of
    (kind, name) -> object); every full polling round advances to the next state."""

    def __init__(self, states, pods=(), events=(), fail_gets=0):
        self.states = [dict(s) for s in states]
        self.round = 0
        self.pods = list(pods)
        self.events = list(events)
        self.fail_gets = fail_gets
        self.calls = []

    def advance(self):
        self.round = min(self.round + 1, len(self.states) - 1)

    def get(self, kind, name, namespace=None):
        self.calls.append(("get", kind, name, namespace))
        if self.fail_gets:
            self.fail_gets -= 1
            raise KubeClientError("connection refused")
        return copy.deepcopy(self.states[self.round].get((kind, name)))

    def list_pods(self, namespace, match_labels):
        self.calls.append(("pods", namespace, tuple(sorted(match_labels.items()))))
        return [p for p in self.pods if all(p["metadata"]["labels"].get(k) == v for k, v in match_labels.items())]

    def list_events(self, namespace):
        return list(self.events)


class FakeClock:
    def __init__(self, client=None):
        self.now = 0.0
        self.client = client
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.client:
            self.client.advance()


def daemonset(desired, updated, ready, available=None, generation=2, observed=2):
    return {
        "metadata": {"name": "calico-node", "namespace": NS, "generation": generation},
        "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}}},
        "status": {
            "observedGeneration": observed,
            "desiredNumberScheduled": desired,
            "updatedNumberScheduled": updated,
            "numberReady": ready,
            "numberAvailable": ready if available is None else available,
        },
    }


def deployment(name, replicas, updated, ready, available=None, conditions=()):
    return {
        "metadata": {"name": name, "namespace": NS, "generation": 1},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"k8s-app": name}}},
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready if available is None else available,
            "conditions": list(conditions),
        },
    }


def crd(name, established):
    condition = {"type": "Established", "status": "True" if established else "False", "reason": "Installing"}
    return {"metadata": {"name": name}, "status": {"conditions": [condition]}}


TARGETS = [
    Target("CustomResourceDefinition", "ippools.crd.projectcalico.org"),
    Target("DaemonSet", "calico-node", NS),
    Target("Deployment", "calico-kube-controllers", NS),
]


def ready_state():
    return {
        ("CustomResourceDefinition", "ippools.crd.projectcalico.org"): crd("ippools.crd.projectcalico.org", True),
        ("DaemonSet", "calico-node"): daemonset(3, 3, 3),
        ("Deployment", "calico-kube-controllers"): deployment("calico-kube-controllers", 1, 1, 1),
    }


def test_ready_after_rollout_progresses():
    rolling = ready_state()
    rolling[("DaemonSet", "calico-node")] = daemonset(3, 1, 1)
    rolling[("CustomResourceDefinition", "ippools.crd.projectcalico.org")] = crd("ippools.crd.projectcalico.org", False)
    half = dict(ready_state())
    half[("DaemonSet", "calico-node")] = daemonset(3, 3, 2)
    client = FakeKubeClient([rolling, half, ready_state()])
    clock = FakeClock(client)
    result = wait_for(client, TARGETS, timeout=60, interval=5, clock=clock, sleep=clock.sleep)
    assert result.ready and result.rounds == 3 and clock.sleeps == [5, 5]
    assert [s.ready for s in result.statuses] == [True, True, True]


def test_timeout_returns_what_is_not_ready():
    stuck = ready_state()
    stuck[("DaemonSet", "calico-node")] = daemonset(3, 3, 2)
    client = FakeKubeClient([stuck])
    clock = FakeClock(client)
    result = wait_for(client, TARGETS, timeout=12, interval=5, clock=clock, sleep=clock.sleep)
    assert not result.ready
    assert [s.target.name for s in result.not_ready] == ["calico-node"]
    assert result.not_ready[0].detail == "desired 3, updated 3, ready 2, available 2"
    assert clock.now <= 12


def test_timeout_zero_checks_once():
    client = FakeKubeClient([{}])
    clock = FakeClock(client)
    result = wait_for(client, TARGETS, timeout=0, clock=clock, sleep=clock.sleep)
    assert result.rounds == 1 and clock.sleeps == []
    assert {s.detail for s in result.statuses} == {"not found"}


def test_api_errors_are_retried_until_deadline():
    client = FakeKubeClient([ready_state()], fail_gets=2)
    clock = FakeClock(client)
    result = wait_for(client, TARGETS, timeout=30, interval=5, clock=clock, sleep=clock.sleep)
    assert result.ready and result.rounds == 2


@pytest.mark.parametrize(
    "obj,ready,detail",
    [
        (daemonset(3, 3, 3), True, "desired 3, updated 3, ready 3, available 3"),
        (daemonset(3, 2, 3), False, None),
        (daemonset(3, 3, 3, available=2), False, None),
        (daemonset(3, 3, 3, generation=3, observed=2), False, "spec not yet observed"),
        (daemonset(0, 0, 0), False, "no node runs it"),
    ],
)
def test_daemonset_status(obj, ready, detail):
    status = k8s_wait.daemonset_status(Target("DaemonSet", "calico-node", NS), obj)
    assert status.ready is ready
    if detail:
        assert detail in status.detail


@pytest.mark.parametrize(
    "obj,ready",
    [
        (deployment("calico-typha", 3, 3, 3), True),
        (deployment("calico-typha", 3, 3, 2), False),
        (deployment("calico-typha", 3, 2, 3), False),
        (deployment("calico-typha", 0, 0, 0), True),
        (deployment("calico-typha", 2, 2, 2, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]), False),
    ],
)
def test_deployment_status(obj, ready):
    assert k8s_wait.deployment_status(Target("Deployment", "calico-typha", NS), obj).ready is ready


def test_target_rejects_unknown_kind():
    with pytest.raises(ValueError, match="cannot wait for kind Service"):
        Target("Service", "calico-typha", NS)


def _pod(name, node, phase="Running", container_state=None, ready=False, restarts=0, last=None, conditions=None, init=None):
    status = {"phase": phase, "conditions": conditions or [{"type": "Ready", "status": "True" if ready else "False"}]}
    if container_state is not None:
        cs = {"name": "calico-node", "state": container_state, "ready": ready, "restartCount": restarts}
        if last:
            cs["lastState"] = {"terminated": last}
        status["containerStatuses"] = [cs]
    if init is not None:
        status["initContainerStatuses"] = [init]
    return {"metadata": {"name": name, "labels": {"k8s-app": "calico-node"}}, "spec": {"nodeName": node}, "status": status}


def test_diagnostics_name_pods_reasons_and_recent_events():
    state = ready_state()
    state[("DaemonSet", "calico-node")] = daemonset(3, 3, 1)
    pods = [
        _pod("calico-node-aaaaa", "n1", container_state={"running": {}}, ready=True),
        _pod("calico-node-bbbbb", "n2", container_state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
             restarts=7, last={"reason": "Error", "exitCode": 1}),
        _pod("calico-node-ccccc", "n3", phase="Pending",
             init={"name": "install-cni", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "pull access denied"}}}),
    ]
    events = [
        {"involvedObject": {"kind": "Pod", "name": "calico-node-bbbbb"}, "type": "Warning", "reason": "BackOff",
         "message": "Back-off restarting failed container", "lastTimestamp": "2026-01-01T00:00:09Z", "count": 12},
        {"involvedObject": {"kind": "Pod", "name": "calico-node-ccccc"}, "type": "Warning", "reason": "Failed",
         "message": "Failed to pull image", "lastTimestamp": "2026-01-01T00:00:05Z"},
        {"involvedObject": {"kind": "Pod", "name": "coredns-1"}, "type": "Warning", "reason": "Unrelated",
         "message": "not ours", "lastTimestamp": "2026-01-01T00:00:07Z"},
    ]
    client = FakeKubeClient([state], pods=pods, events=events)
    result = wait_for(client, TARGETS, timeout=0)
    lines = diagnose(client, result.statuses, NS)
    text = "\n".join(lines)
    assert lines[0] == "DaemonSet kube-system/calico-node not ready: desired 3, updated 3, ready 1, available 1"
    assert "calico-node-aaaaa" not in text  # ready pods are not noise
    assert "pod calico-node-bbbbb on n2: Running" in text
    assert "container calico-node waiting: CrashLoopBackOff (back-off 5m0s); restarts 7, last exit: Error 1" in text
    assert "pod calico-node-ccccc on n3: Pending" in text
    assert "container install-cni waiting: ImagePullBackOff (pull access denied)" in text
    assert "Unrelated" not in text
    # events oldest first, with repeat counts
    assert text.index("Failed to pull image") < text.index("Back-off restarting failed container (x12)")
    assert ("pods", NS, (("k8s-app", "calico-node"),)) in client.calls


def test_diagnostics_for_unschedulable_pod_and_replicaset_events():
    state = ready_state()
    state[("Deployment", "calico-kube-controllers")] = deployment("calico-kube-controllers", 1, 1, 0)
    pod = {
        "metadata": {"name": "calico-kube-controllers-7d9-abc", "labels": {"k8s-app": "calico-kube-controllers"}},
        "spec": {},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                                       "message": "0/3 nodes are available: 3 node(s) had untolerated taint"}]},
    }
    events = [{"involvedObject": {"kind": "ReplicaSet", "name": "calico-kube-controllers-7d9"}, "type": "Normal",
               "reason": "SuccessfulCreate", "message": "Created pod", "lastTimestamp": "2026-01-01T00:00:01Z"}]
    client = FakeKubeClient([state], pods=[pod], events=events)
    lines = diagnose(client, wait_for(client, TARGETS, timeout=0).statuses, NS)
    text = "\n".join(lines)
    assert "pod calico-kube-controllers-7d9-abc on unscheduled: Pending" in text
    assert "not scheduled: Unschedulable 0/3 nodes are available" in text
    assert "ReplicaSet/calico-kube-controllers-7d9: Created pod" in text


def test_diagnostics_for_missing_crd_and_events_error():
    class BrokenEvents(FakeKubeClient):
        def list_events(self, namespace):
            raise KubeClientError("forbidden")

    client = BrokenEvents([{}])
    lines = diagnose(client, wait_for(client, TARGETS[:1], timeout=0).statuses, NS)
    assert lines == ["events unavailable: forbidden", "CustomResourceDefinition ippools.crd.projectcalico.org not ready: not found"]


# --- the kubectl adapter, against a fake command runner --------------------------------


class FakeRunner:
    """Records argv and answers like kubectl would (fake: no real kubectl is run)."""

    def __init__(self, answers):
        self.answers = answers
        self.argvs = []

    def __call__(self, argv):
        self.argvs.append(argv)
        for key, answer in self.answers.items():
            if key in " ".join(argv):
                return answer
        return 1, "", "error: unexpected call"


def test_kubectl_client_builds_commands_and_parses_json():
    ds = daemonset(2, 2, 2)
    runner = FakeRunner({
        "daemonsets.apps calico-node": (0, json.dumps(ds), ""),
        "deployments.apps calico-typha": (1, "", 'Error from server (NotFound): deployments.apps "calico-typha" not found'),
        "get pods": (0, json.dumps({"items": [{"metadata": {"name": "p"}}]}), ""),
        "get events": (0, json.dumps({"items": []}), ""),
    })
    client = KubectlClient(runner, kubectl="/usr/bin/kubectl", kubeconfig="/etc/kubernetes/admin.conf", context="lab")
    assert client.get("DaemonSet", "calico-node", NS) == ds
    assert client.get("Deployment", "calico-typha", NS) is None
    assert client.list_pods(NS, {"k8s-app": "calico-node", "a": "b"}) == [{"metadata": {"name": "p"}}]
    assert client.list_events(NS) == []
    assert runner.argvs[0] == ["/usr/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "--context", "lab",
                               "get", "daemonsets.apps", "calico-node", "-n", NS, "-o", "json"]
    assert runner.argvs[2][-5:] == ["-n", NS, "-l", "a=b,k8s-app=calico-node", "-o", "json"][-5:]


def test_kubectl_client_crd_is_cluster_scoped_and_errors_surface():
    runner = FakeRunner({"customresourcedefinitions": (1, "", "The connection to the server 10.0.0.1:6443 was refused")})
    client = KubectlClient(runner)
    with pytest.raises(KubeClientError, match="was refused"):
        client.get("CustomResourceDefinition", "ippools.crd.projectcalico.org", NS)
    assert "-n" not in runner.argvs[0]


# --- the module's logic without Ansible ------------------------------------------------


def _params(**overrides):
    params = {"crds": ["ippools.crd.projectcalico.org"], "workloads": [{"kind": "DaemonSet", "name": "calico-node"},
              {"kind": "Deployment", "name": "calico-kube-controllers"}], "namespace": NS, "timeout": 0, "interval": 1,
              "max_events": 5}
    params.update(overrides)
    return params


def test_module_logic_success():
    failed, message, out = calico_rollout_wait.run_wait(FakeKubeClient([ready_state()]), _params())
    assert not failed and out["ready"] and out["changed"] is False and out["diagnostics"] == []
    assert [s["name"] for s in out["statuses"]] == ["ippools.crd.projectcalico.org", "calico-node", "calico-kube-controllers"]


def test_module_logic_failure_message_lists_diagnostics():
    state = ready_state()
    state[("DaemonSet", "calico-node")] = daemonset(3, 3, 2)
    failed, message, out = calico_rollout_wait.run_wait(FakeKubeClient([state]), _params(timeout=0))
    assert failed and not out["ready"]
    assert message.startswith("not ready after 0s: DaemonSet kube-system/calico-node\n")
    assert "desired 3, updated 3, ready 2" in message


def test_module_logic_check_mode_reports_without_failing():
    failed, message, out = calico_rollout_wait.run_wait(FakeKubeClient([{}]), _params(timeout=600), check_mode=True)
    assert message == ""
    assert not failed and not out["ready"]
