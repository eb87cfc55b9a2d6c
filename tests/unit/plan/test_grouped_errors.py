"""One error per root cause, naming the affected hosts (the first 10 and a count)."""

import os
import subprocess
import sys

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import PreflightIssue, group_by_cause, subject_list, summary
from plan_inputs import base, tor_base
from testpaths import REPO


def test_pod_cidr_over_the_node_range_is_one_error():
    errors = build_plan(base(nodes=400, calico_pod_cidr="10.10.0.0/16")).errors
    assert [str(e) for e in errors] == [
        "calico_pod_cidr: 10.10.0.0/16 overlaps node subnet 10.10.0.0/16. It holds the addresses of 400 host(s): "
        "n01, n02, n03, n04, n05, n06, n07, n08, n09, n10 and 390 more (400 in all). Fix: pods and nodes need separate ranges."
    ]


def test_rack_map_written_as_a_list_is_one_error():
    inv = tor_base()
    inv.cluster["calico_racks"] = [dict(name=k, **v) for k, v in inv.cluster["calico_racks"].items()]
    (error,) = build_plan(inv).errors
    assert error.subject == "calico_racks" and error.message.startswith("must be a mapping")


def test_pod_service_overlap_is_reported_once():
    (error,) = build_plan(base(calico_pod_cidr="10.96.0.0/16")).errors
    assert str(error) == "calico_pod_cidr: 10.96.0.0/16 overlaps calico_service_cidr 10.96.0.0/12. Fix: pick non-overlapping pod and service ranges."


def test_nodes_missing_their_rack_are_one_error():
    inv = tor_base()
    for node in ("a1", "a2", "b1"):
        del inv.hosts[node]["calico_rack"]
    (error,) = build_plan(inv).errors
    assert error.subjects == ("a1", "a2", "b1")
    assert str(error).startswith("a1, a2, b1: has no calico_rack, but calico_bgp_mode is tor")


def test_grouping_keeps_distinct_causes_apart_and_counts():
    issues = [PreflightIssue("h%02d" % i, "same", "fix") for i in range(12)] + [PreflightIssue("calico_asn", "other", "fix2")]
    grouped = group_by_cause(issues)
    assert len(grouped) == 2
    assert str(grouped[0]) == "h00, h01, h02, h03, h04, h05, h06, h07, h08, h09 and 2 more (12 in all): same Fix: fix"
    assert str(grouped[1]) == "calico_asn: other Fix: fix2"
    assert summary(grouped, {"h%02d" % i for i in range(20)}) == "2 cause(s) found, affecting 12 host(s); nothing was changed."
    assert subject_list(["a"]) == "a"


def test_the_play_prints_each_cause_once_and_a_closing_line(tmp_path):
    """ansible-playbook on a 30-node inventory whose pod CIDR covers the nodes: one line, printed once."""
    nodes = {"n%02d" % i: {"ansible_host": "10.10.0.%d" % (10 + i)} for i in range(30)}
    inventory = {
        "all": {
            "vars": {"calico_pod_cidr": "10.10.0.0/16", "calico_node_subnets": ["10.10.0.0/24"]},
            "children": {"k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n00": nodes["n00"]}},
                                                      "kube_node": {"hosts": {k: v for k, v in nodes.items() if k != "n00"}}}}},
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(path), "playbooks/plan.yml"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert out.count("overlaps node subnet 10.10.0.0/24") == 1, out
    assert "n00, n01, n02, n03, n04, n05, n06, n07, n08, n09 and 20 more (30 in all)" in out
    assert "1 cause(s) found, affecting 30 host(s); nothing was changed." in out
