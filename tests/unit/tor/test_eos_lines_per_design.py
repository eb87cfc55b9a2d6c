"""Arista EOS: the lines each design needs on the router, in the syntax EOS prints.

Expected syntax from the EOS User Manual ("Border Gateway Protocol": peer groups as
``neighbor <group> peer group``, ``bgp listen range <prefix> peer-group <group> remote-as <AS>``
or ``... peer-filter <filter>``, ``dynamic peer max``, ``neighbor ... maximum-routes``,
``neighbor ... ttl maximum-hops``, ``aggregate-address ... attribute-map``; "Route Maps" and
"Prefix Lists": blocks of ``seq`` entries, ``set ip|ipv6 next-hop peer-address``). IPv4
unicast is active on every EOS neighbour by default and IPv6 is not, so a dual-stack rack
turns IPv4 off on the IPv6 group and IPv6 on.
"""

from __future__ import annotations

from design_render import PASSWORD, POOL_V6, block, rendered_lines

DUAL_STACK_FAMILIES = [
    "   !",
    "   address-family ipv4",
    "      no neighbor CALICO-NODES-V6 activate",
    "   !",
    "   address-family ipv6",
    "      neighbor CALICO-NODES-V6 activate",
]


def group_lines(group, *settings):
    return [f"   neighbor {group} {setting}" for setting in settings]


def test_ibgp_listen_ranges_accept_the_rack_subnets_with_the_rack_as():
    # as_per_rack with listen ranges: the dynamic peers are iBGP, so the range names the rack's
    # AS itself; no AS filter, and no GTSM (EOS applies ttl maximum-hops to eBGP only).
    lines = rendered_lines("as_per_rack", "eos", neighbor_mode="listen_range", pool_v6=POOL_V6,
                           ttl_security=True, password=True)
    common = ["timers 3 9", "route-map CALICO-FROM-NODES in", "route-map CALICO-TO-NODES out",
              f"password {PASSWORD}", "maximum-routes 12000"]
    assert block(lines, "router bgp 65001") == [
        "router bgp 65001",
        "   bgp listen range 10.0.1.0/24 peer-group CALICO-NODES remote-as 65001",
        "   bgp listen range fd00:0:1::/64 peer-group CALICO-NODES-V6 remote-as 65001",
        "   dynamic peer max 64",
        *group_lines("CALICO-NODES", "peer group", "remote-as 65001", "description Calico nodes of rack r1",
                     "route-reflector-client", *common),
        *group_lines("CALICO-NODES-V6", "peer group", "remote-as 65001", "description Calico nodes of rack r1 (IPv6)",
                     "route-reflector-client", *common),
        *DUAL_STACK_FAMILIES,
    ]
    assert not any(line.startswith("peer-filter") for line in lines)


def test_ebgp_listen_range_takes_any_node_as_of_the_rack_through_a_peer_filter():
    lines = rendered_lines("as_per_node", "eos", neighbor_mode="listen_range")
    assert block(lines, "peer-filter CALICO-NODES-ASNS") == [
        "peer-filter CALICO-NODES-ASNS", "   10 match as-range 65011-65012 result accept"]
    router = block(lines, "router bgp 65101")
    assert router[:4] == [
        "router bgp 65101",
        "   bgp bestpath as-path multipath-relax",
        "   bgp listen range 10.0.1.0/24 peer-group CALICO-NODES peer-filter CALICO-NODES-ASNS",
        "   dynamic peer max 64",
    ]
    assert not any("remote-as" in line for line in router)


def test_ebgp_nodes_are_members_with_their_own_as():
    # as_per_node with explicit neighbours: every node session names the node's AS, the groups
    # none; eBGP gets GTSM and multipath over the different node ASes.
    lines = rendered_lines("as_per_node", "eos", pool_v6=POOL_V6, ttl_security=True, password=True)
    common = ["timers 3 9", "route-map CALICO-FROM-NODES in", "route-map CALICO-TO-NODES out",
              f"password {PASSWORD}", "ttl maximum-hops 1", "maximum-routes 12000"]
    members = []
    for ip, ip6, node, asn in (("10.0.1.11", "fd00:0:1::b", "node11", 65011), ("10.0.1.12", "fd00:0:1::c", "node12", 65012)):
        members += group_lines(ip, "peer group CALICO-NODES", f"remote-as {asn}", f"description {node}")
        members += group_lines(ip6, "peer group CALICO-NODES-V6", f"remote-as {asn}", f"description {node}")
    assert block(lines, "router bgp 65101") == [
        "router bgp 65101",
        "   bgp bestpath as-path multipath-relax",
        *group_lines("CALICO-NODES", "peer group", "description Calico nodes of rack r1", *common),
        *group_lines("CALICO-NODES-V6", "peer group", "description Calico nodes of rack r1 (IPv6)", *common),
        *members,
        *DUAL_STACK_FAMILIES,
    ]


def test_as_per_rack_members_take_the_group_as():
    lines = rendered_lines("as_per_rack", "eos")
    router = block(lines, "router bgp 65001")
    assert router[-4:] == [
        "   neighbor 10.0.1.11 peer group CALICO-NODES", "   neighbor 10.0.1.11 description node11",
        "   neighbor 10.0.1.12 peer group CALICO-NODES", "   neighbor 10.0.1.12 description node12",
    ]
    assert "   neighbor CALICO-NODES remote-as 65001" in router
    # IPv4 only: no address-family section at all.
    assert not any("address-family" in line or "activate" in line for line in lines)


def test_downward_default_passes_only_the_learned_default_in_both_families():
    lines = rendered_lines("downward_default", "eos", pool_v6=POOL_V6)
    assert block(lines, "ip prefix-list CALICO-DEFAULT-V4") == ["ip prefix-list CALICO-DEFAULT-V4", "   seq 10 permit 0.0.0.0/0"]
    assert block(lines, "ipv6 prefix-list CALICO-DEFAULT-V6") == ["ipv6 prefix-list CALICO-DEFAULT-V6", "   seq 10 permit ::/0"]
    to_nodes = [line for line in lines if line.startswith("route-map CALICO-TO-NODES")]
    assert to_nodes == ["route-map CALICO-TO-NODES permit 10", "route-map CALICO-TO-NODES permit 20",
                        "route-map CALICO-TO-NODES deny 1000"]
    assert block(lines, "route-map CALICO-TO-NODES permit 10") == [
        "route-map CALICO-TO-NODES permit 10", "   match ip address prefix-list CALICO-DEFAULT-V4"]
    assert block(lines, "route-map CALICO-TO-NODES permit 20") == [
        "route-map CALICO-TO-NODES permit 20", "   match ipv6 address prefix-list CALICO-DEFAULT-V6"]
    assert not any("POOL-BLOCKS" in line or "as-path" in line for line in lines)


def test_as_per_rack_dual_stack_policies_keep_the_node_next_hop_of_reflected_blocks():
    lines = rendered_lines("as_per_rack", "eos", pool_v6=POOL_V6)
    assert "ip as-path access-list CALICO-RACK-LOCAL permit ^$ any" in lines
    assert block(lines, "route-map CALICO-TO-NODES permit 30") == [
        "route-map CALICO-TO-NODES permit 30", "   match ipv6 address prefix-list CALICO-POOL-BLOCKS-V6",
        "   match as-path CALICO-RACK-LOCAL"]
    assert block(lines, "route-map CALICO-TO-NODES permit 40") == [
        "route-map CALICO-TO-NODES permit 40", "   match ipv6 address prefix-list CALICO-POOL-BLOCKS-V6",
        "   set ipv6 next-hop peer-address"]
    assert block(lines, "ipv6 prefix-list CALICO-NODE-PREFIXES-V6") == [
        "ipv6 prefix-list CALICO-NODE-PREFIXES-V6", "   seq 10 permit fd00:10:244::/56 ge 122 le 128"]


def test_rack_pool_aggregates_sit_in_the_family_eos_reads_them_from():
    # IPv4 aggregates in router bgp itself, IPv6 ones in address-family ipv6.
    lines = rendered_lines("as_per_rack", "eos", aggregates=("192.168.0.0/22", "192.168.8.0/22", "fd00:10:244::/60"),
                           pool_v6=POOL_V6)
    router = block(lines, "router bgp 65001")
    v4 = ["   aggregate-address 192.168.0.0/22 attribute-map CALICO-RACK-AGGREGATE",
          "   aggregate-address 192.168.8.0/22 attribute-map CALICO-RACK-AGGREGATE"]
    assert router[router.index("   !") - 2:router.index("   !")] == v4
    assert router[-1] == "      aggregate-address fd00:10:244::/60 attribute-map CALICO-RACK-AGGREGATE"
    assert block(lines, "ip prefix-list CALICO-RACK-SPECIFICS-V4") == [
        "ip prefix-list CALICO-RACK-SPECIFICS-V4", "   seq 10 permit 192.168.0.0/22 ge 23 le 32",
        "   seq 20 permit 192.168.8.0/22 ge 23 le 32"]
    assert block(lines, "ipv6 prefix-list CALICO-RACK-AGGREGATE-V6") == [
        "ipv6 prefix-list CALICO-RACK-AGGREGATE-V6", "   seq 10 permit fd00:10:244::/60"]
    assert block(lines, "route-map CALICO-TO-UPLINKS deny 40") == [
        "route-map CALICO-TO-UPLINKS deny 40", "   match ipv6 address prefix-list CALICO-RACK-SPECIFICS-V6"]


def test_every_top_level_block_is_closed_the_way_eos_prints_it():
    # show running-config separates the blocks with "!": the push compares section by section.
    for design, options in (("as_per_rack", {"pool_v6": POOL_V6}), ("as_per_node", {"neighbor_mode": "listen_range"}),
                            ("downward_default", {})):
        lines = rendered_lines(design, "eos", aggregates=("192.168.0.0/22",), **options)
        assert lines[3] == "!" and lines[-1] == "!"
        starts = [i for i, line in enumerate(lines) if line and not line.startswith((" ", "!"))]
        assert starts, design
        for i in starts:
            assert lines[i - 1] == "!", (design, lines[i])
