"""retire_node.yml reads the pods of the nodes to retire through kubernetes.core, against the FAKE
API server (tests/fakes/kube_apiserver.py), and stops before any change while one of them runs a
pod that is not a DaemonSet's; calico_retire_force lets it go on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402  pylint: disable=wrong-import-position
from test_manifest_playbook import ANSIBLE_PLAYBOOK, REPO, UPSTREAM  # noqa: E402  pylint: disable=wrong-import-position


def pod(name, node, owner):
    return {"metadata": {"name": name, "namespace": "default", "ownerReferences": [{"kind": owner, "name": owner.lower()}]},
            "spec": {"nodeName": node}, "status": {"phase": "Running"}}


def retire(tmp_path, kubeconfig, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1")
    # Only the plays tagged always run: the plan and the drain check.
    argv = [ANSIBLE_PLAYBOOK, "-i", os.path.join(REPO, "inventory", "examples", "kdd-small"),
            os.path.join(REPO, "playbooks", "retire_node.yml"), "--tags", "retire_check_only",
            "-e", '{"calico_retire": ["worker07"]}', "-e", "calico_artifacts_dir=%s" % (tmp_path / "artifacts"),
            "-e", "calico_bgp_api_host=localhost", "-e", "calico_bgp_kubeconfig=%s" % kubeconfig,
            "-e", "calico_bgp_upstream_dir=%s" % UPSTREAM, "-e", "ansible_python_interpreter=%s" % sys.executable, *extra]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)
    return proc.returncode, proc.stdout


LOCK = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/onprem-calico-kdd-small"


def changes_besides_the_lock(api):
    """The API writes of the run other than the cluster lock's Lease (taken, then released)."""
    lease = api.get("coordination.k8s.io/v1", "leases", "onprem-calico-kdd-small", "kube-system")
    assert lease is not None and not lease["spec"].get("holderIdentity"), lease
    return [w for w in api.writes() if not w[1].startswith(LOCK) and w[1] != LOCK.rsplit("/", 1)[0]]


def test_retire_waits_for_the_drain(tmp_path):
    with FakeKubeAPI() as api:
        kubeconfig = tmp_path / "admin.conf"
        kubeconfig.write_text(api.kubeconfig())
        api.add("v1", "pods", pod("calico-node-x", "worker07", "DaemonSet"))
        api.add("v1", "pods", pod("web-1", "worker07", "ReplicaSet"))
        api.add("v1", "pods", pod("web-2", "worker01", "ReplicaSet"))

        rc, out = retire(tmp_path, kubeconfig)
        assert rc != 0
        message = [task["hosts"]["localhost"].get("msg", "") for play in json.loads(out)["plays"]
                   for task in play["tasks"] if task["task"]["name"] == "Stop while they run pods other than DaemonSet pods"][0]
        assert message.startswith("worker07: default/web-1 still run on the nodes to retire; nothing was changed.")
        assert "calico-node-x" not in message and "web-2" not in message
        assert changes_besides_the_lock(api) == []

        rc, out = retire(tmp_path, kubeconfig, "-e", "calico_retire_force=true")
        assert rc == 0, out[-3000:]
        assert changes_besides_the_lock(api) == []
