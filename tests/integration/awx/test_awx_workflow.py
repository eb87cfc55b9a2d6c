"""Job slicing with an approved set: a slice never plans from its part of the inventory.

AWX gives each slice of a sliced job an inventory with only that slice's hosts. The render job
publishes the artifacts; the workflow hands on only their location and digest. A slice told so
(calico_apply_sliced) takes the approved plan.json, checked against artifacts.json; a slice that
re-plans would get a different plan, and the approval check refuses it.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from testpaths import REPO, UPSTREAM_DIR

BIN = os.path.join(REPO, ".venv", "bin")
KDD_SMALL = os.path.join(REPO, "inventory", "examples", "kdd-small")


def run_playbook(playbook, inventory, tmp_path, *extra, json_output=False):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    if json_output:
        env.update(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_SHOW_CUSTOM_STATS="1")
    cmd = [os.path.join(BIN, "ansible-playbook"), playbook, "-i", inventory,
           "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR, *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("awx")


@pytest.fixture(scope="module")
def published(workdir):
    """The render job on the whole inventory, publishing; returns what set_stats handed on."""
    out = run_playbook("playbooks/render.yml", KDD_SMALL, workdir, "-e", "calico_artifacts_dir=%s" % (workdir / "full"),
                       "-e", "calico_artifacts_publish=%s" % (workdir / "published"), json_output=True)
    handed_on = json.loads(out[out.index("{"):])["global_custom_stats"]
    assert sorted(handed_on) == ["calico_apply_digest", "calico_apply_from"]  # never the plan
    return handed_on


@pytest.fixture(scope="module")
def slice_inventory(workdir):
    """What AWX hands one slice: the same variables, only some of the hosts."""
    inv = workdir / "slice"
    shutil.copytree(os.path.join(KDD_SMALL, "group_vars"), inv / "group_vars")
    hosts = {"all": {"children": {"k8s_cluster": {"children": {
        "kube_control_plane": {"hosts": {"cp1": {"ansible_host": "10.20.0.11"}}},
        "kube_node": {"hosts": {"worker01": {"ansible_host": "10.20.0.21"}, "worker02": {"ansible_host": "10.20.0.22"}}},
    }}}}}
    (inv / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return str(inv)


def handed_on_vars(published, workdir):
    path = workdir / "handed_on.json"
    path.write_text(json.dumps(published))
    return "@%s" % path


def test_a_slice_takes_the_approved_plan(published, slice_inventory, workdir):
    out = run_playbook("playbooks/render.yml", slice_inventory, workdir, "-e", handed_on_vars(published, workdir),
                       "-e", "calico_apply_sliced=true", "-e", "calico_artifacts_dir=%s" % (workdir / "slice-out"))
    assert re.search(r"TASK \[Build and validate the plan from the inventory\] \**\nskipping: \[localhost\]", out), out
    with open(os.path.join(published["calico_apply_from"], "plan.json"), encoding="utf-8") as fh:
        approved = json.load(fh)
    assert approved["cluster"]["node_count"] == 12


def test_a_slice_that_replans_is_refused(published, slice_inventory, workdir):
    """Why the sliced template sets calico_apply_sliced: a slice's own plan misses nine nodes."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "playbooks/hosts.yml", "-i", slice_inventory,
                           "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR, "-e", handed_on_vars(published, workdir),
                           "-e", "calico_artifacts_dir=%s" % (workdir / "own")],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "are not what the current inventory renders" in proc.stdout
    assert "PLAY [Prepare hosts for Calico]" not in proc.stdout
