"""The settings that turn rack pools on, and the previous pools kept during the migration: each
refusal whole and the bounds (issue 18: the mutation run found these texts and bounds asserted
by fragments only).

Calico facts used (IPPool reference): a pool holds whole blocks, so a rack pool's prefix is at
most the block size; it lies in the pod CIDR, so it is at least the pod CIDR's prefix; pool names
are DNS-1123 names. calico-node's NO_DEFAULT_POOLS covers both families at once.
"""

from __future__ import annotations

import copy

import pytest
from plan_inputs import tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def racked(**cluster):
    """The two-rack ToR cluster, racks r1 and r2 at indexes 0 and 1."""
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for index, rack in enumerate(sorted(inv.cluster["calico_racks"])):
        inv.cluster["calico_racks"][rack]["index"] = index
    return inv


def triples(result):
    return [(e.subject, e.message, e.fix) for e in result.errors]


def pools(result):
    assert result.ok, [str(e) for e in result.errors]
    return {p["name"]: p for p in result.plan["ip_pools"]}


@pytest.mark.parametrize(("length", "valid"), [(15, False), (16, True), (26, True), (27, False)])
def test_the_rack_pool_prefix_lies_between_the_pod_cidr_and_the_block(length, valid):
    inv = racked(calico_rack_pool_prefix_length=length)
    if length == 16:
        inv.cluster["calico_racks"].pop("r2")  # a /16 rack pool is the whole pod CIDR: room for one rack
        for name in ("b1", "b2", "tor2"):
            inv.hosts.pop(name)
            for members in inv.groups.values():
                if name in members:
                    members.remove(name)
    result = build_plan(inv)
    errors = [e for e in triples(result) if e[0] == "calico_rack_pool_prefix_length" and "is not between" in e[1]]
    if valid:
        # (a /26 rack pool is a single block, which the forecast refuses for 110 pods: another finding)
        assert errors == []
        if length == 16:
            assert pools(result)["rack-r1-ipv4"]["cidr"] == "10.244.0.0/16"
    else:
        assert errors == [("calico_rack_pool_prefix_length", "/%d is not between the pod CIDR's /16 and the block size /26." % length,
                           "pick a prefix length in 16..26 (a rack pool lies in the pod CIDR and holds whole blocks).")]


def test_rack_pools_are_for_both_families_or_none():
    inv = racked(calico_rack_pool_prefix_length=22, calico_pod_cidr_v6="fd00:10:244::/56")
    assert ("calico_rack_pool_prefix_length_v6", "is not set, but the other family has rack pools.",
            "set calico_rack_pool_prefix_length_v6 too: rack pools are per family, for both or none.") in triples(build_plan(inv))
    only_v6 = racked(calico_rack_pool_prefix_length_v6=64)
    assert ("calico_rack_pool_prefix_length_v6", "is set but the cluster has no IPv6 pod CIDR.",
            "remove it or set calico_pod_cidr_v6.") in triples(build_plan(only_v6))


def test_an_ipv6_rack_prefix_is_checked_against_the_ipv6_block_size():
    inv = racked(calico_rack_pool_prefix_length=22, calico_rack_pool_prefix_length_v6=123, calico_pod_cidr_v6="fd00:10:244::/56",
                 calico_block_size_v6=122)
    assert ("calico_rack_pool_prefix_length_v6", "/123 is not between the pod CIDR's /56 and the block size /122.",
            "pick a prefix length in 56..122 (a rack pool lies in the pod CIDR and holds whole blocks).") in triples(build_plan(inv))


def test_rack_pools_need_racks():
    inv = racked(calico_rack_pool_prefix_length=22)
    inv.cluster["calico_racks"] = {}
    assert ("calico_rack_pool_prefix_length", "is set but calico_racks defines no rack.",
            "define the racks, each with its index.") in triples(build_plan(inv))


def test_previous_pools_are_kept_for_both_families_or_none():
    inv = racked(calico_rack_pool_prefix_length=22, calico_rack_pool_prefix_length_v6=64, calico_pod_cidr_v6="fd00:10:244::/56",
                 calico_rack_pools_previous_cidr="172.16.0.0/16")
    for number, rack in enumerate(sorted(inv.cluster["calico_racks"]), start=1):
        inv.cluster["calico_racks"][rack]["subnets"].append("fd00:1:%d::/64" % number)
    assert ("calico_rack_pools_previous_cidr_v6", "is not set, but the other family keeps its previous pool.",
            "set it to the CIDR of the cluster's default-ipv6-ippool too (calico-node keeps both default pools or none).") in triples(
        build_plan(inv))


def test_a_previous_pool_must_be_of_its_family():
    inv = racked(calico_rack_pool_prefix_length=22, calico_rack_pools_previous_cidr="fd00:99::/56")
    errors = [e for e in triples(build_plan(inv)) if e[0] == "calico_rack_pools_previous_cidr"]
    assert errors == [("calico_rack_pools_previous_cidr", "fd00:99::/56 is not an IPv4 network.", "give an IPv4 CIDR.")]


def test_the_previous_pool_is_calico_node_s_default_pool_for_every_node():
    previous = pools(build_plan(racked(calico_rack_pool_prefix_length=22, calico_rack_pools_previous_cidr="172.16.0.0/16",
                                       calico_block_size=27)))["default-ipv4-ippool"]
    assert (previous["origin"], previous["default"], previous["node_selector"], previous["block_size"]) == ("previous", True, "all()", 27)


def test_a_rack_name_that_makes_no_pool_name_is_refused():
    inv = racked(calico_rack_pool_prefix_length=22)
    racks = inv.cluster["calico_racks"]
    racks["R_2"] = racks.pop("r2")
    for host in inv.hosts.values():
        if host.get("calico_rack") == "r2":
            host["calico_rack"] = "R_2"
    assert ("calico_racks.R_2", "the rack name makes the pool name 'rack-R_2-ipv4', which is not a DNS-1123 name.",
            "name the rack in lowercase letters, digits and dashes.") in triples(build_plan(inv))


def test_the_previous_default_pool_is_listed_before_the_rack_pools():
    result = build_plan(racked(calico_rack_pool_prefix_length=22, calico_rack_pools_previous_cidr="172.16.0.0/16"))
    assert [p["name"] for p in result.plan["ip_pools"]] == ["default-ipv4-ippool", "rack-r1-ipv4", "rack-r2-ipv4"]
