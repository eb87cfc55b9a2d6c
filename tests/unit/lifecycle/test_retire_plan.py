"""calico_retire: a retired node stays in the inventory but the plan gives it no place: no node
entry, no ToR neighbour, no reflector, no firewall source; bad names and too few reflectors are
refused before anything changes."""

from __future__ import annotations

from plan_inputs import base, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def test_a_retired_node_has_no_session_and_no_rule():
    before = plan_of(tor_base())
    inv = tor_base(calico_retire=["a2"])
    after = plan_of(inv)
    assert after["retired_nodes"] == ["a2"] and before["retired_nodes"] == []
    assert "a2" in inv.group("k8s_cluster")  # still in the inventory
    assert set(after["nodes"]) == {"a1", "b1", "b2"}
    assert after["racks"]["r1"]["nodes"] == ["a1"]
    assert [n["node"] for n in after["tor_routers"]["tor1"]["neighbors"]] == ["a1"]
    assert "10.1.1.12" not in router_config(after, "tor1") and "10.1.1.12" in router_config(before, "tor1")
    # The other rack's router is planned exactly as before: a push there changes nothing.
    assert after["tor_routers"]["tor2"] == before["tor_routers"]["tor2"]
    sources = {s for rule in after["host_preparation"]["firewall_rules"] for s in rule["sources"]}
    assert "10.1.1.12/32" not in sources


def test_unknown_and_all_nodes_are_refused():
    result = build_plan(tor_base(calico_retire=["a9"]))
    assert not result.ok
    assert any("a9" in str(e) and "calico_retire" in str(e) for e in result.errors)
    result = build_plan(base(nodes=2, calico_retire=["n01", "n02"]))
    assert any("playbooks/uninstall.yml" in str(e) for e in result.errors)


def test_retiring_a_reflector_below_the_minimum_is_refused():
    inv = base(nodes=4, calico_bgp_mode="route_reflectors", calico_production=True)
    inv.groups["calico_route_reflectors"] = ["n01", "n02"]
    for name, cid in (("n01", "244.0.0.1"), ("n02", "244.0.0.1")):
        inv.hosts[name]["calico_route_reflector_cluster_id"] = cid
    # Production may refuse other things here (no BGP password); only the reflector count matters.
    assert not any("route_reflectors mode needs" in str(e) for e in build_plan(inv).errors)
    inv.cluster["calico_retire"] = ["n02"]
    result = build_plan(inv)
    assert any("calico_route_reflectors" in str(e) and "calico_retire" in str(e) for e in result.errors)
