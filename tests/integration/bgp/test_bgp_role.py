"""playbooks/bgp.yml (role calico_bgp) on the etcd example, applying through the FAKE calicoctl.

calicoctl cannot be downloaded on these machines, so tests/fakes/calicoctl stands in for it: it
keeps the datastore in a JSON file, records every call and validates every object against the
upstream CRD schema. calico-node is simulated by seeding CalicoNodeStatus objects with a status.
The API host (cp1) runs with a local connection; nothing else is contacted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
UPSTREAM_DIR = os.path.abspath(
    os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
FAKE = os.path.join(REPO, "tests", "fakes", "calicoctl")
VENV_BIN = os.path.join(REPO, ".venv", "bin")
NODES = {"cp1": "10.40.0.11", "worker1": "10.40.0.21", "worker2": "10.40.0.22", "worker3": "10.40.0.23"}
KEY_FILE = os.path.join(REPO, "inventory", "examples", "files", "etcd", "calico-client-key.pem")


class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.state = os.path.join(tmp, "state.json")
        self.log = os.path.join(tmp, "calls.jsonl")
        self.tls = os.path.join(tmp, "tls")

    def seed_calico_node(self, nodes=None, extra=None):
        """What calico-node would report: a session to every other node Established."""
        nodes = nodes or NODES
        statuses = {}
        for node in nodes:
            peers = [{"peerIP": ip, "state": "Established", "type": "NodeMesh", "since": "09:00:00"}
                     for other, ip in nodes.items() if other != node]
            statuses["onprem-calico-" + node] = {
                "apiVersion": "projectcalico.org/v3", "kind": "CalicoNodeStatus",
                "metadata": {"name": "onprem-calico-" + node, "resourceVersion": "1"},
                "spec": {"node": node, "classes": ["BGP"], "updatePeriodSeconds": 10},
                "status": {"bgp": {"numberEstablishedV4": 3, "numberEstablishedV6": 0, "numberNotEstablishedV4": 0,
                                   "numberNotEstablishedV6": 0, "peersV4": peers}}}
        with open(self.state, "w") as handle:
            json.dump(dict({"CalicoNodeStatus": statuses}, **(extra or {})), handle)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as handle:
            return [json.loads(line) for line in handle]

    def stored(self):
        with open(self.state) as handle:
            return json.load(handle)

    def run(self, *extra, inventory="inventory/examples/etcd"):
        env = dict(os.environ, FAKE_CALICOCTL_STATE=self.state, FAKE_CALICOCTL_LOG=self.log, FAKE_CALICOCTL_REPO=REPO,
                   FAKE_CALICOCTL_VERSION="3.31.7", CALICO_UPSTREAM_DIR=UPSTREAM_DIR,
                   PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1")
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, "playbooks/bgp.yml",
               "-e", "calico_bgp_calicoctl_install=false", "-e", "calico_bgp_calicoctl_path=" + FAKE,
               "-e", "calico_bgp_etcd_tls_dir=" + self.tls, "-e", "calico_bgp_upstream_dir=" + UPSTREAM_DIR,
               "-e", "calico_bgp_verify_retries=1", "-e", "calico_bgp_verify_delay=1",
               "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
               "-e", "calico_artifacts_dir=" + os.path.join(self.tmp, "artifacts")] + list(extra)
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)
        recap = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
        assert recap, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc, int(recap.group(2)), int(recap.group(4))


@pytest.fixture
def lab(tmp_path):
    return Lab(str(tmp_path))


def test_apply_then_nothing_to_do_and_check_mode_only_reads(lab):
    lab.seed_calico_node()
    proc, changed, failed = lab.run("--check")
    assert failed == 0, proc.stdout[-4000:]
    assert "etcd TLS files are not on cp1 yet" in proc.stdout  # cannot read the datastore yet
    assert lab.calls() == [] and not os.path.exists(lab.tls)

    proc, changed, failed = lab.run("--diff")
    assert failed == 0, proc.stdout[-4000:]
    assert changed > 0
    with open(KEY_FILE) as handle:
        key = handle.read().strip().splitlines()[1]
    assert key not in proc.stdout  # etcd key material never shown
    stored = lab.stored()
    assert stored["BGPConfiguration"]["default"]["spec"] == {"asNumber": 64512, "nodeToNodeMeshEnabled": True,
                                                             "listenPort": 179}
    assert stored["IPPool"]["default-ipv4-ippool"]["spec"]["cidr"] == "172.16.0.0/16"
    assert {c["datastore"] for c in lab.calls()} == {"etcdv3"}
    for name in ("ca.pem", "cert.pem", "key.pem"):
        assert oct(os.stat(os.path.join(lab.tls, name)).st_mode & 0o777) == "0o600"
    # The seeded status survives the apply; the verification read it.
    assert "cp1: 3 sessions Established" in proc.stdout

    writes = len([c for c in lab.calls() if c["argv"][0] != "get"])
    proc, changed, failed = lab.run()
    assert (changed, failed) == (0, 0), proc.stdout[-4000:]
    assert len([c for c in lab.calls() if c["argv"][0] != "get"]) == writes

    # Someone turns natOutgoing off by hand: check mode shows the drift and writes nothing.
    state = lab.stored()
    state["IPPool"]["default-ipv4-ippool"]["spec"]["natOutgoing"] = False
    with open(lab.state, "w") as handle:
        json.dump(state, handle)
    proc, changed, failed = lab.run("--check", "--diff")
    assert (changed, failed) == (1, 0), proc.stdout[-4000:]
    assert "field: natOutgoing" in proc.stdout and '"natOutgoing": true' in proc.stdout
    assert len([c for c in lab.calls() if c["argv"][0] != "get"]) == writes
    proc, changed, failed = lab.run()
    assert (changed, failed) == (1, 0)
    assert lab.stored()["IPPool"]["default-ipv4-ippool"]["spec"]["natOutgoing"] is True

    # A new pod CIDR would change the live pool's CIDR: refused, with the migration, before any write.
    writes = len([c for c in lab.calls() if c["argv"][0] != "get"])
    proc, _changed, failed = lab.run("-e", "calico_pod_cidr=172.20.0.0/16")
    assert failed == 1
    assert "cidr 172.16.0.0/16 -> 172.20.0.0/16 refused" in proc.stdout
    assert "add the new pool under a new name" in proc.stdout
    assert len([c for c in lab.calls() if c["argv"][0] != "get"]) == writes

    # calico-node reports one session down: the verification names node, peer and state.
    state = lab.stored()
    state["CalicoNodeStatus"]["onprem-calico-worker2"]["status"]["bgp"]["peersV4"][0]["state"] = "Active"
    with open(lab.state, "w") as handle:
        json.dump(state, handle)
    proc, _changed, failed = lab.run()
    assert failed == 1
    assert "BGP sessions not Established: worker2: cp1 (10.40.0.11) Active" in proc.stdout


RR_INVENTORY = "tests/integration/bgp/inventory-rr"
RR_NODES = {"cp1": "10.50.0.11", "rr1": "10.50.0.21", "rr2": "10.50.0.22", "worker1": "10.50.0.31"}
MESH_ON = {"BGPConfiguration": {"default": {
    "apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration",
    "metadata": {"name": "default", "resourceVersion": "1"},
    "spec": {"asNumber": 64512, "nodeToNodeMeshEnabled": True, "logSeverityScreen": "Info"}}}}


def mesh_writes(lab):
    """(call index, nodeToNodeMeshEnabled) of every BGPConfiguration write."""
    out = []
    for index, call in enumerate(lab.calls()):
        if call["argv"][0] in ("create", "replace") and json.loads(call["input"])["kind"] == "BGPConfiguration":
            out.append((index, json.loads(call["input"])["spec"]["nodeToNodeMeshEnabled"]))
    return out


def test_mesh_stays_on_when_a_reflector_session_is_down(lab):
    kubeconfig = os.path.join(lab.tmp, "admin.conf")
    with open(kubeconfig, "w") as handle:
        handle.write("apiVersion: v1\nkind: Config\n")
    lab.seed_calico_node(RR_NODES, MESH_ON)
    state = lab.stored()
    for peer in state["CalicoNodeStatus"]["onprem-calico-worker1"]["status"]["bgp"]["peersV4"]:
        if peer["peerIP"] == RR_NODES["rr2"]:
            peer["state"] = "Connect"
    with open(lab.state, "w") as handle:
        json.dump(state, handle)
    proc, _changed, failed = lab.run("-e", "calico_bgp_use_kubernetes_api=false", "-e", "calico_bgp_kubeconfig=" + kubeconfig,
                                     inventory=RR_INVENTORY)
    assert failed == 1
    assert "worker1: rr2 (10.50.0.22) Connect" in proc.stdout
    assert [mesh for _index, mesh in mesh_writes(lab)] == [True]
    assert lab.stored()["BGPConfiguration"]["default"]["spec"]["nodeToNodeMeshEnabled"] is True
