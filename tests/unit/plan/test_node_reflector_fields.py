"""A node that is no route reflector carries no cluster id in the plan (docs/plan.md: the id is
only for reflectors); a reflector carries the one it was given, as text."""

from plan_inputs import base, plan_of


def test_only_reflectors_carry_a_cluster_id():
    inv = base(calico_bgp_mode="route_reflectors")
    inv.groups["calico_route_reflectors"] = ["n01", "n02"]
    for name in ("n01", "n02"):
        inv.hosts[name]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    nodes = plan_of(inv)["nodes"]
    assert {name: nodes[name]["route_reflector_cluster_id"] for name in ("n01", "n02", "n03")} == {
        "n01": "244.0.0.1", "n02": "244.0.0.1", "n03": None}
