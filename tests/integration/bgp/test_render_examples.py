"""playbooks/render.yml writes calico-resources.yaml for every example inventory, valid for its release."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
UPSTREAM_DIR = os.path.abspath(
    os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
if os.path.join(REPO, ".collections") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, ".collections"))

from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema  # noqa: E402


@pytest.mark.parametrize("example", ["kdd-small", "kdd-typha", "etcd", "tor-as-per-rack"])
def test_render_playbook_writes_valid_calico_resources(example, tmp_path):
    out = tmp_path / "artifacts"
    proc = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "inventory/examples/" + example, "playbooks/render.yml",
         "-e", "calico_manifest_mirror=" + UPSTREAM_DIR, "-e", "calico_artifacts_dir=" + str(out),
         "-e", '{"calico_renderers": ["resources"]}'],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                 PATH=VENV_BIN + os.pathsep + os.environ["PATH"]))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    docs = [d for d in yaml.safe_load_all((out / "calico-resources.yaml").read_text()) if d]
    release = crd_schema.load_release("3.31.7", UPSTREAM_DIR)
    assert {d["kind"] for d in docs} >= {"BGPConfiguration", "IPPool", "CalicoNodeStatus"}
    for doc in docs:
        assert release.validate(doc) == []
    if example == "tor-as-per-rack":
        config = [d for d in docs if d["kind"] == "BGPConfiguration"][0]
        assert config["spec"]["nodeToNodeMeshEnabled"] is False
        peers = [d for d in docs if d["kind"] == "BGPPeer"]
        assert len(peers) == 8  # 4 racks x 2 ToRs
        assert len({p["spec"]["asNumber"] for p in peers}) == 4  # one AS per rack
