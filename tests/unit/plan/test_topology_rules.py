"""The topology section of the plan: racks, nodes, retired nodes, node networks and ToR routers.

Every refusal is checked in full (subject, what is wrong, the fix): the plan stops on it and the
message is all the user sees. Address facts come from the inventory builders in plan_inputs."""

from __future__ import annotations

import ipaddress

import pytest
from plan_inputs import base, errors_of, plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _Ranges


def eos(**connection):
    return {"calico_tor_platform": "eos", "ansible_network_os": "arista.eos.eos", "ansible_connection": "ansible.netcommon.network_cli", **connection}


# --- racks --------------------------------------------------------------------------------------

def test_racks_in_the_plan_list_members_subnets_and_routers_sorted():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"].update(subnets=["fd00:1:1::/64", "10.1.11.0/24", "10.1.1.0/24"], index=0)
    inv.cluster["calico_racks"]["r2"]["index"] = 1
    racks = plan_of(inv)["racks"]
    assert racks["r1"] == {
        "name": "r1", "asn": 65001, "index": 0, "subnets": ["10.1.1.0/24", "10.1.11.0/24", "fd00:1:1::/64"],
        "tor_routers": ["tor1"], "nodes": ["a1", "a2"],
    }
    assert racks["r2"]["index"] == 1 and racks["r2"]["nodes"] == ["b1", "b2"]
    assert plan_of(tor_base())["racks"]["r1"]["index"] is None


def test_rack_that_is_no_mapping_is_refused():
    inv = tor_base(calico_encapsulation="vxlan")
    inv.cluster["calico_racks"]["r3"] = "10.1.3.0/24"
    assert "calico_racks.r3: must be a mapping with asn, subnets and tor_routers. Fix: see docs/inventory.md#calico_racks." in errors_of(inv)


def test_rack_with_unknown_keys_is_refused():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"].update(tors=["tor1"], as_number=65001)
    assert errors_of(inv) == ["calico_racks.r1: has unknown keys: as_number, tors. Fix: use only asn, subnets, tor_routers and index."]


def test_rack_as_is_checked_like_every_as():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["asn"] = 23456
    assert "calico_racks.r1.asn: AS 23456 is AS_TRANS (RFC 6793), reserved for 4-byte AS transition. " \
           "Fix: use another AS number, e.g. from 64512-65534." in errors_of(inv)


@pytest.mark.parametrize("subnets, error", [
    ("10.1.1.0/24", "calico_racks.r1.subnets: must be a list of CIDRs. Fix: e.g. [10.0.1.0/24]."),
    (["10.1.1.0/24", "rack-one"], "calico_racks.r1.subnets: 'rack-one' is not a valid CIDR. Fix: write it as address/prefix, e.g. 10.244.0.0/16."),
    (["10.1.1.0/24", "10.1.9.0"], "calico_racks.r1.subnets: '10.1.9.0' has no prefix length. Fix: write it as a network, e.g. 10.1.9.0/32."),
    (["10.1.1.1/24"], "calico_racks.r1.subnets: 10.1.1.1/24 has host bits set (the network is 10.1.1.0/24). Fix: use the network address: 10.1.1.0/24."),
])
def test_rack_subnets_must_be_networks(subnets, error):
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["subnets"] = subnets
    assert error in errors_of(inv)


def test_rack_routers_must_be_a_list_of_tor_hosts_each_in_one_rack():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = "tor1"
    assert "calico_racks.r1.tor_routers: must be a list of inventory host names. Fix: e.g. [tor1a, tor1b]." in errors_of(inv)
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = ["tor1", "spine1"]
    assert "calico_racks.r1.tor_routers: spine1 is not a host of group tor_routers. " \
           "Fix: add spine1 to tor_routers in the inventory or remove it from the rack." in errors_of(inv)
    inv = tor_base()
    inv.cluster["calico_racks"]["r2"]["tor_routers"] = ["tor1", "tor2"]
    assert "calico_racks.r2.tor_routers: tor1 is already the ToR of rack r1. Fix: a router serves one rack." in errors_of(inv)


@pytest.mark.parametrize("index", [-1, "first", True, 1.5])
def test_rack_index_must_be_a_whole_number(index):
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["index"] = index
    assert errors_of(inv) == [
        "calico_racks.r1.index: %r is not a whole number of 0 or more. Fix: number the racks 0, 1, 2, ... and never renumber them." % (index,)
    ]


def test_two_racks_at_one_index_are_refused():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = "0"
    assert errors_of(inv) == [
        "calico_racks.r2.index: index 0 is already rack r1's: both racks would get the same pool. Fix: give every rack its own index."
    ]


# --- retired nodes ------------------------------------------------------------------------------

def test_retired_nodes_leave_the_plan_sorted_and_once():
    plan = plan_of(base(calico_retire=["n04", "n03", "n04"]))
    assert plan["retired_nodes"] == ["n03", "n04"] and sorted(plan["nodes"]) == ["n01", "n02"]


def test_retiring_an_unknown_host_or_every_node_is_refused():
    assert errors_of(base(calico_retire=["n09"])) == [
        "n09: is listed in calico_retire but is no host of k8s_cluster. Fix: list only nodes that are still in the inventory's k8s_cluster "
        "group (a node already removed from the inventory needs no retiring)."
    ]
    assert "calico_retire: lists every node of k8s_cluster. Fix: to remove Calico altogether, run playbooks/uninstall.yml." in errors_of(
        base(nodes=2, calico_retire=["n01", "n02"]))


def test_retired_reflector_no_longer_counts():
    inv = base(calico_bgp_mode="route_reflectors", calico_retire=["n01"])
    inv.groups["calico_route_reflectors"] = ["n01", "n02"]
    for name in ("n01", "n02"):
        inv.hosts[name]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    plan = plan_of(inv)
    assert plan["bgp"]["route_reflectors"] == ["n02"] and "n01" not in plan["nodes"]
    assert [p["name"] for p in plan["nodes"]["n03"]["peers"]] == ["n02"]


# --- nodes --------------------------------------------------------------------------------------

def test_node_entries_carry_address_roles_labels_and_mtu():
    plan = plan_of(tor_base(calico_interface_mtu=9000))
    assert plan["nodes"]["a1"]["roles"] == ["kube_control_plane"] and plan["nodes"]["b2"]["roles"] == ["kube_node"]
    a1 = plan["nodes"]["a1"]
    assert (a1["ip"], a1["ip6"], a1["rack"], a1["interface_mtu"]) == ("10.1.1.11", None, "r1", 9000)
    assert a1["labels"] == {"onprem.calico/rack": "r1"}
    assert plan_of(base())["nodes"]["n01"]["labels"] == {}


def test_empty_cluster_group_is_refused():
    inv = base()
    inv.groups["k8s_cluster"] = []
    assert "k8s_cluster: the group is empty or missing: there is no node to install Calico on. " \
           "Fix: put every Kubernetes node in k8s_cluster (children kube_control_plane and kube_node)." in errors_of(inv)


def test_node_listed_twice_or_also_a_router_is_refused():
    inv = base()
    inv.groups["k8s_cluster"].append("n02")
    assert errors_of(inv) == ["n02: is listed twice in k8s_cluster. Fix: list every node once."]
    inv = base()
    inv.groups["tor_routers"] = ["n02"]
    inv.hosts["n02"].update(calico_tor_platform="frr", calico_tor_asn=65100, calico_tor_router_id="10.255.0.1", calico_tor_peer_ip="10.10.0.1")
    assert "n02: is both a node (k8s_cluster) and a ToR router (tor_routers). Fix: a host is either a Calico node or a router." in errors_of(inv)


def test_reflector_outside_the_cluster_is_refused():
    inv = base(calico_bgp_mode="route_reflectors")
    inv.groups["calico_route_reflectors"] = ["n01", "rr9"]
    inv.hosts["n01"]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    assert errors_of(inv) == ["rr9: is in calico_route_reflectors but not in k8s_cluster. Fix: route reflectors are Calico nodes: add them to k8s_cluster."]


def test_reflector_cluster_id_is_required_and_dotted_quad():
    inv = base(calico_bgp_mode="route_reflectors")
    inv.groups["calico_route_reflectors"] = ["n01", "n02"]
    inv.hosts["n02"]["calico_route_reflector_cluster_id"] = "244.0.0.256"
    assert errors_of(inv) == [
        "n01: is a route reflector without calico_route_reflector_cluster_id. Fix: set it (e.g. 244.0.0.1) on the host or in "
        "group_vars/calico_route_reflectors.",
        "n02: calico_route_reflector_cluster_id '244.0.0.256' is not a dotted-quad (e.g. 244.0.0.1). Fix: set an IPv4-style cluster id.",
    ]


def test_node_addresses_must_be_distinct_addresses():
    inv = base()
    inv.hosts["n02"]["calico_node_ip"] = "10.10.0.10"
    assert errors_of(inv) == ["n02: has node address 10.10.0.10, already used by n01. Fix: give every node its own calico_node_ip."]
    inv = base()
    inv.hosts["n02"]["calico_node_ip"] = "10.10.0.300"
    assert errors_of(inv) == ["n02: calico_node_ip '10.10.0.300' is not an IP address. Fix: set the address calico-node uses for BGP and tunnels."]
    inv = base()
    inv.hosts["n02"]["ansible_host"] = "n02.example.com"
    assert errors_of(inv) == [
        "n02: has no node address: ansible_host is 'n02.example.com', not an IP, and calico_node_ip is not set. Fix: set calico_node_ip "
        "for each of these nodes (render-only runs never resolve names or gather facts)."
    ]


def test_calico_node_ip_wins_over_ansible_host():
    inv = base()
    inv.hosts["n02"].update(ansible_host="n02.example.com", calico_node_ip=" 10.10.0.99 ")
    assert plan_of(inv)["nodes"]["n02"]["ip"] == "10.10.0.99"


def test_node_ipv6_address_must_be_ipv6():
    inv = base()
    inv.hosts["n02"]["calico_node_ip6"] = "10.10.0.99"
    assert errors_of(inv) == ["n02: calico_node_ip6 '10.10.0.99' is not an IPv6 address. Fix: set an IPv6 address or remove it."]


def test_node_rack_must_be_named_defined_and_hold_the_address():
    inv = tor_base()
    inv.hosts["a1"]["calico_rack"] = " "
    assert "a1: calico_rack is empty. Fix: set the name of the node's rack (a key of calico_racks) or remove calico_rack." in errors_of(inv)
    inv = tor_base()
    inv.hosts["a1"]["calico_rack"] = "r9"
    assert "a1: calico_rack 'r9' is not defined in calico_racks. Fix: add rack r9 to calico_racks or fix the node's calico_rack." in errors_of(inv)
    inv = tor_base()
    inv.hosts["a1"]["calico_rack"] = "r2"
    assert "a1: address 10.1.1.11 is outside the subnets of rack r2 (10.1.2.0/24). Fix: fix calico_node_ip or the rack's subnets." in errors_of(inv)


@pytest.mark.parametrize("mtu", [576, 65535, "9000"])
def test_interface_mtu_inside_ipv4_bounds(mtu):
    # 576: the datagram every IPv4 host must accept (RFC 791); 65535: the IPv4 total-length limit.
    inv = base()
    inv.hosts["n02"]["calico_interface_mtu"] = mtu
    assert plan_of(inv)["nodes"]["n02"]["interface_mtu"] == int(mtu)


@pytest.mark.parametrize("mtu", [575, 65536, "jumbo"])
def test_interface_mtu_outside_bounds_is_refused(mtu):
    inv = base()
    inv.hosts["n02"]["calico_interface_mtu"] = mtu
    assert errors_of(inv) == ["n02: calico_interface_mtu %r is not an MTU (576..65535). Fix: set the node's uplink MTU, e.g. 1500 or 9000." % (mtu,)]


def test_node_as_is_checked_and_named_after_the_node():
    inv = base()
    inv.hosts["n02"]["calico_node_asn"] = 0
    assert errors_of(inv) == [
        "n02 (calico_node_asn): AS number 0 is not an integer in 1..4294967295. Fix: use a private AS such as 64512-65534 or 4200000000-4294967294."
    ]


def test_node_outside_the_node_subnets_is_refused():
    inv = base()
    inv.hosts["n02"]["calico_node_ip"] = "10.20.0.5"
    assert errors_of(inv) == ["n02: address 10.20.0.5 is outside calico_node_subnets. Fix: fix calico_node_ip or calico_node_subnets."]


# --- node networks ------------------------------------------------------------------------------

def test_node_subnets_are_collapsed_and_sources_cover_every_node():
    inv = tor_base(calico_node_subnets=["10.1.3.0/24"])
    inv.cluster["calico_racks"]["r1"]["subnets"] = ["10.1.0.0/24", "10.1.1.0/24"]
    inv.hosts["tor1"]["calico_tor_peer_ip"] = "10.1.1.1"
    cluster = plan_of(inv)["cluster"]
    # 10.1.0.0/24 to 10.1.3.0/24 (rack r1, rack r2, calico_node_subnets) make one /22.
    assert cluster["node_subnets"] == ["10.1.0.0/22"] and cluster["node_sources"] == ["10.1.0.0/22"]


def test_node_subnet_with_host_bits_is_refused_by_name():
    assert "calico_node_subnets: 10.20.0.1/16 has host bits set (the network is 10.20.0.0/16). Fix: use the network address: 10.20.0.0/16." \
        in errors_of(base(calico_node_subnets=["10.10.0.0/16", "10.20.0.1/16"]))


def test_node_sources_fall_back_to_host_routes_when_a_family_has_no_subnet():
    inv = base(nodes=2)
    inv.hosts["n01"]["calico_node_ip6"] = "fd00::10"
    inv.hosts["n02"]["calico_node_ip6"] = "fd00::11"
    cluster = plan_of(inv)["cluster"]
    assert cluster["node_subnets"] == ["10.10.0.0/16"]
    assert cluster["node_sources"] == ["10.10.0.0/16", "fd00::10/127"]


def test_node_address_below_every_node_subnet_gets_a_host_route():
    inv = base(nodes=2, calico_node_subnets=["10.10.0.0/16", "fd00:10::/64"])
    inv.hosts["n01"]["calico_node_ip6"] = "fd00:10::10"
    inv.hosts["n02"]["calico_node_ip6"] = "fd00:9::11"  # below the only IPv6 subnet
    cluster = plan_of(inv)["cluster"]
    assert cluster["node_subnets"] == ["10.10.0.0/16", "fd00:10::/64"]
    assert cluster["node_sources"] == ["10.10.0.0/16", "fd00:9::11/128", "fd00:10::10/128"]


def test_address_ranges_hold_only_addresses_inside_a_network():
    ranges = _Ranges([ipaddress.ip_network(n) for n in ("10.0.4.0/24", "10.0.1.0/24", "fd00::/64")])
    inside = ["10.0.1.0", "10.0.1.255", "10.0.4.7", "fd00::1"]
    outside = ["10.0.0.255", "10.0.2.0", "10.0.3.255", "10.0.5.0", "fcff::1", "fd00:0:0:1::"]
    assert [ipaddress.ip_address(a) in ranges for a in inside + outside] == [True] * len(inside) + [False] * len(outside)


# --- ToR routers --------------------------------------------------------------------------------

def test_router_entries_in_the_plan():
    router = plan_of(tor_base())["tor_routers"]["tor2"]
    assert {k: router[k] for k in ("name", "platform", "asn", "router_id", "peer_ip", "peer_ip6", "rack")} == {
        "name": "tor2", "platform": "frr", "asn": 65002, "router_id": "10.255.0.2", "peer_ip": "10.1.2.1", "peer_ip6": None, "rack": "r2"}


def test_as_per_rack_router_without_as_takes_the_rack_as():
    inv = tor_base()
    del inv.hosts["tor1"]["calico_tor_asn"]
    assert plan_of(inv)["tor_routers"]["tor1"]["asn"] == 65001
    inv = tor_base("downward_default")
    del inv.hosts["tor1"]["calico_tor_asn"]
    assert errors_of(inv) == [
        "tor1: calico_tor_asn is not set. Fix: set the AS number configured on the router (with calico_tor_design: as_per_rack its rack's "
        "asn is used when unset)."
    ]


def test_router_as_is_checked_and_named_after_the_router():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_asn"] = 4294967296
    assert "tor1 (calico_tor_asn): AS number 4294967296 is not an integer in 1..4294967295. " \
           "Fix: use a private AS such as 64512-65534 or 4200000000-4294967294." in errors_of(inv)


@pytest.mark.parametrize("platform", ["cumulus", None])
def test_router_platform_must_be_known(platform):
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_platform"] = platform
    assert "tor1: calico_tor_platform %r is not one of frr, eos, nxos, junos. Fix: set calico_tor_platform for the router." % (platform,) in errors_of(inv)


def test_router_id_must_be_dotted_quad():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_router_id"] = "router-1"
    assert errors_of(inv) == ["tor1: calico_tor_router_id 'router-1' is not a dotted-quad. Fix: set the router id, e.g. its loopback address."]


def test_router_peer_addresses_must_be_set_and_valid():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_peer_ip"] = ""
    assert errors_of(inv) == [
        "tor1: calico_tor_peer_ip is not set. Fix: set the address the rack's nodes peer with (the router's address on the rack subnet)."
    ]
    inv.hosts["tor1"]["calico_tor_peer_ip"] = "10.1.1.256"
    assert errors_of(inv) == [
        "tor1: calico_tor_peer_ip '10.1.1.256' is not an IP address. Fix: set the address the rack's nodes peer with (on the rack subnet)."
    ]
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_peer_ip6"] = "10.1.1.2"
    assert errors_of(inv) == [
        "tor1: calico_tor_peer_ip6 '10.1.1.2' is not an IPv6 address. Fix: set the router's IPv6 address on the rack subnet, or remove it."
    ]


def test_router_rack_variable_must_agree_with_the_rack_list():
    inv = tor_base()
    inv.hosts["tor1"]["calico_rack"] = "r2"
    assert errors_of(inv) == ["tor1: calico_rack is 'r2' but calico_racks lists it under r1. Fix: keep one: the rack's tor_routers list."]
    inv.hosts["tor1"]["calico_rack"] = "r1"
    assert plan_of(inv)["tor_routers"]["tor1"]["rack"] == "r1"


def test_frr_router_refuses_a_network_connection():
    inv = tor_base()
    inv.hosts["tor1"]["ansible_connection"] = "ansible.netcommon.network_cli"
    assert errors_of(inv) == [
        "tor1: calico_tor_platform frr with ansible_connection ansible.netcommon.network_cli: FRR routers are configured over SSH with "
        "Python. Fix: remove ansible_connection for these routers (or use ssh)."
    ]
    inv.hosts["tor1"]["ansible_connection"] = "ssh"
    assert plan_of(inv)["tor_routers"]["tor1"]["platform"] == "frr"


@pytest.mark.parametrize("connection", ["ansible.netcommon.network_cli", "network_cli", "ansible.netcommon.httpapi", "httpapi"])
def test_eos_router_over_cli_or_eapi(connection):
    inv = tor_base()
    inv.hosts["tor1"].update(eos(ansible_connection=connection, ansible_network_os="eos"))
    assert plan_of(inv)["tor_routers"]["tor1"]["platform"] == "eos"


def test_network_router_needs_its_network_os_and_connection():
    inv = tor_base()
    inv.hosts["tor1"].update(eos(ansible_network_os=""))
    del inv.hosts["tor1"]["ansible_connection"]
    assert errors_of(inv) == [
        "tor1: calico_tor_platform eos needs ansible_network_os, which is not set. Fix: set ansible_network_os: arista.eos.eos for these routers.",
        "tor1: calico_tor_platform eos needs ansible_connection, which is not set. Fix: set ansible_connection: ansible.netcommon.network_cli "
        "for these routers.",
    ]


def test_network_router_refuses_another_platform_os_or_connection():
    inv = tor_base()
    inv.hosts["tor1"].update(eos(ansible_network_os="cisco.nxos.nxos", ansible_connection="ssh"))
    assert errors_of(inv) == [
        "tor1: calico_tor_platform eos needs ansible_network_os arista.eos.eos, not cisco.nxos.nxos. Fix: set ansible_network_os: "
        "arista.eos.eos for these routers.",
        "tor1: calico_tor_platform eos needs ansible_connection ansible.netcommon.network_cli or ansible.netcommon.httpapi, not ssh. "
        "Fix: set ansible_connection: ansible.netcommon.network_cli for these routers.",
    ]
    inv = tor_base()
    inv.hosts["tor1"].update(calico_tor_platform="junos", ansible_network_os="junos", ansible_connection="network_cli")
    assert errors_of(inv) == [
        "tor1: calico_tor_platform junos needs ansible_connection ansible.netcommon.netconf, not network_cli. "
        "Fix: set ansible_connection: ansible.netcommon.netconf for these routers."
    ]
