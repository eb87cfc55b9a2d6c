"""Scale out: a node or a whole rack added to the inventory changes the plan only where it must,
so the ordinary stages touch existing routers and nodes only there, and review.md (against the
previous render) lists what changed where."""

from __future__ import annotations

import json
import os

from plan_inputs import tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils import review
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, render_all
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def with_node(inv, name, rack, ip):
    inv.groups["k8s_cluster"].append(name)
    inv.groups["kube_node"].append(name)
    inv.hosts[name] = {"ansible_host": ip, "calico_rack": rack}
    return inv


def with_rack(inv):
    inv.cluster["calico_racks"]["r3"] = {"asn": 65003, "subnets": ["10.1.3.0/24"], "tor_routers": ["tor3"]}
    inv.groups["tor_routers"].append("tor3")
    inv.hosts["tor3"] = {"calico_tor_platform": "frr", "calico_tor_asn": 65003, "calico_tor_router_id": "10.255.0.3",
                         "calico_tor_peer_ip": "10.1.3.1"}
    return with_node(inv, "c1", "r3", "10.1.3.11")


def write(directory, plan):
    os.makedirs(directory)
    artifacts = render_all(plan, RenderContext(), only=("tor",))
    for artifact in artifacts:
        path = os.path.join(directory, artifact.path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(artifact.content)
    with open(os.path.join(directory, "plan.json"), "w") as handle:
        json.dump(plan, handle)
    return [a.path for a in artifacts]


def test_a_new_node_changes_its_rack_router_and_nothing_else():
    before = plan_of(tor_base())
    after = plan_of(with_node(tor_base(), "a3", "r1", "10.1.1.13"))
    assert [n["node"] for n in after["tor_routers"]["tor1"]["neighbors"]] == ["a1", "a2", "a3"]
    assert after["tor_routers"]["tor2"] == before["tor_routers"]["tor2"]
    for name in before["nodes"]:
        assert after["nodes"][name] == before["nodes"][name], name
    assert after["host_preparation"] == before["host_preparation"]  # the node is inside a known subnet


def test_a_new_rack_adds_its_router_and_the_review_says_where(tmp_path):
    before = plan_of(tor_base())
    after = plan_of(with_rack(tor_base()))
    assert after["tor_routers"]["tor1"] == before["tor_routers"]["tor1"]
    assert after["tor_routers"]["tor2"] == before["tor_routers"]["tor2"]
    assert [n["node"] for n in after["tor_routers"]["tor3"]["neighbors"]] == ["c1"]
    for name in before["nodes"]:
        assert after["nodes"][name] == before["nodes"][name], name
    write(str(tmp_path / "old"), before)
    paths = write(str(tmp_path / "new"), after)
    text = review.summary(str(tmp_path / "old"), str(tmp_path / "new"), paths)
    assert "- nodes added (1): c1" in text
    tor_section = text.split("## tor", 1)[1]
    assert "- tor3: " in tor_section and "- tor1:" not in tor_section and "- tor2:" not in tor_section
