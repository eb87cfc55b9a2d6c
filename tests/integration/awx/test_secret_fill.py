"""The apply side of the placeholders: calico.yaml read the way roles/calico_manifest/tasks/apply.yml
reads it gets the real etcd client key back, in memory, while the file keeps the placeholder."""

from __future__ import annotations

import base64
import os
import subprocess

from testpaths import REPO, UPSTREAM_DIR

BIN = os.path.join(REPO, ".venv", "bin")
ETCD = os.path.join(REPO, "inventory", "examples", "etcd")
KEY_FILE = os.path.join(REPO, "inventory", "examples", "files", "etcd", "calico-client-key.pem")

CHECK = """
- name: Plan
  ansible.builtin.import_playbook: {repo}/playbooks/plan.yml

- name: Read calico.yaml as the manifest role's apply does
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read the rendered manifest
      ansible.builtin.set_fact:
        docs: >-
          {{{{ lookup('ansible.builtin.file', calico_plan.cluster.artifacts_dir ~ '/calico.yaml')
             | ansible.builtin.from_yaml_all | list | onprem.calico.artifact_secrets_filled(calico_plan) }}}}
      no_log: true

    - name: The Secret carries the real key
      ansible.builtin.assert:
        that:
          - >-
            (docs | selectattr('kind', 'equalto', 'Secret') | selectattr('metadata.name', 'equalto', 'calico-etcd-secrets')
             | first).data['etcd-key'] | b64decode == lookup('ansible.builtin.file', calico_plan.manifest.etcd.key_file) ~ '\\n'
        quiet: true
      no_log: true
"""


def run(args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_etcd_key_is_filled_in_memory_and_never_written(tmp_path):
    common = ["-i", ETCD, "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR, "-e", "calico_artifacts_dir=%s" % tmp_path]
    run(["playbooks/render.yml", *common])
    with open(KEY_FILE, encoding="utf-8") as handle:
        key = handle.read()
    manifest = (tmp_path / "calico.yaml").read_text()
    assert base64.b64encode(key.encode()).decode() not in manifest
    assert base64.b64encode(b"@@onprem.calico:secret:etcd_key@@").decode() in manifest
    playbook = tmp_path / "check.yml"
    playbook.write_text(CHECK.format(repo=REPO))
    out = run([str(playbook), *common])
    assert key.strip().splitlines()[1] not in out
