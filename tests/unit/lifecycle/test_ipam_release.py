"""Retiring a node releases its IPAM: through tests/fakes/calicoctl (a FAKE: real calicoctl
cannot be downloaded here), whose ``delete node`` releases the node's blocks as calicoctl does
and whose ``ipam check`` reports blocks of nodes that no longer exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import ipam_release
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import Calicoctl, datastore_env

FAKE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fakes", "calicoctl")
NODES = ("n01", "n02", "n03")


@pytest.fixture
def cluster(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({
        "Node": {n: {"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": n, "resourceVersion": "1"}}
                 for n in NODES},
        "IPAMBlock": {"10.244.%d.0/26" % i: {"affinity": "host:" + n, "allocations": 3} for i, n in enumerate(NODES)},
    }))
    env = {"PATH": os.environ["PATH"], "FAKE_CALICOCTL_STATE": str(state)}

    def run(argv, data, environ):
        proc = subprocess.run([sys.executable] + argv, input=data, capture_output=True, text=True,
                              env=dict(env, **environ), check=False)
        return proc.returncode, proc.stdout, proc.stderr

    client = Calicoctl(run, FAKE, datastore_env("etcd", etcd_endpoints=["http://127.0.0.1:2379"]))
    client.state = state
    return client


def test_etcd_retire_deletes_the_node_and_nothing_leaks(cluster):
    assert ipam_release.release(cluster, ["n03"], "etcd", check_mode=True) == ["n03"]
    assert "n03" in json.loads(cluster.state.read_text())["Node"]  # check mode deleted nothing
    assert ipam_release.release(cluster, ["n03"], "etcd") == ["n03"]
    stored = json.loads(cluster.state.read_text())
    assert sorted(stored["Node"]) == ["n01", "n02"]
    assert ipam_release.leaks(cluster.ipam_check(), ["n03"]) == []
    # Done once: a second run has nothing to delete.
    assert ipam_release.release(cluster, ["n03"], "etcd") == []


def test_a_node_gone_without_its_ipam_is_reported(cluster):
    # What a Node removed behind Calico's back leaves (kube-controllers never released it).
    stored = json.loads(cluster.state.read_text())
    del stored["Node"]["n02"]
    cluster.state.write_text(json.dumps(stored))
    messages = ipam_release.leaks(cluster.ipam_check(), ["n02"])
    assert messages == ["n02 still holds IPAM block(s) 10.244.1.0/26", "calicoctl ipam check found 3 problem(s)"]


def test_kubernetes_datastore_leaves_the_release_to_kube_controllers(cluster):
    assert ipam_release.release(cluster, ["n03"], "kubernetes") == []
    assert "n03" in json.loads(cluster.state.read_text())["Node"]


def test_unreadable_report_is_not_taken_for_clean():
    assert ipam_release.leaks("something else", ["n01"])[0].startswith("calicoctl ipam check printed no")
