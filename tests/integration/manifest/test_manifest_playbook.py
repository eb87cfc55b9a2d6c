"""playbooks/manifest.yml with the real ansible-playbook on the example inventories.

No API server can run here, so the role runs with calico_manifest_skip_api=true (the lab's
mode): plan -> render -> offline validation. Idempotence, check mode, the 0600 mode of a
manifest holding etcd TLS material, and failures before any change are checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
UPSTREAM = os.path.abspath(os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
PLAYBOOK = os.path.join(REPO, "playbooks", "manifest.yml")
ANSIBLE_PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")


def run_playbook(inventory, artifacts, *extra, upstream=UPSTREAM):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1")
    argv = [ANSIBLE_PLAYBOOK, "-i", os.path.join(REPO, "inventory", "examples", inventory), PLAYBOOK,
            "-e", "calico_manifest_skip_api=true", "-e", "calico_artifacts_dir=%s" % artifacts,
            "-e", "calico_manifest_upstream_dir=%s" % upstream, *extra]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("no JSON from ansible-playbook (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc.returncode, data


def stats(data):
    return data["stats"]["localhost"]


def task_results(data, name_fragment):
    return [task["hosts"]["localhost"] for play in data["plays"] for task in play["tasks"]
            if name_fragment in task["task"]["name"] and "localhost" in task["hosts"]]


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.parametrize("inventory,variant", [("kdd-small", "calico.yaml"), ("kdd-typha", "calico-typha.yaml"),
                                               ("tor-as-per-rack", "calico.yaml")])
def test_render_only_writes_the_right_variant(tmp_path, inventory, variant):
    rc, data = run_playbook(inventory, tmp_path)
    assert rc == 0, json.dumps(data)[-3000:]
    summary = (tmp_path / "calico-manifest-changes.md").read_text()
    assert "- variant: %s (" % variant in summary
    assert (os.stat(tmp_path / "calico.yaml").st_mode & 0o777) == 0o644
    skipped = task_results(data, "Say that the API stage is skipped")[0]
    assert "not applied" in skipped["msg"]
    assert stats(data)["failures"] == 0


def test_etcd_example_is_private_idempotent_and_check_mode_clean(tmp_path):
    rc, first = run_playbook("etcd", tmp_path)
    assert rc == 0 and stats(first)["changed"] == 1
    manifest = tmp_path / "calico.yaml"
    assert (os.stat(manifest).st_mode & 0o777) == 0o600
    key = open(os.path.join(REPO, "inventory", "examples", "files", "etcd", "calico-client-key.pem")).read()
    assert key not in json.dumps(first)  # nothing printed holds the key
    before = digest(manifest)

    rc, second = run_playbook("etcd", tmp_path)
    assert rc == 0 and stats(second)["changed"] == 0
    assert digest(manifest) == before

    rc, check = run_playbook("etcd", tmp_path, "--check", "--diff")
    assert rc == 0 and stats(check)["changed"] == 0


def test_check_mode_writes_nothing_and_reports_the_change(tmp_path):
    rc, data = run_playbook("kdd-small", tmp_path / "out", "--check", "--diff")
    assert rc == 0
    render = task_results(data, "Render calico.yaml and calico-manifest-changes.md")[0]
    assert render["changed"] is True
    assert sorted(render["changed_artifacts"]) == ["calico-manifest-changes.md", "calico.yaml", "plan.json"]
    assert not (tmp_path / "out").exists()


def test_checksum_mismatch_fails_before_anything_is_written(tmp_path):
    upstream = tmp_path / "upstream"
    shutil.copytree(os.path.join(UPSTREAM, "v3.31.7"), upstream / "v3.31.7")
    os.chmod(upstream / "v3.31.7" / "calico.yaml", 0o644)
    with open(upstream / "v3.31.7" / "calico.yaml", "a") as handle:
        handle.write("# tampered\n")
    rc, data = run_playbook("kdd-small", tmp_path / "out", upstream=str(upstream))
    assert rc != 0
    failed = task_results(data, "Render calico.yaml and calico-manifest-changes.md")[0]
    assert "checksum mismatch for Calico manifest v3.31.7/calico.yaml" in failed["msg"]
    assert "expected sha256 d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d" in failed["msg"]
    assert "actual sha256 %s" % digest(upstream / "v3.31.7" / "calico.yaml") in failed["msg"]
    assert not (tmp_path / "out" / "calico.yaml").exists()


def test_api_stage_without_api_host_stops_before_rendering(tmp_path):
    rc, data = run_playbook("kdd-small", tmp_path / "out", "-e", "calico_manifest_skip_api=false",
                            "-e", "calico_manifest_api_host=no-such-host")
    assert rc != 0
    failed = task_results(data, "Check that the API host is in the inventory")[0]
    assert "calico_manifest_api_host" in failed["msg"] and "calico_manifest_skip_api=true" in failed["msg"]
    assert not (tmp_path / "out").exists()


def test_missing_kubeconfig_stops_before_rendering(tmp_path):
    rc, data = run_playbook("kdd-small", tmp_path / "out", "-e", "calico_manifest_skip_api=false",
                            "-e", "calico_manifest_api_host=localhost", "-e", "calico_manifest_kubeconfig=%s" % (tmp_path / "nope"))
    assert rc != 0
    failed = task_results(data, "Check that the kubeconfig exists")[0]
    assert "does not exist on localhost" in failed["msg"]
    assert not (tmp_path / "out").exists()


def refusing_kubeconfig(tmp_path):
    """A kubeconfig whose API server refuses connections (nothing listens on port 9)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
        "users": [{"name": "admin", "user": {"token": "not-a-real-token"}}],
    }))
    return kubeconfig


def test_api_stage_reaches_kubernetes_core_with_the_split_manifest(tmp_path):
    """With an API server that refuses connections, the apply stage runs up to the first
    kubernetes.core call: the manifest was rendered, read back and split, the CRDs were handed
    to kubernetes.core.k8s with server-side apply, and the failure names the unreachable server."""
    rc, data = run_playbook("kdd-small", tmp_path / "out", "-e", "calico_manifest_skip_api=false",
                            "-e", "calico_manifest_api_host=localhost", "-e", "calico_manifest_kubeconfig=%s" % refusing_kubeconfig(tmp_path))
    assert rc != 0
    assert (tmp_path / "out" / "calico.yaml").exists()
    failed = task_results(data, "Apply the CRDs (server-side)")[0]
    assert failed["failed"] is True
    assert "127.0.0.1" in json.dumps(failed)
    assert task_results(data, "Apply the other objects") == []


def test_check_mode_api_stage_uses_a_removed_preview(tmp_path):
    """Check mode with an API: the artifacts are not written, the dry run gets a preview from a
    temporary directory, and that directory is gone before the API is contacted."""
    rc, data = run_playbook("kdd-small", tmp_path / "out", "--check", "-e", "calico_manifest_skip_api=false",
                            "-e", "calico_manifest_api_host=localhost", "-e", "calico_manifest_kubeconfig=%s" % refusing_kubeconfig(tmp_path))
    assert rc != 0  # the dry run needs the (refusing) API server
    assert not (tmp_path / "out").exists()
    preview = task_results(data, "Create a private preview directory")[0]["path"]
    assert task_results(data, "Remove the check-mode preview")[0].get("failed") is not True
    assert not os.path.exists(preview)
    assert "127.0.0.1" in json.dumps(task_results(data, "Apply the CRDs (server-side)")[0])
