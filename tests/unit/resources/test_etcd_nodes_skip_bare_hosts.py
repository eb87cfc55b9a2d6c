"""etcd datastore: a Calico Node object is written for every node with something to set (labels,
its own AS, a reflector cluster id). A node outside every rack, in the global AS and no reflector
has nothing to set and is skipped; the nodes after it in the plan still get theirs."""

from __future__ import annotations

from plans import RACK_LABEL, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import resources


def test_a_node_with_nothing_to_set_is_skipped_and_the_later_ones_are_not(ctx):
    plan = make_plan(mode="route_reflectors", route_reflectors=("node03",), datastore="etcd")
    for name in ("node01", "node02"):  # hosts without calico_rack: the plan gives them no labels
        plan["nodes"][name]["rack"] = None
        plan["nodes"][name]["labels"] = {}
    plan["racks"]["r1"]["nodes"] = []
    nodes = {o["metadata"]["name"]: o for o in resources.build(plan, ctx).calico if o["kind"] == "Node"}
    assert sorted(nodes) == ["node03", "node04"]
    assert nodes["node03"]["spec"] == {"bgp": {"routeReflectorClusterID": "244.0.0.1"}}
    assert nodes["node03"]["metadata"]["labels"] == {RACK_LABEL: "r2", "route-reflector": "true"}
    assert nodes["node04"]["spec"] == {}
    assert nodes["node04"]["metadata"]["labels"] == {RACK_LABEL: "r2"}
