"""The AWX workflow of docs/awx.md, run with ansible-playbook: plan once, hand it on, slice hosts.

AWX gives each slice of a sliced job an inventory with only that slice's hosts. The guide's
answer is to build the plan once from the whole inventory (calico-plan.yml, whose text is taken
from docs/awx.md here) and pass it on with set_stats; later stages then use it instead of
planning from their slice. These tests run that hand-over and show what goes wrong without it.
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


def awx_plan_playbook():
    """The calico-plan.yml of docs/awx.md (the YAML block that follows its mention)."""
    with open(os.path.join(REPO, "docs", "awx.md"), encoding="utf-8") as fh:
        text = fh.read()
    start = text.index("`calico-plan.yml` builds the plan once")
    block = re.search(r"```yaml\n(.*?)```", text[start:], re.S).group(1)
    plays = yaml.safe_load(block)
    assert plays[0]["ansible.builtin.import_playbook"] == "onprem.calico.plan"
    return block


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
def published_plan(workdir):
    """Run the guide's calico-plan.yml on the whole inventory; return what set_stats published."""
    playbook = workdir / "calico-plan.yml"
    playbook.write_text(awx_plan_playbook())
    out = run_playbook(str(playbook), KDD_SMALL, workdir, "-e", "calico_artifacts_dir=%s" % (workdir / "full"),
                       json_output=True)
    # per_host: false data is what AWX passes to the next workflow nodes as extra variables.
    return json.loads(out[out.index("{"):])["global_custom_stats"]["calico_plan"]


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


def test_plan_is_published_whole(published_plan):
    assert published_plan["cluster"]["node_count"] == 12
    assert sorted(published_plan["nodes"])[-1] == "worker09"


def test_slice_uses_the_handed_over_plan(published_plan, slice_inventory, workdir):
    plan_vars = workdir / "calico_plan.json"
    plan_vars.write_text(json.dumps({"calico_plan": published_plan}))
    out = run_playbook("playbooks/render.yml", slice_inventory, workdir, "-e", "@%s" % plan_vars)
    assert re.search(r"TASK \[Build and validate the plan from the inventory\] \**\nskipping: \[localhost\]", out), out
    with open(os.path.join(published_plan["cluster"]["artifacts_dir"], "plan.json"), encoding="utf-8") as fh:
        rendered = json.load(fh)
    assert rendered == published_plan


def test_slice_without_the_plan_gets_a_wrong_one(published_plan, slice_inventory, workdir):
    """Why the guide hands the plan over: a slice's own plan misses nodes and firewall sources."""
    own = workdir / "own"
    run_playbook("playbooks/render.yml", slice_inventory, workdir, "-e", "calico_artifacts_dir=%s" % own)
    with open(own / "plan.json", encoding="utf-8") as fh:
        sliced = json.load(fh)
    assert sliced["cluster"]["node_count"] == 3
    assert set(published_plan["nodes"]) - set(sliced["nodes"]) == {
        "cp2", "cp3", "worker03", "worker04", "worker05", "worker06", "worker07", "worker08", "worker09"}
