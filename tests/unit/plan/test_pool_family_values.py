"""The pools the plan makes itself (default, previous and rack pools) take each family's own
settings, and the forecast share is recorded as the report prints it (issue 18: mutants that gave
the IPv6 default pool the IPv4 NAT setting, made the previous IPv6 pool of another family, dropped
the second family's rack-name error or kept two decimals of the share survived every test).

Calico facts used (calico-node configuration reference): CALICO_IPV4POOL_NAT_OUTGOING defaults to
true and CALICO_IPV6POOL_NAT_OUTGOING to false, each family's default pool has its own block size
(26 for IPv4, 122 for IPv6) and its own name (default-ipv4-ippool, default-ipv6-ippool).
"""

from __future__ import annotations

import copy

from plan_inputs import base, plan_of, tor_base, with_ipv6_racks

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def dual(**cluster):
    return base(calico_pod_cidr="10.244.0.0/16", calico_pod_cidr_v6="fd00:10:244::/56", calico_encapsulation="vxlan", **cluster)


def dual_racks(**cluster):
    """Two racks (indexes 0 and 1) with /22 IPv4 and /64 IPv6 rack pools, each rack with an IPv6 subnet."""
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_pod_cidr_v6="fd00:10:244::/56", calico_rack_pool_prefix_length=22,
                   calico_rack_pool_prefix_length_v6=64, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for index, rack in enumerate(sorted(inv.cluster["calico_racks"])):
        inv.cluster["calico_racks"][rack]["index"] = index
    return with_ipv6_racks(inv)


def by_name(plan):
    return {p["name"]: p for p in plan["ip_pools"]}


def test_each_default_pool_takes_its_own_family_s_nat_setting():
    # Calico's defaults: NAT for IPv4 pods, none for IPv6 (global IPv6 addresses need no SNAT).
    pools = by_name(plan_of(dual()))
    assert (pools["default-ipv4-ippool"]["nat_outgoing"], pools["default-ipv6-ippool"]["nat_outgoing"]) == (True, False)
    pools = by_name(plan_of(dual(calico_nat_outgoing=False, calico_nat_outgoing_v6=True)))
    assert (pools["default-ipv4-ippool"]["nat_outgoing"], pools["default-ipv6-ippool"]["nat_outgoing"]) == (False, True)


def test_the_previous_ipv6_pool_is_an_ipv6_default_pool_with_the_ipv6_settings():
    inv = dual_racks(calico_rack_pools_previous_cidr="172.16.0.0/16", calico_rack_pools_previous_cidr_v6="fd00:99::/56",
                     calico_block_size_v6=120, calico_nat_outgoing_v6=True)
    previous = by_name(plan_of(inv))["default-ipv6-ippool"]
    assert (previous["origin"], previous["family"], previous["cidr"]) == ("previous", 6, "fd00:99::/56")
    assert (previous["block_size"], previous["nat_outgoing"], previous["node_selector"], previous["default"]) == (120, True, "all()", True)


def test_a_rack_name_that_makes_no_pool_name_is_refused_for_each_family():
    inv = dual_racks()
    racks = inv.cluster["calico_racks"]
    racks["R_2"] = racks.pop("r2")
    for host in inv.hosts.values():
        if host.get("calico_rack") == "r2":
            host["calico_rack"] = "R_2"
    errors = [(e.subject, e.message) for e in build_plan(inv).errors if e.subject == "calico_racks.R_2"]
    assert errors == [
        ("calico_racks.R_2", "the rack name makes the pool name 'rack-R_2-ipv4', which is not a DNS-1123 name."),
        ("calico_racks.R_2", "the rack name makes the pool name 'rack-R_2-ipv6', which is not a DNS-1123 name."),
    ]


def test_the_forecast_share_is_recorded_to_one_decimal_as_the_report_prints_it():
    # 3 nodes x one /26 block (63 pods, no tunnel) = 192 of the 2,048 addresses of a /21: 9.375 %, shown as 9.4 %.
    plan = plan_of(base(nodes=3, calico_pod_cidr="10.244.0.0/16", calico_encapsulation="none", calico_max_pods_per_node=63,
                        calico_ip_pools=[{"name": "a", "cidr": "10.244.0.0/21"}]))
    forecast = by_name(plan)["a"]["forecast"]
    assert (forecast["needed"], forecast["capacity"], forecast["percent"]) == (192, 2048, 9.4)
