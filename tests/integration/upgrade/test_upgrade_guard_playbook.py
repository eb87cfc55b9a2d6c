"""playbooks/upgrade_guard.yml against the FAKE Kubernetes API server of tests/fakes (not
kube-apiserver): kubernetes.core reads ClusterInformation and the calico-node DaemonSet, and
the run stops before any change on a skipped minor release or a downgrade."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from testpaths import REPO, UPSTREAM_DIR

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402

VENV_BIN = os.path.join(REPO, ".venv", "bin")
INFO = ("crd.projectcalico.org/v1", "clusterinformations")
DAEMONSET = ("apps/v1", "daemonsets")


def guard(api, tmp, *extra):
    kubeconfig = tmp / "admin.conf"
    kubeconfig.write_text(api.kubeconfig())
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "inventory/examples/kdd-small", "playbooks/upgrade_guard.yml",
           "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
           "-e", "calico_manifest_kubeconfig=" + str(kubeconfig), "-e", "calico_artifacts_dir=" + str(tmp / "artifacts")] + list(extra)
    env = dict(os.environ, CALICO_UPSTREAM_DIR=UPSTREAM_DIR, PATH=VENV_BIN + os.pathsep + os.environ["PATH"],
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc, " ".join(proc.stdout.split())


def test_guard_reads_the_running_release_and_refuses_skips_and_downgrades(tmp_path):
    with FakeKubeAPI() as api:
        proc, out = guard(api, tmp_path)  # nothing installed yet
        assert proc.returncode == 0, out[-3000:]
        assert "No Calico release is running yet" in out

        api.add(*DAEMONSET, {"metadata": {"name": "calico-node", "namespace": "kube-system"}, "spec": {"template": {"spec": {
            "containers": [{"name": "calico-node", "image": "docker.io/calico/node:v3.30.7"}]}}}})
        proc, out = guard(api, tmp_path, "-e", "calico_version=3.32.1", "-e", "calico_calicoctl_sha256=" + "0" * 64)
        assert proc.returncode != 0
        assert ("Upgrade guard: Refusing: the upgrade from 3.30.7 (running, DaemonSet kube-system/calico-node "
                "(image docker.io/calico/node:v3.30.7)) to 3.32.1 (calico_version) skips a minor release") in out
        proc, out = guard(api, tmp_path)  # kdd-small: 3.31.7, the next minor
        assert proc.returncode == 0 and "Upgrading Calico from 3.30.7" in out, out[-3000:]

        api.add(*INFO, {"metadata": {"name": "default"}, "spec": {"calicoVersion": "v3.32.1"}})
        proc, out = guard(api, tmp_path)
        assert proc.returncode != 0
        assert "downgrade from 3.32.1 (running, ClusterInformation default (calicoVersion v3.32.1)) to 3.31.7" in out
        proc, out = guard(api, tmp_path, "-e", "calico_upgrade_force=true")
        assert proc.returncode == 0 and "calico_upgrade_force=true, going ahead despite: a downgrade from 3.32.1" in out, out[-3000:]
        assert re.search(r"localhost : ok=\d+ changed=0 ", out)
        assert api.writes() == []  # the guard only reads
