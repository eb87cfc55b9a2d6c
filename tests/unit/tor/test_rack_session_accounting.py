"""What each ToR's plan entry counts per rack: the listen limit per family, the IPv6 side of the
sessions, the pool prefixes passed down with their lengths, and the rack/router checks that must
name every offender. Expected values come from docs/plan.md (``listen_limit``: max(16, 2 x sessions
per node x nodes)), docs/tor.md and RFC 4291 (an IPv6 prefix is at most 128 bits long)."""

from __future__ import annotations

import copy

from plan_inputs import errors_of, plan_of, tor_base


def with_rack_nodes(inv, rack, count, ipv6=False):
    """``inv`` with ``count`` more nodes in ``rack`` (addresses .21 on, on the rack's subnets)."""
    number = int(rack[1:])
    for i in range(count):
        name = "%s-x%d" % (rack, i)
        inv.hosts[name] = {"ansible_host": "10.1.%d.%d" % (number, 21 + i), "calico_rack": rack}
        if ipv6:
            inv.hosts[name]["calico_node_ip6"] = "fd00:1:%d::%d" % (number, 21 + i)
        inv.groups["k8s_cluster"].append(name)
        inv.groups["kube_node"].append(name)
    return inv


def dual_stack(**cluster):
    inv = tor_base(**{"calico_pod_cidr_v6": "fd00:10::/48", "calico_encapsulation": "vxlan", **cluster})
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for name, rack in (("r1", 1), ("r2", 2)):
        inv.cluster["calico_racks"][name]["subnets"].append("fd00:1:%d::/64" % rack)
        inv.hosts["tor%d" % rack]["calico_tor_peer_ip6"] = "fd00:1:%d::1" % rack
    for node, ip6 in (("a1", "fd00:1:1::11"), ("a2", "fd00:1:1::12"), ("b1", "fd00:1:2::11"), ("b2", "fd00:1:2::12")):
        inv.hosts[node]["calico_node_ip6"] = ip6
    return inv


def racked(**cluster):
    """The two racks with rack pools of /22 at indexes 0 and 3 of 10.244.0.0/16."""
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    return inv


# --- listen limit: one session per node and family, doubled for headroom, at least 16 ------------


def test_dual_stack_listen_limit_counts_two_sessions_per_node():
    # Rack r1: 2 + 3 nodes, each with an IPv4 and an IPv6 session: 2 x 2 x 5 = 20 > 16.
    inv = with_rack_nodes(dual_stack(calico_tor_neighbor_mode="listen_range"), "r1", 3, ipv6=True)
    plan = plan_of(inv)
    assert plan["tor_routers"]["tor1"]["listen_limit"] == 20
    assert plan["tor_routers"]["tor2"]["listen_limit"] == 16  # 2 x 2 x 2 = 8: the floor


def test_single_stack_listen_limit_counts_one_session_per_node():
    # Rack r1: 2 + 7 nodes with an IPv4 session each: 2 x 1 x 9 = 18.
    inv = with_rack_nodes(tor_base(calico_tor_neighbor_mode="listen_range"), "r1", 7)
    assert plan_of(inv)["tor_routers"]["tor1"]["listen_limit"] == 18


def test_single_stack_neighbours_have_no_ipv6_session_even_with_a_node_ipv6_address():
    # A single-stack cluster peers over IPv4 only; an IPv6 address set on a node opens nothing.
    inv = tor_base()
    inv.hosts["a1"]["calico_node_ip6"] = "fd00:1:1::11"
    neighbours = plan_of(inv)["tor_routers"]["tor1"]["neighbors"]
    assert [(n["node"], n["ip"], n["ip6"]) for n in neighbours] == [("a1", "10.1.1.11", None), ("a2", "10.1.1.12", None)]


# --- pool prefixes passed down: other racks' pools whole, to host length -------------------------


def test_other_racks_ipv6_rack_pool_goes_down_whole_up_to_128():
    inv = dual_stack(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22, calico_rack_pool_prefix_length_v6=64,
                     calico_pod_cidr_v6="fd00:10:244::/56", calico_encapsulation="none")
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    blocks = plan_of(inv)["tor_routers"]["tor1"]["pool_blocks"]
    # r1's own pools as blocks (/26 and /122 up to host routes), r2's pools whole (index 3).
    assert blocks == [
        {"prefix": "10.244.0.0/22", "ge": 26, "le": 32, "family": 4},
        {"prefix": "fd00:10:244::/64", "ge": 122, "le": 128, "family": 6},
        {"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4},
        {"prefix": "fd00:10:244:3::/64", "ge": None, "le": 128, "family": 6},
    ]


def test_explicit_pools_of_a_rack_do_not_hide_the_other_racks_pools():
    # r1 also has two explicit pools of its own; its nodes still need r2's rack pool (whole).
    inv = racked(calico_ip_pools=[
        {"name": "r1-a", "cidr": "10.244.128.0/22", "racks": ["r1"]},
        {"name": "r1-b", "cidr": "10.244.132.0/22", "racks": ["r1"]},
    ])
    blocks = plan_of(inv)["tor_routers"]["tor1"]["pool_blocks"]
    assert {"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4} in blocks
    assert [b["prefix"] for b in blocks if b["ge"] is not None] == ["10.244.128.0/22", "10.244.132.0/22", "10.244.0.0/22"]


def test_accepted_pool_prefixes_follow_the_plans_pool_order():
    # A pool for every rack named after the rack's own pools: the router's prefix lists keep the
    # plan's pool order (stable diffs when pools are added), whichever pools name the rack.
    inv = racked(calico_ip_pools=[
        {"name": "r1-a", "cidr": "10.244.128.0/22", "racks": ["r1"]},
        {"name": "zz-shared", "cidr": "10.244.192.0/20"},
    ])
    plan = plan_of(inv)
    order = [p["cidr"] for p in plan["ip_pools"] if "r1" in p["racks"] or not p["racks"]]
    assert order == ["10.244.128.0/22", "10.244.0.0/22", "10.244.192.0/20"]
    accepted = [a["prefix"] for a in plan["tor_routers"]["tor1"]["accept_prefixes"]]
    assert accepted[:3] == order


# --- rack and router checks name every offender --------------------------------------------------


def test_every_router_outside_the_racks_is_named():
    inv = tor_base()
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = []
    inv.cluster["calico_racks"]["r2"]["tor_routers"] = []
    errors = [e for e in errors_of(inv) if "is not listed under any rack's tor_routers" in e]
    assert errors == ["tor1, tor2: is not listed under any rack's tor_routers. Fix: add it to calico_racks.<rack>.tor_routers."]


def test_ipv6_peer_address_is_checked_when_the_ipv4_one_is_missing():
    inv = tor_base()
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["subnets"].append("fd00:1:1::/64")
    del inv.hosts["tor1"]["calico_tor_peer_ip"]
    inv.hosts["tor1"]["calico_tor_peer_ip6"] = "fd00:9::1"
    errors = errors_of(inv)
    assert any(e.startswith("tor1: calico_tor_peer_ip is not set.") for e in errors), errors
    assert "tor1: calico_tor_peer_ip6 fd00:9::1 is outside rack r1's subnets (10.1.1.0/24, fd00:1:1::/64). " \
           "Fix: use the router's address on the rack subnet." in errors, errors


def test_a_node_outside_its_rack_is_shown_every_subnet_of_its_family():
    inv = tor_base()
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["subnets"] += ["10.1.11.0/24", "fd00:1:1::/64"]
    inv.hosts["a2"]["ansible_host"] = "10.1.2.99"
    assert "a2: address 10.1.2.99 is outside the subnets of rack r1 (10.1.1.0/24, 10.1.11.0/24). " \
           "Fix: fix calico_node_ip or the rack's subnets." in errors_of(inv)
