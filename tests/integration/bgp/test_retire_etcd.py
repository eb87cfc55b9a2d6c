"""playbooks/retire_node.yml (its BGP plays) on the etcd example through the FAKE calicoctl
(tests/fakes/calicoctl) and the FAKE API server (pods of the node, tests/fakes/kube_apiserver.py):
the retired node's Calico Node goes with ``calicoctl delete node``, which releases its IPAM
blocks, and ``calicoctl ipam check`` then reports nothing leaked; a second run changes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from test_bgp_role import FAKE, NODES, REPO, UPSTREAM_DIR, VENV_BIN, Lab

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402  pylint: disable=wrong-import-position

RETIRED = "worker3"
CLUSTER = "etcd-example"


def retire(lab, kubeconfig):
    env = dict(os.environ, FAKE_CALICOCTL_STATE=lab.state, FAKE_CALICOCTL_LOG=lab.log, FAKE_CALICOCTL_REPO=REPO,
               FAKE_CALICOCTL_VERSION="3.31.7", CALICO_UPSTREAM_DIR=UPSTREAM_DIR,
               PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "inventory/examples/etcd", "playbooks/retire_node.yml",
           "--tags", "bgp", "-e", '{"calico_retire": ["%s"]}' % RETIRED,
           "-e", "calico_bgp_calicoctl_install=false", "-e", "calico_bgp_calicoctl_path=" + FAKE,
           "-e", "calico_bgp_etcd_tls_dir=" + lab.tls, "-e", "calico_bgp_upstream_dir=" + UPSTREAM_DIR,
           "-e", "calico_bgp_verify_retries=1", "-e", "calico_bgp_verify_delay=1", "-e", "calico_bgp_kubeconfig=" + kubeconfig,
           "-e", "calico_bgp_use_kubernetes_api=false",
           "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
           "-e", "calico_artifacts_dir=" + os.path.join(lab.tmp, "artifacts")]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=900)
    recap = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
    assert recap, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, int(recap.group(2)), int(recap.group(4))


def test_etcd_retire_releases_ipam_and_nothing_leaks(tmp_path):
    lab = Lab(str(tmp_path))
    remaining = {name: ip for name, ip in NODES.items() if name != RETIRED}
    calico_nodes = {name: {"apiVersion": "projectcalico.org/v3", "kind": "Node",
                           "metadata": {"name": name, "resourceVersion": "1"}, "spec": {}} for name in NODES}
    blocks = {"172.16.%d.0/26" % i: {"affinity": "host:" + name, "allocations": 2} for i, name in enumerate(NODES)}
    lab.seed_calico_node(remaining, extra={"Node": calico_nodes, "IPAMBlock": blocks})
    with FakeKubeAPI() as api:
        kubeconfig = tmp_path / "admin.conf"
        kubeconfig.write_text(api.kubeconfig())
        proc, changed, failed = retire(lab, str(kubeconfig))
        assert failed == 0, proc.stdout[-5000:]
        assert changed > 0
        stored = lab.stored()
        assert sorted(stored["Node"]) == sorted(remaining)
        assert sorted(b["affinity"] for b in stored["IPAMBlock"].values()) == sorted("host:" + n for n in remaining)
        assert ["ipam", "check"] in [c["argv"][:2] for c in lab.calls()]
        assert ["delete", "nodes", RETIRED] in [c["argv"][:3] for c in lab.calls()]
        # The run held the cluster lock (a Lease: this inventory uses the API) through the kubeconfig
        # given for the BGP stage, and released it at its end.
        lease = api.get("coordination.k8s.io/v1", "leases", "onprem-calico-" + CLUSTER, "kube-system")
        assert lease is not None and not lease["spec"].get("holderIdentity"), lease
        proc, changed, failed = retire(lab, str(kubeconfig))
        assert (changed, failed) == (0, 0), proc.stdout[-5000:]
