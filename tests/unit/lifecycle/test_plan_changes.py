"""The report's "What changed where": plans built from real inventories compared, the baseline the
render keeps (plan.previous.json), and the report.md section that results."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from plan_inputs import tor_base
from test_scale_out import plan_of, with_node, with_rack
from testpaths import REPO

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes
from ansible_collections.onprem.calico.plugins.plugin_utils.report import build_report, render_markdown, render_text


def where(changes):
    return {c.where: c.what for c in changes.changes}


def test_a_new_node_lists_the_node_its_rack_routers_and_the_rack_nothing_else():
    before = plan_of(tor_base())
    after = plan_of(with_node(tor_base(), "a3", "r1", "10.1.1.13"))
    changes = plan_changes.compare(before, after)
    found = where(changes)
    assert found["node a3"] == ["added: rack r1, 10.1.1.13, AS %s, peers tor1" % after["nodes"]["a3"]["asn"]]
    assert found["router tor1"] == ["neighbors: a3 added"]
    assert found["rack r1"] == ["nodes: a3 added"]
    assert found["cluster"] == ["node_count: 4 -> 5"]
    # No other host: the other rack's router and every existing node keep their entries.
    assert plan_changes.changed_hosts(changes) == ["a3", "tor1"]
    assert changes.unchanged == {"node": 4, "router": 1, "rack": 1}


def test_a_new_rack_lists_its_router_and_what_every_node_gets():
    before = plan_of(tor_base())
    after = plan_of(with_rack(tor_base()))
    changes = plan_changes.compare(before, after)
    found = where(changes)
    assert found["router tor3"] == ["added: frr, rack r3, AS 65003, neighbors c1"]
    assert found["rack r3"] == ["added: nodes c1, ToR routers tor3"]
    assert plan_changes.changed_hosts(changes) == ["c1", "tor3"]
    # The new subnet reaches every node's firewall: a cluster-wide section, named with the value.
    firewall = [line for line in found["host_preparation"] if line.startswith("firewall_rules")]
    assert firewall == ["firewall_rules: calico-bgp changed"], found["host_preparation"]
    # r2's and r3's subnets collapse into one: the listing shows what the plan holds.
    assert "node_subnets: 10.1.2.0/23 added, 10.1.2.0/24 removed" in found["cluster"]


def test_a_changed_node_names_the_field_old_and_new():
    before = plan_of(tor_base())
    inv = tor_base()
    inv.hosts["a1"]["calico_interface_mtu"] = 9000
    changes = plan_changes.compare(before, plan_of(inv))
    assert where(changes)["node a1"] == ["interface_mtu: 1500 -> 9000"]


def test_no_baseline_and_no_change_are_said_so():
    plan = plan_of(tor_base())
    none = plan_changes.compare(None, plan, None)
    assert none.changes == [] and none.baseline is None
    assert "nothing to compare with" in "\n".join(plan_changes.render_markdown(none))
    same = plan_changes.compare(plan, json.loads(json.dumps(plan)))
    assert same.changes == [] and "- no change" in plan_changes.render_markdown(same)


def test_baseline_is_plan_json_when_it_differs_else_the_previous_plan(tmp_path):
    before = plan_of(tor_base())
    after = plan_of(with_node(tor_base(), "a3", "r1", "10.1.1.13"))
    assert plan_changes.load_baseline(str(tmp_path), after) == (None, None)  # nothing rendered yet
    (tmp_path / "plan.json").write_text(json.dumps(before))
    # Not rendered for this inventory yet (verify.yml alone): plan.json is the baseline.
    assert plan_changes.load_baseline(str(tmp_path), after) == ("plan.json", plan_changes.portable_plan(before))
    # Rendered: plan.json is this run's plan, the one it replaced is plan.previous.json.
    (tmp_path / "plan.previous.json").write_text(json.dumps(before))
    (tmp_path / "plan.json").write_text(json.dumps(after))
    assert plan_changes.load_baseline(str(tmp_path), after)[0] == "plan.previous.json"
    # Machine paths do not count as a change (the same inventory rendered elsewhere).
    moved = json.loads(json.dumps(after))
    moved["cluster"]["artifacts_dir"] = "/elsewhere"
    (tmp_path / "plan.previous.json").write_text(json.dumps(moved))
    assert plan_changes.load_baseline(str(tmp_path), after) == (None, None)


def test_report_shows_what_changed_where():
    before = plan_of(tor_base())
    after = plan_of(with_node(tor_base(), "a3", "r1", "10.1.1.13"))
    report = build_report(after, plan_changes=plan_changes.compare(before, after))
    text = render_markdown(report)
    section = text.split("## What changed where", 1)[1].split("\n## ", 1)[0]
    assert "`plan.previous.json`" in section
    assert "- **node a3**: added: rack r1, 10.1.1.13" in section
    assert "- **router tor1**: neighbors: a3 added" in section
    assert "tor2" not in section and "a1" not in section
    assert "Unchanged: 4 node(s), 1 router(s), 1 rack(s)." in section
    console = render_text(report)
    assert "plan changes against plan.previous.json:" in console
    assert "  router tor1: neighbors: a3 added" in console


# Through ansible-playbook: the render keeps the replaced plan, the report lists the change.
EXTRA_NODE = """
all:
  children:
    kube_node:
      hosts:
        r2n09:
    rack2:
      hosts:
        r2n09:
"""
REPORT_PLAYBOOK = """
- name: Plan
  ansible.builtin.import_playbook: {repo}/playbooks/plan.yml
- name: Report
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Report without gathered sessions
      onprem.calico.report:
        plan: "{{{{ calico_plan }}}}"
        allow_unverified: true
      register: out
    - name: Hand the result to the test
      ansible.builtin.copy:
        content: "{{{{ out | to_json }}}}"
        dest: "{{{{ result_file }}}}"
        mode: "0644"
"""


def ansible_playbook(artifacts, playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "inventory/examples/tor-as-per-rack",
           playbook, "-e", "calico_artifacts_dir=%s" % artifacts, "-e", json.dumps({"calico_renderers": ["tor"]}), *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_render_keeps_the_replaced_plan_and_the_report_lists_the_added_node(tmp_path):
    artifacts = tmp_path / "artifacts"
    extra = tmp_path / "new-node.yml"
    extra.write_text(EXTRA_NODE)
    ansible_playbook(artifacts, "playbooks/render.yml")
    first = (artifacts / "plan.json").read_text()
    assert not (artifacts / "plan.previous.json").exists()  # nothing replaced yet
    ansible_playbook(artifacts, "playbooks/render.yml", "-i", str(extra))
    assert (artifacts / "plan.previous.json").read_text() == first
    assert "r2n09" in json.loads((artifacts / "plan.json").read_text())["nodes"]
    again = ansible_playbook(artifacts, "playbooks/render.yml", "-i", str(extra))
    assert "changed=0" in again and (artifacts / "plan.previous.json").read_text() == first

    playbook = tmp_path / "report.yml"
    playbook.write_text(REPORT_PLAYBOOK.format(repo=REPO))
    result_file = tmp_path / "result.json"
    ansible_playbook(artifacts, str(playbook), "-i", str(extra), "-e", "result_file=%s" % result_file)
    result = json.loads(result_file.read_text())
    assert result["changed_hosts"] == ["r2n09", "tor2a", "tor2b"]
    # Beside the hosts and the rack: the node count, the Typha reason, the pool forecast.
    assert {c["where"] for c in result["plan_changes"]} == {
        "node r2n09", "router tor2a", "router tor2b", "rack rack2", "cluster", "manifest", "ip_pools"}
    report = (artifacts / "report.md").read_text()
    assert "- **router tor2a**: neighbors: r2n09 added" in report
    assert any(line.startswith("  node r2n09: added: rack rack2, 10.0.2.19") for line in result["summary"])
