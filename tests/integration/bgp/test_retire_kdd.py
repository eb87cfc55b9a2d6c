"""playbooks/retire_node.yml end to end on the Kubernetes datastore, through the FAKE API server
(tests/fakes/kube_apiserver.py: pods, Nodes, the lock's Lease), the FAKE calicoctl
(tests/fakes/calicoctl: BGPPeers, Calico Nodes, IPAM) and a fake Arista EOS ToR
(tests/fakes/eapi_server.py, through the real httpapi connection). kube-controllers is stood in
for by a controller of the fake API: when a Kubernetes Node is deleted, it releases the blocks
affine to it and its Calico Node goes with it, as in the Kubernetes datastore.

Refused while the node runs a pod other than a DaemonSet's, nothing changed; once drained: its
ToR neighbour is removed, its Kubernetes Node deleted, no Calico object refers to it any more
(its status object pruned, its Calico Node and blocks released; the ToR design's BGPPeers are per
rack, so none of them named it) and ``calicoctl ipam check`` reports nothing leaked; a second run
changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import yaml

from test_bgp_role import FAKE, REPO, UPSTREAM_DIR, VENV_BIN, Lab

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "tor"))

from eapi_server import EapiServer, FakeEos  # noqa: E402  pylint: disable=wrong-import-position
from kube_apiserver import FakeKubeAPI  # noqa: E402  pylint: disable=wrong-import-position
from test_eos_eapi import RUNNING, running, write_inventory  # noqa: E402  pylint: disable=wrong-import-position

RETIRED, KEPT = "n12", "n11"
IPS = {"n11": "10.0.1.11", "n12": "10.0.1.12"}
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class KubeControllers:
    """On a deleted Kubernetes Node: its blocks released and its Calico Node gone (the fake
    calicoctl's datastore), as kube-controllers and the Kubernetes datastore do."""

    def __init__(self, lab):
        self.lab = lab

    def __call__(self, key, _obj):
        if key[:2] != ("v1", "nodes"):
            return
        name = key[3]
        state = self.lab.stored()
        state["IPAMBlock"] = {cidr: b for cidr, b in state.get("IPAMBlock", {}).items() if b["affinity"] != "host:" + name}
        state.get("Node", {}).pop(name, None)
        with open(self.lab.state, "w") as handle:
            json.dump(state, handle)


def play(lab, inventory, playbook, kubeconfig, *extra):
    env = dict(os.environ, FAKE_CALICOCTL_STATE=lab.state, FAKE_CALICOCTL_LOG=lab.log, FAKE_CALICOCTL_REPO=REPO,
               FAKE_CALICOCTL_VERSION="3.31.7", CALICO_UPSTREAM_DIR=UPSTREAM_DIR,
               PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, "playbooks/" + playbook,
           "-e", "calico_bgp_api_host=localhost", "-e", "calico_bgp_kubeconfig=" + kubeconfig,
           "-e", "calico_bgp_calicoctl_install=false", "-e", "calico_bgp_calicoctl_path=" + FAKE,
           "-e", "calico_bgp_upstream_dir=" + UPSTREAM_DIR,
           "-e", "calico_bgp_verify_retries=1", "-e", "calico_bgp_verify_delay=1", *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=900)
    recap = {m.group(1): {"changed": int(m.group(3)), "failed": int(m.group(5))} for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def per_node_inventory(path):
    """The EOS test's inventory with an AS per node, so each node has BGPPeers of its own."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    del data["all"]["vars"]["calico_racks"]["r1"]["asn"]
    for index, host in enumerate(sorted(IPS)):
        data["all"]["children"]["k8s_cluster"]["hosts"][host]["calico_node_asn"] = 65011 + index
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def pod(name, node, owner):
    return {"metadata": {"name": name, "namespace": "default", "ownerReferences": [{"kind": owner, "name": owner.lower()}]},
            "spec": {"nodeName": node}, "status": {"phase": "Running"}}


def naming(state, node):
    """(kind, name) of every Calico object that refers to ``node`` (BGPPeers, status, Node, blocks)."""
    return sorted((kind, name) for kind, objects in state.items() for name, obj in objects.items()
                  if '"%s"' % node in json.dumps(obj) or "host:" + node in json.dumps(obj) or name == node)


def test_kdd_retire_end_to_end(tmp_path):
    lab = Lab(str(tmp_path))
    lab.seed_calico_node(IPS)
    eos = EapiServer(FakeEos(RUNNING))
    try:
        with FakeKubeAPI() as api:
            kubeconfig = str(tmp_path / "admin.conf")
            (tmp_path / "admin.conf").write_text(api.kubeconfig())
            for name in IPS:
                api.add("v1", "nodes", {"metadata": {"name": name, "labels": {}}})
            inventory = per_node_inventory(write_inventory(tmp_path, eos.port, calico_datastore="kubernetes",
                                                           calico_version="3.31.7", calico_tor_design="as_per_node"))
            # Installed: the BGP resources and the ToR peering of both nodes.
            for playbook in ("bgp.yml", "tor.yml"):
                proc, _recap = play(lab, inventory, playbook, kubeconfig)
                assert proc.returncode == 0, proc.stdout[-4000:]
            state = lab.stored()
            state["Node"] = {n: {"apiVersion": "projectcalico.org/v3", "kind": "Node",
                                 "metadata": {"name": n, "resourceVersion": "1"}, "spec": {}} for n in IPS}
            state["IPAMBlock"] = {"10.244.%d.0/26" % i: {"affinity": "host:" + n, "allocations": 2} for i, n in enumerate(IPS)}
            with open(lab.state, "w") as handle:
                json.dump(state, handle)
            assert ("IPAMBlock", "10.244.1.0/26") in naming(state, RETIRED) and ("Node", RETIRED) in naming(state, RETIRED)
            api.on_delete.append(KubeControllers(lab))
            api.add("v1", "pods", pod("calico-node-x", RETIRED, "DaemonSet"))
            api.add("v1", "pods", pod("web-1", RETIRED, "ReplicaSet"))
            retire = ("-e", '{"calico_retire": ["%s"]}' % RETIRED, "--skip-tags", "hosts")

            before_tor, before_state = running(eos), lab.stored()
            proc, _recap = play(lab, inventory, "retire_node.yml", kubeconfig, *retire)
            assert proc.returncode != 0
            assert "n12: default/web-1 still run on the nodes to retire; nothing was changed." in " ".join(proc.stdout.split())
            assert running(eos) == before_tor and lab.stored() == before_state
            assert api.get("v1", "nodes", RETIRED) is not None

            del api.objects[("v1", "pods", "default", "web-1")]  # drained
            proc, recap = play(lab, inventory, "retire_node.yml", kubeconfig, *retire)
            assert proc.returncode == 0, proc.stdout[-5000:]
            assert recap["tor1"]["changed"] > 0 and recap["localhost"]["changed"] > 0, recap
            tor = running(eos)
            assert "neighbor %s " % IPS[RETIRED] not in tor and "neighbor %s " % IPS[KEPT] in tor
            state = lab.stored()
            assert naming(state, RETIRED) == [], naming(state, RETIRED)
            assert ("Node", KEPT) in naming(state, KEPT)
            assert api.get("v1", "nodes", RETIRED) is None and api.get("v1", "nodes", KEPT) is not None
            assert sorted(state["Node"]) == [KEPT]
            assert [b["affinity"] for b in state["IPAMBlock"].values()] == ["host:" + KEPT]
            assert ["ipam", "check"] in [c["argv"][:2] for c in lab.calls()]
            assert ["delete", "nodes", RETIRED] not in [c["argv"][:3] for c in lab.calls()]  # etcd's way, not this one

            proc, recap = play(lab, inventory, "retire_node.yml", kubeconfig, *retire)
            assert proc.returncode == 0, proc.stdout[-5000:]
            assert all(r["changed"] == 0 for r in recap.values()), recap
    finally:
        eos.close()
