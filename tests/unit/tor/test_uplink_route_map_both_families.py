"""CALICO-TO-UPLINKS on a dual-stack rack-pool ToR: both families' aggregates pass, both families'
node blocks stay in the rack (docs/tor.md: "permit the aggregate, deny the specifics, permit the
rest"). A map that held only the last family's permit would hide the IPv4 rack from the spine."""

from __future__ import annotations

from design_render import POOL_V6, block, rendered_lines


def route_map_entries(lines, name):
    """[(entry line, its match lines)] of one route map, in the order the router evaluates them."""
    return [tuple(block(lines, line)) for line in lines if line.startswith("route-map %s " % name)]


def test_eos_uplink_map_permits_each_familys_aggregate_before_denying_the_blocks():
    lines = rendered_lines("as_per_rack", "eos", aggregates=("192.168.0.0/22", "fd00:10:244::/60"), pool_v6=POOL_V6)
    assert route_map_entries(lines, "CALICO-TO-UPLINKS") == [
        ("route-map CALICO-TO-UPLINKS permit 10", "   match ip address prefix-list CALICO-RACK-AGGREGATE-V4"),
        ("route-map CALICO-TO-UPLINKS permit 20", "   match ipv6 address prefix-list CALICO-RACK-AGGREGATE-V6"),
        ("route-map CALICO-TO-UPLINKS deny 30", "   match ip address prefix-list CALICO-RACK-SPECIFICS-V4"),
        ("route-map CALICO-TO-UPLINKS deny 40", "   match ipv6 address prefix-list CALICO-RACK-SPECIFICS-V6"),
        ("route-map CALICO-TO-UPLINKS permit 1000",),
    ]


def test_frr_uplink_map_permits_each_familys_aggregate_before_denying_the_blocks():
    lines = rendered_lines("as_per_rack", "frr", aggregates=("192.168.0.0/22", "fd00:10:244::/60"), pool_v6=POOL_V6)
    entries = [line for line in lines if line.startswith("route-map CALICO-TO-UPLINKS ")]
    assert entries == ["route-map CALICO-TO-UPLINKS permit 10", "route-map CALICO-TO-UPLINKS permit 20",
                       "route-map CALICO-TO-UPLINKS deny 30", "route-map CALICO-TO-UPLINKS deny 40",
                       "route-map CALICO-TO-UPLINKS permit 1000"]
    first = lines.index("route-map CALICO-TO-UPLINKS permit 10")
    assert lines[first + 1].strip() == "match ip address prefix-list CALICO-RACK-AGGREGATE-V4"
