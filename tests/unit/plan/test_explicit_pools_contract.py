"""calico_ip_pools as the plan reads them: per-family defaults, modes, rack selectors, order,
and each refusal whole (subject, message, fix), as the operator reads it (issue 18: the
mutation run found the explicit-pool path of _pools, the overlap texts and the routing check
asserted by fragments only).

Calico facts used (IPPool reference): ipipMode and vxlanMode are Always, CrossSubnet or
Never; IP-in-IP carries IPv4 only; natOutgoing and blockSize are per pool (defaults 26 for
IPv4, 122 for IPv6); nodeSelector all() selects every node; a selector "label in {'a', 'b'}"
selects nodes whose label has one of those values.
"""

from __future__ import annotations

import pytest
from plan_inputs import base, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def result_of(inv):
    return build_plan(inv)


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def triples(items):
    return [(i.subject, i.message, i.fix) for i in items]


def pools(plan):
    return {p["name"]: p for p in plan["ip_pools"]}


def dual(**cluster):
    return base(calico_pod_cidr="10.244.0.0/16", calico_pod_cidr_v6="fd00:10:244::/56", calico_encapsulation="vxlan", **cluster)


def test_each_family_takes_its_own_block_size_and_nat_default():
    plan = plan_of(dual(calico_block_size=27, calico_block_size_v6=120, calico_nat_outgoing=True, calico_nat_outgoing_v6=False,
                        calico_ip_pools=[{"name": "four", "cidr": "10.244.0.0/17"}, {"name": "six", "cidr": "fd00:10:244::/64"}]))
    four, six = pools(plan)["four"], pools(plan)["six"]
    assert (four["family"], four["block_size"], four["nat_outgoing"]) == (4, 27, True)
    assert (six["family"], six["block_size"], six["nat_outgoing"]) == (6, 120, False)
    # Both follow calico_encapsulation unless they say otherwise.
    assert (four["vxlan_mode"], six["vxlan_mode"], four["ipip_mode"]) == ("Always", "Always", "Never")
    assert four["origin"] == "calico_ip_pools" and four["default"] is False and four["forecast"]["pools"] == ["four"]


def test_a_pool_s_own_values_win_over_the_cluster_defaults():
    plan = plan_of(base(calico_pod_cidr="10.244.0.0/16", calico_encapsulation="vxlan", calico_ip_pools=[
        {"name": "own", "cidr": "10.244.0.0/17", "block_size": 28, "nat_outgoing": False, "encapsulation": "ipip_cross_subnet",
         "namespace_selector": "team == 'a'"},
    ]))
    own = pools(plan)["own"]
    assert (own["block_size"], own["nat_outgoing"], own["ipip_mode"], own["vxlan_mode"]) == (28, False, "CrossSubnet", "Never")
    assert own["namespace_selector"] == "team == 'a'" and own["disabled"] is False


def test_explicit_modes_win_over_the_encapsulation_shorthand():
    plan = plan_of(base(calico_pod_cidr="10.244.0.0/16", calico_encapsulation="vxlan", calico_ip_pools=[
        {"name": "m", "cidr": "10.244.0.0/17", "vxlan_mode": "CrossSubnet"},
        {"name": "n", "cidr": "10.244.128.0/17", "encapsulation": "none", "ipip_mode": "Always"},
    ]))
    assert (pools(plan)["m"]["ipip_mode"], pools(plan)["m"]["vxlan_mode"]) == ("Never", "CrossSubnet")
    assert (pools(plan)["n"]["ipip_mode"], pools(plan)["n"]["vxlan_mode"]) == ("Always", "Never")


def test_a_racked_pool_selects_its_racks_by_the_rack_label():
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_label="example.com/rack", calico_ip_pools=[
        {"name": "both", "cidr": "10.244.0.0/17", "racks": ["r2", "r1"]},
    ])
    both = pools(plan_of(inv))["both"]
    assert both["racks"] == ["r1", "r2"]
    assert both["node_selector"] == "example.com/rack in {'r1', 'r2'}"


def test_pools_are_listed_default_first_then_by_family_and_name():
    plan = plan_of(dual(calico_ip_pools=[
        {"name": "zz", "cidr": "10.244.0.0/17"}, {"name": "v6", "cidr": "fd00:10:244::/64"}, {"name": "aa", "cidr": "10.244.128.0/17"},
    ]))
    assert [p["name"] for p in plan["ip_pools"]] == ["aa", "zz", "v6"]


def explicit_errors(*specs, **cluster):
    result = result_of(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=list(specs), **cluster))
    assert not result.ok
    return triples(result.errors)


def test_a_pool_that_is_not_a_mapping_is_refused_and_the_rest_still_read():
    errors = explicit_errors("10.244.0.0/24", {"name": "ok", "cidr": "10.244.1.0/24", "colour": "blue", "size": 3})
    assert ("calico_ip_pools[0]", "must be a mapping (name, cidr, ...).", "see docs/inventory.md#calico_ip_pools.") in errors
    assert ("calico_ip_pools[1]", "has unknown keys: colour, size.", "see docs/inventory.md#calico_ip_pools for the keys.") in errors


def test_every_documented_pool_key_is_accepted():
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[{
        "name": "all-keys", "cidr": "10.244.0.0/17", "block_size": 26, "encapsulation": "none", "ipip_mode": "Never",
        "vxlan_mode": "Never", "nat_outgoing": True, "racks": ["r1"], "disabled": False, "namespace_selector": "all()"}])
    assert "all-keys" in pools(plan_of(inv))
    selector = base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[{"name": "sel", "cidr": "10.244.0.0/17", "node_selector": "all()"}])
    assert pools(plan_of(selector))["sel"]["node_selector"] == "all()"


def test_pool_names_must_be_dns_names_and_unique():
    errors = explicit_errors({"name": "Bad_Name", "cidr": "10.244.0.0/24"}, {"name": "dup", "cidr": "10.244.1.0/24"},
                             {"name": "dup", "cidr": "10.244.2.0/24"}, {"cidr": "10.244.3.0/24"}, {"name": "rack1\n", "cidr": "10.244.4.0/24"})
    assert ("calico_ip_pools[0]", "name 'Bad_Name' is not a DNS-1123 name.", "give the pool a lowercase name, e.g. rack1-ipv4.") in errors
    assert ("calico_ip_pools[2]", "pool name dup is used twice.", "give every pool its own name.") in errors
    assert ("calico_ip_pools[3]", "name '' is not a DNS-1123 name.", "give the pool a lowercase name, e.g. rack1-ipv4.") in errors
    assert ("calico_ip_pools[4]", "name 'rack1\\n' is not a DNS-1123 name.", "give the pool a lowercase name, e.g. rack1-ipv4.") in errors


def test_a_pool_block_size_must_be_an_integer_and_later_pools_are_still_read():
    errors = explicit_errors({"name": "b", "cidr": "10.244.0.0/24", "block_size": "big"}, {"name": "c", "cidr": "10.244.1.0/24", "colour": 1})
    assert ("calico_ip_pools[b].block_size", "must be an integer.", "e.g. 26 for IPv4, 122 for IPv6.") in errors
    assert ("calico_ip_pools[1]", "has unknown keys: colour.", "see docs/inventory.md#calico_ip_pools for the keys.") in errors


def test_a_bad_pool_cidr_is_named_by_pool_and_later_pools_are_still_read():
    errors = explicit_errors({"name": "x", "cidr": "10.244.0.1/24"}, {"name": "y", "cidr": "10.244.1.0/24", "colour": 1})
    assert ("calico_ip_pools[x].cidr", "10.244.0.1/24 has host bits set (the network is 10.244.0.0/24).",
            "use the network address: 10.244.0.0/24.") in errors
    assert ("calico_ip_pools[1]", "has unknown keys: colour.", "see docs/inventory.md#calico_ip_pools for the keys.") in errors


def test_an_unknown_encapsulation_is_refused_once():
    errors = explicit_errors({"name": "e", "cidr": "10.244.0.0/20", "encapsulation": "gre"})
    assert errors == [("calico_ip_pools[e].encapsulation",
                       "'gre' is not one of ipip, ipip_cross_subnet, vxlan, vxlan_cross_subnet, none.", "pick one of them.")]


@pytest.mark.parametrize("key", ["ipip_mode", "vxlan_mode"])
def test_a_mode_must_be_one_calico_knows(key):
    errors = explicit_errors({"name": "m", "cidr": "10.244.0.0/20", key: "Sometimes"})
    assert errors == [("calico_ip_pools[m].%s" % key, "'Sometimes' is not Always, CrossSubnet or Never.", "use one of those.")]


def test_racks_and_node_selector_exclude_each_other_and_racks_must_exist():
    result = result_of(tor_base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "r", "cidr": "10.244.0.0/24", "racks": ["r1", "nowhere"], "node_selector": "all()"}]))
    errors = triples(result.errors)
    assert ("calico_ip_pools[r].racks", "rack 'nowhere' is not defined in calico_racks.", "use a rack name from calico_racks.") in errors
    assert ("calico_ip_pools[r]", "sets both racks and node_selector.",
            "use racks (the selector is derived) or node_selector, not both.") in errors


def test_without_bgp_a_disabled_non_vxlan_pool_is_allowed():
    plan = plan_of(base(calico_bgp_mode="none", calico_encapsulation="vxlan", calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "ipip", "disabled": True},
        {"name": "new", "cidr": "10.244.128.0/17"},
    ]))
    assert pools(plan)["old"]["disabled"] is True
    errors = explicit_errors({"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "none"},
                             calico_bgp_mode="none", calico_encapsulation="vxlan")
    assert errors == [("calico_bgp_mode",
                       "is 'none' but not every pool uses VXLAN: without BGP, IPIP and unencapsulated routes are never exchanged.",
                       "set calico_encapsulation to vxlan (or vxlan_cross_subnet), or choose a BGP mode.")]


# --- overlaps -------------------------------------------------------------------------------


def test_pool_overlap_texts_name_both_pools_and_the_cause():
    errors = explicit_errors({"name": "a", "cidr": "10.244.0.0/18"}, {"name": "b", "cidr": "10.244.32.0/19"},
                             {"name": "c", "cidr": "10.244.48.0/20"})
    overlaps = [e for e in errors if "overlaps pool" in e[1]]
    assert overlaps == [
        ("calico_ip_pools[a]", "10.244.0.0/18 overlaps pool b (10.244.32.0/19).", "IP pools must not overlap."),
        ("calico_ip_pools[a]", "10.244.0.0/18 overlaps pool c (10.244.48.0/20).", "IP pools must not overlap."),
        ("calico_ip_pools[b]", "10.244.32.0/19 overlaps pool c (10.244.48.0/20).", "IP pools must not overlap."),
    ]


def test_pools_of_different_families_or_apart_do_not_overlap():
    plan = plan_of(dual(calico_ip_pools=[
        {"name": "a", "cidr": "10.244.0.0/24"}, {"name": "b", "cidr": "10.244.1.0/24"}, {"name": "c", "cidr": "10.244.3.0/24"},
        {"name": "six", "cidr": "fd00:10:244::/64"},
    ]))
    assert sorted(pools(plan)) == ["a", "b", "c", "six"]


def test_an_explicit_pool_on_the_services_is_refused():
    errors = explicit_errors({"name": "svc", "cidr": "10.96.0.0/24"}, calico_pod_cidr_v6=None)
    assert ("calico_ip_pools[svc]", "10.96.0.0/24 overlaps the service CIDR 10.96.0.0/12.",
            "pod pools and services must not share addresses.") in errors


def test_a_pool_holding_node_addresses_names_the_hosts():
    inv = base(calico_pod_cidr="10.10.0.0/16")
    inv.cluster.pop("calico_node_subnets")
    result = result_of(inv)
    (error,) = [e for e in result.errors if e.subject == "calico_pod_cidr" and "contains" in e.message]
    assert error.message == "10.10.0.0/16 contains node or router addresses. It holds the addresses of 4 host(s): n01, n02, n03, n04."
    assert error.fix == "move the pool away from node and router addresses."
    assert tuple(error.hosts) == ("n01", "n02", "n03", "n04")


def test_a_pool_over_a_node_subnet_names_subnet_and_hosts_once():
    result = result_of(tor_base(calico_pod_cidr="10.1.0.0/16"))
    (error,) = [e for e in result.errors if "overlaps node subnet" in e.message]
    assert error.subject == "calico_pod_cidr"
    # Nodes by name, then each ToR by the variable that gave its address.
    assert error.message == ("10.1.0.0/16 overlaps node subnet 10.1.1.0/24, 10.1.2.0/24. It holds the addresses of 6 host(s): "
                             "a1, a2, b1, b2, tor1 (calico_tor_peer_ip), tor2 (calico_tor_peer_ip).")
    assert error.fix == "pods and nodes need separate ranges."
    assert sorted(error.hosts) == ["a1", "a2", "b1", "b2", "tor1", "tor2"]


def test_an_unknown_cluster_encapsulation_is_one_error_and_the_pools_are_still_checked():
    result = result_of(base(calico_encapsulation="gre", calico_block_size=19))
    assert [e.subject for e in result.errors] == ["calico_encapsulation", "calico_block_size"]
    assert result.errors[1].message == "block size 19 is outside 20..32 for IPv4."


# --- encapsulation against the routing between the nodes ----------------------------------


def test_ip_in_ip_always_towards_tors_is_refused_whole_and_only_for_active_pools():
    # calico-node's BIRD sends IPIP Always traffic tunnelled to the ToR, which does not decapsulate it.
    result = result_of(tor_base(calico_encapsulation="ipip"))
    (error,) = [e for e in triples(result.errors) if e[0] == "calico_encapsulation"]
    assert error == ("calico_encapsulation",
                     "IP-in-IP Always with calico_bgp_mode: tor: nodes send traffic for other racks' pods IPIP-encapsulated to the ToR, "
                     "which does not decapsulate it, so cross-rack pod traffic is lost.",
                     "set calico_encapsulation: none; the ToRs learn every pod block over BGP and route it natively.")
    # An explicit pool is named, with its own key to change.
    own = result_of(tor_base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[{"name": "p", "cidr": "10.244.0.0/17", "encapsulation": "ipip"}]))
    (error,) = [e for e in triples(own.errors) if e[0].endswith(".encapsulation")]
    assert error[0] == "calico_ip_pools[p].encapsulation"
    assert error[2] == "set calico_ip_pools[p].encapsulation: none; the ToRs learn every pod block over BGP and route it natively."
    # CrossSubnet tunnels only between subnets the ToRs join anyway; a disabled pool sends nothing new.
    assert result_of(tor_base(calico_encapsulation="ipip_cross_subnet")).ok
    racked = tor_base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "ipip", "disabled": True},
        {"name": "new", "cidr": "10.244.128.0/17"}])
    assert result_of(racked).ok


def test_an_unencapsulated_pool_across_subnets_is_fine_once_disabled_or_in_one_subnet():
    inv = base(calico_node_subnets=["10.10.0.0/24", "10.10.1.0/24"], calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "none", "disabled": True},
        {"name": "new", "cidr": "10.244.128.0/17", "encapsulation": "vxlan_cross_subnet"}])
    inv.hosts["n04"]["ansible_host"] = "10.10.1.13"
    assert result_of(inv).ok
    # All nodes in one of the two declared subnets: no router in between.
    same = base(calico_node_subnets=["10.10.0.0/24", "10.10.1.0/24"], calico_encapsulation="none")
    assert result_of(same).ok
    # Without BGP between nodes and routers (mode none is VXLAN only) nothing is checked here.
    apart = base(calico_node_subnets=["10.10.0.0/24", "10.10.1.0/24"], calico_encapsulation="none", calico_bgp_mode="none")
    apart.hosts["n04"]["ansible_host"] = "10.10.1.13"
    assert [e.subject for e in result_of(apart).errors] == ["calico_bgp_mode"]


def test_an_invalid_service_cidr_is_one_error_and_the_pools_are_still_checked_against_the_rest():
    result = result_of(base(calico_service_cidr="10.96.0.1/12", calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "a", "cidr": "10.244.0.0/17"}, {"name": "b", "cidr": "10.244.0.0/18"}]))
    assert [(e.subject, e.message) for e in result.errors] == [
        ("calico_service_cidr", "10.96.0.1/12 has host bits set (the network is 10.96.0.0/12)."),
        ("calico_ip_pools[a]", "10.244.0.0/17 overlaps pool b (10.244.0.0/18)."),
    ]


def test_a_pool_names_only_the_hosts_inside_it_and_none_when_it_holds_none():
    # 10.10.0.8/30 spans .8-.11: n01 (.10) and n02 (.11), not n03 (.12) or n04 (.13).
    inv = base(calico_pod_cidr="10.10.0.0/16", calico_ip_pools=[{"name": "few", "cidr": "10.10.0.8/30", "block_size": 30}])
    inv.cluster.pop("calico_node_subnets")
    (error,) = [e for e in result_of(inv).errors if "addresses" in e.message and "can need" not in e.message]
    assert (error.subject, error.message, tuple(error.hosts)) == (
        "calico_ip_pools[few]", "10.10.0.8/30 contains node or router addresses. It holds the addresses of 2 host(s): n01, n02.",
        ("n01", "n02"))
    # Over the node subnet but clear of every node address: the subnet alone is the cause.
    (error,) = result_of(base(calico_pod_cidr="10.10.0.0/16", calico_ip_pools=[{"name": "none", "cidr": "10.10.128.0/17"}])).errors
    assert (error.subject, error.message, tuple(error.hosts)) == ("calico_ip_pools[none]", "10.10.128.0/17 overlaps node subnet 10.10.0.0/16.", ())
