"""The "What changed where" listing line by line: what a removed, added or edited host, rack,
list or section reads like in report.md and on the console, the baseline when plan.json is
unreadable, and values cut to a readable length."""

from __future__ import annotations

import copy
import functools
import json

from plan_inputs import tor_base
from test_scale_out import plan_of, with_rack

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes
from ansible_collections.onprem.calico.plugins.plugin_utils.plan_changes import Change, PlanChanges, compare, describe


# Built once per process (mutmut reruns these tests for every mutant); tests get copies.
@functools.lru_cache(maxsize=None)
def _plans():
    return plan_of(tor_base()), plan_of(with_rack(tor_base()))


def two_racks():
    return copy.deepcopy(_plans()[0])


def three_racks():
    return copy.deepcopy(_plans()[1])


def where(changes):
    return {c.where: c.what for c in changes.changes}


def test_a_removed_rack_lists_its_router_its_node_and_itself_as_removed():
    changes = compare(three_racks(), two_racks())
    found = where(changes)
    assert found["node c1"] == ["removed"] and found["router tor3"] == ["removed"] and found["rack r3"] == ["removed"]
    assert plan_changes.changed_hosts(changes) == ["c1", "tor3"]
    assert changes.unchanged == {"node": 4, "router": 2, "rack": 2}


def test_the_markdown_section_reads_in_full():
    changes = PlanChanges(baseline="plan.previous.json", changes=[
        Change("node c1", ["removed"]),
        Change("cluster", ["node_count: 5 -> 4", "node_subnets: 10.1.3.0/24 removed"])], unchanged={"node": 4, "rack": 2})
    assert plan_changes.render_markdown(changes) == [
        "## What changed where",
        "",
        "The plan of this run against the one rendered before it (`plan.previous.json`), per node, router and rack, "
        "then the cluster-wide sections. Host preparation and the ToR pushes change only what is listed; plan.json has the values.",
        "",
        "- **node c1**: removed",
        "- **cluster**: node_count: 5 -> 4; node_subnets: 10.1.3.0/24 removed",
        "",
        "Unchanged: 4 node(s), 2 rack(s).",
        "",
    ]
    assert plan_changes.render_text(changes) == [
        "plan changes against plan.previous.json:",
        "  node c1: removed",
        "  cluster: node_count: 5 -> 4; node_subnets: 10.1.3.0/24 removed",
        "  Unchanged: 4 node(s), 2 rack(s).",
    ]


def test_nothing_to_compare_and_nothing_changed_read_so():
    first = compare(None, two_racks())
    assert (first.baseline, first.changes, first.unchanged) == (None, [], {})
    assert plan_changes.render_markdown(first) == [
        "## What changed where",
        "",
        "No earlier, different plan was rendered into this directory: nothing to compare with "
        "(a first install, or the plan has not changed since).",
        "",
    ]
    assert plan_changes.render_text(first) == ["plan: no earlier, different plan in the artifacts directory to compare with"]
    same = PlanChanges(baseline="plan.json", changes=[], unchanged={})
    assert plan_changes.render_markdown(same)[-4:] == ["- no change", "", "Unchanged: nothing.", ""]
    assert plan_changes.render_text(same) == ["plan changes against plan.json: none", "  Unchanged: nothing."]


def test_added_hosts_and_racks_without_peers_say_none():
    before = two_racks()
    after = copy.deepcopy(before)
    after["nodes"]["m1"] = {"name": "m1", "rack": None, "ip": "10.1.9.11", "asn": 64512, "peers": []}
    after["tor_routers"]["tor9"] = {"name": "tor9", "platform": "eos", "rack": None, "asn": 65009, "neighbors": []}
    after["racks"]["r9"] = {"name": "r9", "asn": 65009, "nodes": [], "tor_routers": []}
    after["racks"]["r8"] = {"name": "r8", "asn": 65008, "nodes": ["m2", "m3"], "tor_routers": ["tor8a", "tor8b"]}
    found = where(compare(before, after))
    assert found["node m1"] == ["added: rack -, 10.1.9.11, AS 64512, peers none (full mesh)"]
    assert found["router tor9"] == ["added: eos, rack -, AS 65009, neighbors none"]
    assert found["rack r9"] == ["added: nodes none, ToR routers none"]
    assert found["rack r8"] == ["added: nodes m2, m3, ToR routers tor8a, tor8b"]


def test_an_added_node_lists_all_its_peers():
    before = two_racks()
    after = copy.deepcopy(before)
    node = copy.deepcopy(after["nodes"]["a1"])
    node.update(name="a9", ip="10.1.1.19", peers=[dict(node["peers"][0]), dict(node["peers"][0], name="tor1b")])
    after["nodes"]["a9"] = node
    router = copy.deepcopy(after["tor_routers"]["tor1"])
    router.update(name="tor1b", neighbors=router["neighbors"] + [dict(router["neighbors"][0], node="a9")])
    after["tor_routers"]["tor1b"] = router
    found = where(compare(before, after))
    assert found["node a9"] == ["added: rack r1, 10.1.1.19, AS 65001, peers tor1, tor1b"]
    assert found["router tor1b"] == ["added: frr, rack r1, AS 65001, neighbors a1, a2, a9"]


def test_a_node_field_added_removed_or_changed_is_named_by_its_path():
    before = two_racks()
    after = copy.deepcopy(before)
    after["nodes"]["a1"]["labels"]["topology.kubernetes.io/zone"] = "east"
    del after["nodes"]["a1"]["labels"]["onprem.calico/rack"]
    after["nodes"]["a2"]["roles"] = ["kube_control_plane", "kube_node"]
    found = where(compare(before, after))
    assert found["node a1"] == ["labels.onprem.calico/rack removed", "labels.topology.kubernetes.io/zone: east added"]
    # A list of names: the names added.
    assert found["node a2"] == ["roles: kube_control_plane added"]


def test_list_entries_are_told_apart_by_their_name():
    neighbors = two_racks()["tor_routers"]["tor1"]["neighbors"]
    a1, a2 = neighbors
    assert describe("neighbors", [], [a1]) == ["neighbors: a1 added"]
    assert describe("neighbors", [a1, a2], []) == ["neighbors: a1, a2 removed"]
    assert describe("neighbors", [a1, a2], [a1]) == ["neighbors: a2 removed"]
    moved = dict(a2, ip="10.1.1.22")
    assert describe("neighbors", [a1, a2], [moved, dict(a1, node="a3")]) == ["neighbors: a3 added, a1 removed, a2 changed"]
    assert describe("neighbors", [a1, a2], [a2, a1]) == ["neighbors: order changed"]


def test_lists_whose_entries_cannot_be_told_apart_are_said_changed():
    # Two entries under one prefix: no key tells them apart, so no entry is named.
    old = [{"prefix": "10.0.0.0/8", "community": "65000:1"}, {"prefix": "10.0.0.0/8", "community": "65000:2"}]
    new = [{"prefix": "10.0.0.0/8", "community": "65000:1"}, {"prefix": "10.0.0.0/8", "community": "65000:3"}]
    assert describe("communities", old, new) == ["communities changed"]
    # Entries without a common key, before or after.
    assert describe("extra", [{"name": "a"}], [{"name": "a"}, {"kind": "b"}]) == ["extra changed"]
    assert describe("extra", [{"kind": "b"}], [{"name": "a"}]) == ["extra changed"]


def test_a_value_changing_type_is_shown_old_and_new():
    forecast = {"nodes": 4, "needed": 512}
    assert describe("forecast", forecast, None) == ['forecast: {"needed": 512, "nodes": 4} -> null']
    assert describe("forecast", None, forecast) == ['forecast: null -> {"needed": 512, "nodes": 4}']
    assert describe("listen_ranges", ["10.1.1.0/24"], None) == ['listen_ranges: ["10.1.1.0/24"] -> null']


def test_values_are_cut_to_sixty_characters_with_sorted_keys():
    assert describe("", {}, {"labels": {"zone": "a", "app": "x"}}) == ['labels: {"app": "x", "zone": "a"} added']
    sixty = "x" * 60
    assert describe("", {"v": 1}, {"v": sixty}) == ["v: 1 -> " + sixty]
    cut = describe("", {"v": 1}, {"v": sixty + "y"})[0].split(" -> ")[1]
    assert cut == "x" * 57 + "..." and len(cut) == 60


def test_cluster_wide_sections_are_named_also_when_they_are_not_objects():
    before = two_racks()
    after = copy.deepcopy(before)
    after["warnings"] = before["warnings"] + ["a new warning"]
    after["schema_version"] = before["schema_version"] + 1
    del after["retired_nodes"]  # a section only one of the plans has
    after["new_section"] = {"enabled": True}
    del after["host_preparation"]
    found = where(compare(before, after))
    assert found["warnings"] == ["warnings: a new warning added"]
    assert found["schema_version"] == ["schema_version: %d -> %d" % (before["schema_version"], after["schema_version"])]
    assert found["retired_nodes"] == ["retired_nodes: [] -> null"]
    assert found["new_section"] == ['new_section: null -> {"enabled": true}']
    assert found["host_preparation"][0].startswith("host_preparation: {") and found["host_preparation"][0].endswith("... -> null")


def test_an_unreadable_plan_json_is_passed_over_for_the_previous_plan(tmp_path):
    before, after = two_racks(), three_racks()
    (tmp_path / "plan.json").write_text('{"cluster": ')  # cut short, e.g. a full disk
    (tmp_path / "plan.previous.json").write_text(json.dumps(before))
    assert plan_changes.load_baseline(str(tmp_path), after) == ("plan.previous.json", plan_changes.portable_plan(before))
