"""A wrong block size is one mistake in one variable: the plan names it once, not once per pool
the variable makes (issue 18: the pool checks' mutants showed no test counted the errors)."""

import copy

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base, with_ipv6_racks


def racked(**cluster):
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=24, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for index, rack in enumerate(sorted(inv.cluster["calico_racks"])):
        inv.cluster["calico_racks"][rack]["index"] = index
    return inv


# Calico's IPPool reference: an IPv4 blockSize lies in 20..32, so 33 is refused.
@pytest.mark.parametrize("inventory", [lambda: base(calico_block_size=33), lambda: racked(calico_block_size=33)],
                         ids=["default pool", "rack pools"])
def test_an_invalid_block_size_is_one_error_on_its_variable(inventory):
    result = build_plan(inventory())
    about_blocks = [e for e in result.errors if "block size" in e.message]
    assert [(e.subject, e.message) for e in about_blocks] == [("calico_block_size", "block size 33 is outside 20..32 for IPv4.")]


def dual_stack(**cluster):
    values = {"calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
              "calico_node_subnets": ["10.0.1.0/24", "fd00:1::/64"], "calico_encapsulation": "vxlan", **cluster}
    inv = base(nodes=2, **values)
    for index, host in enumerate(sorted(inv.hosts)):
        inv.hosts[host] = {"ansible_host": "10.0.1.%d" % (11 + index), "calico_node_ip6": "fd00:1::%d" % (11 + index)}
    return inv


def pool(name, cidr, **fields):
    return [dict(name=name, cidr=cidr, **fields)]


# Each pool check as the user reads it: the variable to change, what is wrong, and the fix. The
# rules are Calico's IPPool reference (a pool holds whole blocks; IPIP carries IPv4 only; one
# encapsulation per pool; namespaceSelector is a selector string) and the kernel's link-local
# ranges (169.254.0.0/16, fe80::/10), which no pod may take.
@pytest.mark.parametrize(
    ("inventory", "error"),
    [
        (lambda: base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pool("small", "10.244.1.0/28", block_size=26, encapsulation="none")),
         ("calico_ip_pools[small].block_size", "pool 10.244.1.0/28 (/28) is smaller than one block (/26).",
          "use a larger pool or a block size of at least /28.")),
        (lambda: base(calico_pod_cidr="169.254.0.0/16"),
         ("calico_pod_cidr", "169.254.0.0/16 is in the link-local range.", "pick a pool outside 169.254.0.0/16 and fe80::/10.")),
        (lambda: dual_stack(calico_ip_pools=pool("ll6", "fe80::/64", encapsulation="none")),
         ("calico_ip_pools[ll6]", "fe80::/64 is in the link-local range.", "pick a pool outside 169.254.0.0/16 and fe80::/10.")),
        (lambda: racked(calico_rack_pools_previous_cidr="10.244.0.0/16"),
         ("calico_rack_pools_previous_cidr",
          "the previous pool 10.244.0.0/16 overlaps calico_pod_cidr 10.244.0.0/16, from which the rack pools are carved.",
          "give the rack pools a new range in calico_pod_cidr; the previous pool keeps its own until the migration is done.")),
        (lambda: base(calico_ip_pools=pool("v6", "fd00:20::/64", encapsulation="none")),
         ("calico_ip_pools[v6]", "is IPv6 but calico_pod_cidr_v6 is not set.", "set calico_pod_cidr_v6 to a range containing fd00:20::/64.")),
        (lambda: base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pool("out", "10.250.0.0/24", encapsulation="none")),
         ("calico_ip_pools[out]", "10.250.0.0/24 is not inside calico_pod_cidr 10.244.0.0/16.",
          "move the pool inside 10.244.0.0/16 or widen calico_pod_cidr.")),
        (lambda: dual_stack(calico_ip_pools=pool("out6", "fd00:99::/64", encapsulation="none")),
         ("calico_ip_pools[out6]", "fd00:99::/64 is not inside calico_pod_cidr_v6 fd00:10:244::/56.",
          "move the pool inside fd00:10:244::/56 or widen calico_pod_cidr_v6.")),
        (lambda: dual_stack(calico_ip_pools=pool("v6", "fd00:10:244::/64", encapsulation="ipip")),
         ("calico_ip_pools[v6]", "IPIP is IPv4 only, but pool fd00:10:244::/64 is IPv6.", "use vxlan or none for IPv6 pools.")),
        (lambda: base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pool("both", "10.244.1.0/24", ipip_mode="Always", vxlan_mode="CrossSubnet")),
         ("calico_ip_pools[both]", "enables both IPIP and VXLAN; they are mutually exclusive.", "choose one encapsulation per pool.")),
        (lambda: base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pool("ns", "10.244.1.0/24", namespace_selector=["team-a"])),
         ("calico_ip_pools[ns].namespace_selector", "must be a selector string.", "e.g. \"name == 'team-a'\".")),
    ],
    ids=["smaller-than-a-block", "link-local-v4", "link-local-v6", "previous-overlaps-pod-cidr", "no-ipv6-pod-cidr",
         "outside-pod-cidr", "outside-pod-cidr-v6", "ipip-on-ipv6", "ipip-and-vxlan", "namespace-selector-not-a-string"],
)
def test_each_pool_check_names_the_variable_and_the_fix(inventory, error):
    result = build_plan(inventory())
    assert error in [(e.subject, e.message, e.fix) for e in result.errors], [str(e) for e in result.errors]


def dual_stack_racks(**cluster):
    """Two racks with /19 IPv4 and /59 IPv6 rack pools: 8 rack pools per family (indexes 0..7)."""
    inv = racked(calico_pod_cidr_v6="fd00:10:244::/56", calico_encapsulation="none", **cluster)
    inv.cluster.update(calico_rack_pool_prefix_length=19, calico_rack_pool_prefix_length_v6=59)
    return with_ipv6_racks(inv)


def test_the_last_rack_index_gets_the_last_slice_of_the_pod_cidr():
    # A /16 holds 2^(19-16) = 8 /19s; index 7 is the last one, 10.244.224.0/19 (and fd00:10:244:e0::/59).
    inv = dual_stack_racks()
    inv.cluster["calico_racks"]["r2"]["index"] = 7
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    cidrs = {p["name"]: p["cidr"] for p in result.plan["ip_pools"]}
    assert (cidrs["rack-r2-ipv4"], cidrs["rack-r2-ipv6"]) == ("10.244.224.0/19", "fd00:10:244:e0::/59")


def test_every_rack_index_error_is_reported_per_rack_and_family():
    inv = dual_stack_racks()
    del inv.cluster["calico_racks"]["r1"]["index"]
    inv.cluster["calico_racks"]["r2"]["index"] = 9
    errors = [(e.subject, e.message, e.fix) for e in build_plan(inv).errors]
    assert errors == [
        ("calico_racks.r1.index", "is not set; rack pools place each rack by its index.",
         "give the rack an index that no other rack has (0, 1, 2, ...) and never change it: the pool's CIDR follows from it."),
        ("calico_racks.r2.index", "9 is beyond the 8 rack pools of /19 that 10.244.0.0/16 holds (indexes 0..7).",
         "use a free index below 8, or a longer calico_rack_pool_prefix_length."),
        ("calico_racks.r2.index", "9 is beyond the 8 rack pools of /59 that fd00:10:244::/56 holds (indexes 0..7).",
         "use a free index below 8, or a longer calico_rack_pool_prefix_length_v6."),
    ]


def with_cluster(inv, **cluster):
    inv.cluster.update(cluster)
    return inv


# A pool too small for its nodes is made bigger through the variable that made it.
@pytest.mark.parametrize(
    ("inventory", "subject", "advice"),
    [
        (lambda: base(calico_pod_cidr="10.244.0.0/25", calico_max_pods_per_node=63), "calico_pod_cidr", "a larger calico_pod_cidr"),
        (lambda: dual_stack(calico_pod_cidr_v6="fd00:10:244::/120", calico_block_size_v6=122), "calico_pod_cidr_v6",
         "a larger calico_pod_cidr_v6"),
        (lambda: with_cluster(racked(), calico_rack_pool_prefix_length=26), "calico_rack_pool_prefix_length",
         "a shorter calico_rack_pool_prefix_length (larger rack pools)"),
        (lambda: with_cluster(dual_stack_racks(), calico_rack_pool_prefix_length_v6=122), "calico_rack_pool_prefix_length_v6",
         "a shorter calico_rack_pool_prefix_length_v6 (larger rack pools)"),
        (lambda: racked(calico_rack_pools_previous_cidr="172.16.0.0/25"), "calico_rack_pools_previous_cidr",
         "finish the migration to the rack pools"),
        (lambda: base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pool("small", "10.244.1.0/26", encapsulation="none")),
         "calico_ip_pools[small]", "a larger cidr for calico_ip_pools[small]"),
    ],
    ids=["default-v4", "default-v6", "rack-v4", "rack-v6", "previous", "explicit"],
)
def test_an_exhausted_pool_names_the_variable_that_makes_it_bigger(inventory, subject, advice):
    result = build_plan(inventory())
    fixes = [e.fix for e in result.errors + result.warnings if e.subject == subject and "can need" in e.message]
    assert fixes and all(fix.startswith(advice + ", a block size that fits") for fix in fixes), [str(e) for e in result.errors]
