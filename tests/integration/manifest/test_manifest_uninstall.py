"""The manifest part of playbooks/uninstall.yml through kubernetes.core against the FAKE API
server (tests/fakes/kube_apiserver.py; no kube-apiserver can run here): every object of the
rendered manifest is deleted, the CRDs only after every other object is gone, objects that are
not the manifest's stay, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fakes"))

from kube_apiserver import RESOURCES, FakeKubeAPI  # noqa: E402  pylint: disable=wrong-import-position
from test_manifest_playbook import ANSIBLE_PLAYBOOK, REPO, UPSTREAM  # noqa: E402  pylint: disable=wrong-import-position

PLURALS = {(gv, kind): plural for (gv, plural), (kind, _namespaced) in RESOURCES.items()}


def run(playbook, tmp_path, kubeconfig, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1")
    argv = [ANSIBLE_PLAYBOOK, "-i", os.path.join(REPO, "inventory", "examples", "kdd-small"),
            os.path.join(REPO, "playbooks", playbook), "-e", "calico_artifacts_dir=%s" % (tmp_path / "artifacts"),
            "-e", "calico_manifest_upstream_dir=%s" % UPSTREAM, "-e", "calico_manifest_api_host=localhost",
            "-e", "calico_manifest_kubeconfig=%s" % kubeconfig, "-e", "calico_bgp_skip_api=true",
            "-e", "calico_manifest_rollout_timeout=10", "-e", "calico_manifest_crd_timeout=10",
            "-e", "ansible_python_interpreter=%s" % sys.executable, *extra]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)
    data = json.loads(proc.stdout)
    return proc.returncode, data


def test_manifest_objects_deleted_crds_last(tmp_path):
    with FakeKubeAPI() as api:
        kubeconfig = tmp_path / "admin.conf"
        kubeconfig.write_text(api.kubeconfig())
        rc, data = run("manifest.yml", tmp_path, kubeconfig, "-e", "calico_manifest_skip_api=true")
        assert rc == 0, json.dumps(data)[-2000:]
        docs = [d for d in yaml.safe_load_all((tmp_path / "artifacts" / "calico.yaml").read_text()) if d]
        for doc in docs:
            api.add(doc["apiVersion"], PLURALS[(doc["apiVersion"], doc["kind"])], doc)
        api.add("v1", "configmaps", {"metadata": {"name": "not-calico", "namespace": "kube-system"}})
        api.requests.clear()

        rc, data = run("uninstall.yml", tmp_path, kubeconfig, "--tags", "manifest", "-e", "calico_uninstall_confirm=yes")
        assert rc == 0, json.dumps(data)[-3000:]
        left = {(key[1], key[3]) for key in api.objects}
        assert left == {("configmaps", "not-calico")}
        # The run held the cluster lock (a Lease) throughout and deleted it at its end.
        lease_writes = [method for method, path, dry in api.requests if "/leases" in path and method != "GET"]
        assert lease_writes == ["POST", "DELETE"], api.requests
        deletes = [path for method, path, dry in api.requests if method == "DELETE" and not dry and "/leases" not in path]
        crd_deletes = [i for i, path in enumerate(deletes) if "/customresourcedefinitions/" in path]
        other_deletes = [i for i, path in enumerate(deletes) if "/customresourcedefinitions/" not in path]
        assert crd_deletes and other_deletes and max(other_deletes) < min(crd_deletes)
        assert len(deletes) == len(docs)

        rc, data = run("uninstall.yml", tmp_path, kubeconfig, "--tags", "manifest", "-e", "calico_uninstall_confirm=yes")
        assert rc == 0 and data["stats"]["localhost"]["changed"] == 0, json.dumps(data["stats"])
