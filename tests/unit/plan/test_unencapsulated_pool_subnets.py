"""An unencapsulated pool in a BGP mesh spanning several L2 segments: which segments count, and
where the error tells the user to fix it.

Without encapsulation a pod packet to another subnet goes to the default gateway, which learns no
pod routes in full_mesh/route_reflectors mode (Calico's docs, "Configure overlay networking":
CrossSubnet encapsulates only traffic that crosses a subnet boundary), so the plan refuses it.
"""

from plan_inputs import base, errors_of

TAIL = (
    "the routers between them know no pod routes and drop pod traffic that crosses subnets. Fix: set %s to "
    "ipip_cross_subnet or vxlan_cross_subnet, or peer the nodes with their routers (calico_bgp_mode: tor)."
)


def mesh(subnets, n04_address, **cluster):
    """base()'s four nodes (10.10.0.10-13), n04 moved to ``n04_address``."""
    inv = base(calico_node_subnets=subnets, **cluster)
    inv.hosts["n04"]["ansible_host"] = n04_address
    return inv


def test_an_explicit_unencapsulated_pool_is_named_as_the_place_to_fix():
    # The cluster default is encapsulated; only the user's own pool is not, so the fix is in that pool.
    pools = [{"name": "flat", "cidr": "192.168.0.0/16", "encapsulation": "none"}]
    inv = mesh(["10.10.0.0/24", "10.10.1.0/24"], "10.10.1.13", calico_encapsulation="ipip", calico_ip_pools=pools)
    assert errors_of(inv) == [
        "calico_ip_pools[flat].encapsulation: is none with calico_bgp_mode: full_mesh while the nodes sit in 2 subnets "
        "(10.10.0.0/24, 10.10.1.0/24): " + TAIL % "calico_ip_pools[flat].encapsulation"
    ]


def test_each_node_counts_in_its_most_specific_declared_subnet():
    # A site-wide /16 declared next to the two /24 segments inside it: the nodes still sit in two
    # segments with a router between them, not in one /16.
    inv = mesh(["10.10.0.0/16", "10.10.0.0/24", "10.10.1.0/24"], "10.10.1.13", calico_encapsulation="none")
    assert errors_of(inv) == [
        "calico_encapsulation: is none with calico_bgp_mode: full_mesh while the nodes sit in 2 subnets "
        "(10.10.0.0/24, 10.10.1.0/24): " + TAIL % "calico_encapsulation"
    ]


def test_nodes_in_both_families_are_reported_ipv4_subnets_first():
    # IPv4 and IPv6 networks do not compare; the error must still list both, IPv4 first.
    inv = mesh(["10.10.0.0/24", "fd00:10::/64"], "fd00:10::13", calico_encapsulation="none")
    assert errors_of(inv) == [
        "calico_encapsulation: is none with calico_bgp_mode: full_mesh while the nodes sit in 2 subnets "
        "(10.10.0.0/24, fd00:10::/64): " + TAIL % "calico_encapsulation"
    ]
