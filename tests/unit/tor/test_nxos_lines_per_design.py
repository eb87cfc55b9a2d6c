"""Cisco NX-OS: the lines each design needs on the router, in the syntax NX-OS prints.

Expected syntax from the Cisco Nexus 9000 NX-OS Unicast Routing Configuration Guide
("Configuring Advanced BGP": ``template peer`` with ``inherit peer``, a prefix neighbour
``neighbor <prefix> remote-as <AS>`` or ``remote-as route-map <map>`` with ``maximum-peers``,
``ttl-security hops`` for eBGP only, ``bestpath as-path multipath-relax``, per-family
``route-reflector-client`` / ``route-map`` / ``maximum-prefix``, ``aggregate-address`` under
``address-family``; "Configuring Route Policy Manager": one line per prefix-list entry,
``ip as-path access-list <name> seq <n> permit "<regex>"``, ``match as-number <low>-<high>``).
"""

from __future__ import annotations

from design_render import PASSWORD, POOL_V6, block, rendered_lines


def template(name, family, *peer_settings, reflector=False):
    afi = "ipv4" if family == 4 else "ipv6"
    return [f"  template peer {name}", *[f"    {s}" for s in peer_settings], f"    address-family {afi} unicast",
            *(["      route-reflector-client"] if reflector else []), "      route-map CALICO-FROM-NODES in",
            "      route-map CALICO-TO-NODES out", "      maximum-prefix 12000"]


def test_ibgp_prefix_neighbours_name_the_rack_as_and_inherit_the_family_template():
    # as_per_rack with listen ranges: the prefix neighbour's remote AS is the rack's own, and
    # ttl-security is not rendered (NX-OS has it for eBGP peers only).
    lines = rendered_lines("as_per_rack", "nxos", neighbor_mode="listen_range", pool_v6=POOL_V6,
                           ttl_security=True, password=True)
    settings = ["remote-as 65001", "description Calico nodes of rack r1", f"password {PASSWORD}", "timers 3 9"]
    v6_settings = ["remote-as 65001", "description Calico nodes of rack r1 (IPv6)", f"password {PASSWORD}", "timers 3 9"]
    assert block(lines, "router bgp 65001") == [
        "router bgp 65001",
        *template("CALICO-NODES", 4, *settings, reflector=True),
        *template("CALICO-NODES-V6", 6, *v6_settings, reflector=True),
        "  neighbor 10.0.1.0/24 remote-as 65001", "    inherit peer CALICO-NODES", "    maximum-peers 64",
        "  neighbor fd00:0:1::/64 remote-as 65001", "    inherit peer CALICO-NODES-V6", "    maximum-peers 64",
    ]
    assert not any(line.startswith("route-map CALICO-NODES-ASNS") for line in lines)


def test_ebgp_prefix_neighbour_accepts_the_rack_node_as_range_by_route_map():
    lines = rendered_lines("as_per_node", "nxos", neighbor_mode="listen_range")
    assert block(lines, "route-map CALICO-NODES-ASNS permit 10") == [
        "route-map CALICO-NODES-ASNS permit 10", "  match as-number 65011-65012"]
    assert block(lines, "  neighbor 10.0.1.0/24 remote-as route-map CALICO-NODES-ASNS") == [
        "  neighbor 10.0.1.0/24 remote-as route-map CALICO-NODES-ASNS", "    inherit peer CALICO-NODES",
        "    maximum-peers 64"]


def test_ebgp_node_neighbours_name_their_own_as_and_inherit_the_template():
    lines = rendered_lines("as_per_node", "nxos", pool_v6=POOL_V6, ttl_security=True, password=True)
    settings = ["description Calico nodes of rack r1", f"password {PASSWORD}", "timers 3 9", "ttl-security hops 1"]
    v6_settings = ["description Calico nodes of rack r1 (IPv6)", f"password {PASSWORD}", "timers 3 9", "ttl-security hops 1"]
    neighbours = []
    for ip, ip6, node, asn in (("10.0.1.11", "fd00:0:1::b", "node11", 65011), ("10.0.1.12", "fd00:0:1::c", "node12", 65012)):
        for address, group in ((ip, "CALICO-NODES"), (ip6, "CALICO-NODES-V6")):
            neighbours += [f"  neighbor {address}", f"    inherit peer {group}", f"    remote-as {asn}", f"    description {node}"]
    assert block(lines, "router bgp 65101") == [
        "router bgp 65101",
        "  bestpath as-path multipath-relax",
        *template("CALICO-NODES", 4, *settings),
        *template("CALICO-NODES-V6", 6, *v6_settings),
        *neighbours,
    ]


def test_as_per_rack_node_neighbours_take_the_template_as():
    lines = rendered_lines("as_per_rack", "nxos")
    assert block(lines, "  neighbor 10.0.1.12") == ["  neighbor 10.0.1.12", "    inherit peer CALICO-NODES", "    description node12"]
    assert 'ip as-path access-list CALICO-RACK-LOCAL seq 10 permit "^$"' in lines
    assert "bestpath" not in "\n".join(lines)  # router-wide, as_per_node only


def test_prefix_lists_are_one_line_per_entry_in_both_families():
    lines = rendered_lines("downward_default", "nxos", pool_v6=POOL_V6)
    prefix_lines = [line for line in lines if "prefix-list" in line and not line.startswith(" ")]
    assert prefix_lines == [
        "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 10 permit 192.168.0.0/16 ge 26 le 32",
        "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 20 permit 10.96.0.0/12 le 32",
        "ipv6 prefix-list CALICO-NODE-PREFIXES-V6 seq 10 permit fd00:10:244::/56 ge 122 le 128",
        "ip prefix-list CALICO-DEFAULT-V4 seq 10 permit 0.0.0.0/0",
        "ipv6 prefix-list CALICO-DEFAULT-V6 seq 10 permit ::/0",
    ]
    assert block(lines, "route-map CALICO-TO-NODES permit 20") == [
        "route-map CALICO-TO-NODES permit 20", "  match ipv6 address prefix-list CALICO-DEFAULT-V6"]


def test_rack_pool_aggregates_are_in_their_address_family_before_the_templates():
    lines = rendered_lines("as_per_rack", "nxos", aggregates=("192.168.0.0/22", "192.168.8.0/22", "fd00:10:244::/60"),
                           pool_v6=POOL_V6)
    router = block(lines, "router bgp 65001")
    assert router[1:7] == [
        "  address-family ipv4 unicast",
        "    aggregate-address 192.168.0.0/22 attribute-map CALICO-RACK-AGGREGATE",
        "    aggregate-address 192.168.8.0/22 attribute-map CALICO-RACK-AGGREGATE",
        "  address-family ipv6 unicast",
        "    aggregate-address fd00:10:244::/60 attribute-map CALICO-RACK-AGGREGATE",
        "  template peer CALICO-NODES",
    ]
    assert "ipv6 prefix-list CALICO-RACK-SPECIFICS-V6 seq 10 permit fd00:10:244::/60 ge 61 le 128" in lines


def test_ipv6_only_aggregate_opens_only_the_ipv6_family():
    lines = rendered_lines("as_per_rack", "nxos", aggregates=("fd00:10:244::/60",), pool_v6=POOL_V6)
    router = block(lines, "router bgp 65001")
    assert router[1:3] == ["  address-family ipv6 unicast", "    aggregate-address fd00:10:244::/60 attribute-map CALICO-RACK-AGGREGATE"]
    assert "  address-family ipv4 unicast" not in router


def test_the_text_is_header_then_policies_then_router_bgp():
    lines = rendered_lines("as_per_node", "nxos")
    assert lines[0] == "! tor1 (nxos): Calico peering for rack r1 (as_per_node)"
    assert lines[3] == "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 10 permit 192.168.0.0/16 ge 26 le 32"
    assert lines[-4:] == ["  neighbor 10.0.1.12", "    inherit peer CALICO-NODES", "    remote-as 65012", "    description node12"]
