"""playbooks/bgp.yml for Calico 3.32.1, whose calicoctl checksum the catalog does not have: a run
without the API (calico_bgp_skip_api) builds and validates the objects and needs no checksum,
because it installs no calicoctl; a run with the API stops before any change asking for
calico_calicoctl_sha256."""

from __future__ import annotations

import os
import subprocess

from testpaths import REPO, UPSTREAM_DIR

VENV_BIN = os.path.join(REPO, ".venv", "bin")


def bgp_run(tmp_path, *extra):
    env = dict(os.environ, CALICO_UPSTREAM_DIR=UPSTREAM_DIR, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "inventory/examples/etcd", "playbooks/bgp.yml",
            "-e", "calico_version=3.32.1", "-e", "calico_bgp_upstream_dir=" + UPSTREAM_DIR,
            "-e", "calico_artifacts_dir=" + str(tmp_path / "artifacts"), "-e", "ansible_connection=local",
            "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"), *extra]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)


def test_skip_api_run_needs_no_calicoctl_checksum(tmp_path):
    proc = bgp_run(tmp_path, "-e", "calico_bgp_skip_api=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    text = " ".join(proc.stdout.split())
    # Said after the objects were built and schema-validated for 3.32.1.
    assert "CRD schemas" in text and "calicoctl is not installed" in text
    assert "calico_bgp_rendered" not in proc.stdout + proc.stderr  # no task name templated from a skipped build


def test_api_run_asks_for_the_checksum_before_any_change(tmp_path):
    # The fake calicoctl path keeps the run on this machine; the checksum check comes first anyway.
    proc = bgp_run(tmp_path, "-e", "calico_bgp_calicoctl_install=false")
    assert proc.returncode != 0
    text = " ".join(proc.stdout.split())
    assert "calicoctl 3.32.1 for amd64: the catalog has no sha256" in text and "set calico_calicoctl_sha256" in text
    assert "changed=0" in text
