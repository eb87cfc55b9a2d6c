"""The BGP section of the plan: AS numbers (RFC 6793, RFC 6996), timers (RFC 4271), the listen port,
route reflectors, full-mesh scale, communities, the BGP password in production and the node side
of each ToR design (docs/bgp.md). Each refusal is stated in full: it names the host or variable and
says how to fix it, which is all a user gets when the plan stops."""

from __future__ import annotations

import pytest
from plan_inputs import base, errors_of, plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

PRIVATE_AS_FIX = "Fix: use a private AS such as 64512-65534 or 4200000000-4294967294."


def warnings_of(inv):
    return [str(w) for w in build_plan(inv).warnings]


def about(issues, subject):
    return [i for i in issues if i.startswith(subject + ":")]


def route_reflector_cluster(reflectors=("n01", "n02"), nodes=4, **cluster):
    inv = base(nodes=nodes, **{"calico_bgp_mode": "route_reflectors", **cluster})
    inv.groups["calico_route_reflectors"] = list(reflectors)
    for name in reflectors:
        inv.hosts[name]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    return inv


# --- AS numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("asn", [0, 4294967296, -1])
def test_as_number_outside_32_bits_is_refused(asn):
    # RFC 6793: an AS number is a 4-octet unsigned integer; 0 is reserved (RFC 7607).
    assert errors_of(base(calico_asn=asn)) == ["calico_asn: AS number %d is not an integer in 1..4294967295. %s" % (asn, PRIVATE_AS_FIX)]


def test_as_trans_is_refused():
    assert errors_of(base(calico_asn=23456)) == [
        "calico_asn: AS 23456 is AS_TRANS (RFC 6793), reserved for 4-byte AS transition. Fix: use another AS number, e.g. from 64512-65534."
    ]


@pytest.mark.parametrize("asn", [64512, 65534, 4200000000, 4294967294])
def test_private_as_numbers_are_taken_quietly(asn):
    # RFC 6996: 64512-65534 and 4200000000-4294967294 are for private use.
    result = build_plan(base(calico_asn=asn))
    assert result.ok and result.plan["bgp"]["asn"] == asn and result.warnings == []
    assert {n["asn"] for n in result.plan["nodes"].values()} == {asn}


@pytest.mark.parametrize("asn", [1, 64511, 65535, 4199999999, 4294967295])
def test_public_as_numbers_are_taken_with_a_warning(asn):
    result = build_plan(base(calico_asn=asn))
    assert result.ok and result.plan["bgp"]["asn"] == asn
    assert [str(w) for w in result.warnings] == [
        "calico_asn: AS %d is not a private AS number (64512-65534, 4200000000-4294967294). Fix: use a private AS unless this AS is yours." % asn
    ]


def test_refused_asn_leaves_every_other_check_running():
    # The plan goes on with a stand-in AS, so a second mistake is reported in the same run.
    errors = errors_of(base(calico_asn=0, calico_bgp_listen_port=0))
    assert len(errors) == 2 and errors[1] == "calico_bgp_listen_port: 0 is not a TCP port. Fix: use 179 unless you have a reason."


# --- timers and port ----------------------------------------------------------------------------

def test_timers_default_to_keepalive_30_hold_90():
    assert plan_of(base())["bgp"]["timers"] == {"keepalive": 30, "hold": 90, "connect_retry": 10}


def test_timers_set_one_key_and_keep_the_others():
    plan = plan_of(tor_base(calico_bgp_timers={"keepalive": 3, "hold": "9"}))
    assert plan["bgp"]["timers"] == {"keepalive": 3, "hold": 9, "connect_retry": 10}
    assert plan["tor_routers"]["tor1"]["timers"] == {"keepalive": 3, "hold": 9, "connect_retry": 10}


@pytest.mark.parametrize("timers", [{"keepalive": 3, "hold": 9}, {"keepalive": 30, "hold": 0}, {"keepalive": 0, "hold": 0}])
def test_hold_of_three_keepalives_or_zero_is_quiet(timers):
    # RFC 4271 4.4: keepalive is a third of hold; hold 0 turns both off.
    assert warnings_of(base(calico_bgp_timers=timers)) == []


def test_hold_below_three_keepalives_is_warned():
    inv = base(calico_bgp_timers={"keepalive": 10, "hold": 29})
    assert plan_of(inv)["bgp"]["timers"]["hold"] == 29
    assert warnings_of(inv) == ["calico_bgp_timers: hold 29 is less than three keepalives (10). Fix: hold should be 3x keepalive."]


@pytest.mark.parametrize("timers, shown", [({"hold_time": 90}, "hold_time: 90"), ({"keepalive": -1}, "keepalive: -1"),
                                           ({"hold": "soon"}, "hold: 'soon'"), ({"hold": True}, "hold: True")])
def test_unknown_or_negative_timer_is_refused(timers, shown):
    assert errors_of(base(calico_bgp_timers=timers)) == [
        "calico_bgp_timers: %s is not a known timer with a non-negative integer. Fix: use keys keepalive, hold, connect_retry." % shown
    ]


@pytest.mark.parametrize("port", [1, 179, 65535])
def test_listen_port_inside_tcp_range(port):
    assert plan_of(base(calico_bgp_listen_port=port))["bgp"]["listen_port"] == port


@pytest.mark.parametrize("port", [0, 65536])
def test_listen_port_outside_tcp_range_is_refused(port):
    assert errors_of(base(calico_bgp_listen_port=port)) == ["calico_bgp_listen_port: %d is not a TCP port. Fix: use 179 unless you have a reason." % port]


# --- full mesh and route reflectors -------------------------------------------------------------

def test_full_mesh_is_the_default_with_the_node_mesh_on():
    bgp = plan_of(base())["bgp"]
    assert bgp["mode"] == "full_mesh" and bgp["node_to_node_mesh"] is True and bgp["tor_design"] is None
    assert bgp["route_reflectors"] == [] and bgp["tor_import_filter"] is None


def test_full_mesh_of_100_nodes_is_quiet_and_101_is_warned():
    assert about(warnings_of(base(nodes=100)), "calico_bgp_mode") == []
    assert about(warnings_of(base(nodes=101)), "calico_bgp_mode") == [
        "calico_bgp_mode: full mesh with 101 nodes means 100 BGP sessions per node; above 100 nodes this does not scale. "
        "Fix: use calico_bgp_mode: route_reflectors (or tor)."
    ]


def test_full_mesh_over_100_nodes_is_an_error_in_production():
    result = build_plan(base(nodes=101, calico_production=True))
    assert about([str(e) for e in result.errors], "calico_bgp_mode") == [
        "calico_bgp_mode: full mesh with 101 nodes means 100 BGP sessions per node; above 100 nodes this does not scale. "
        "Fix: use calico_bgp_mode: route_reflectors (or tor)."
    ]
    assert about([str(w) for w in result.warnings], "calico_bgp_mode") == []


def test_reflectors_peer_with_each_other_and_every_client():
    plan = plan_of(route_reflector_cluster())
    assert plan["bgp"]["route_reflectors"] == ["n01", "n02"] and plan["bgp"]["node_to_node_mesh"] is False
    nodes = plan["nodes"]
    assert nodes["n01"]["peers"] == [
        {"name": "n02", "ip": "10.10.0.11", "asn": 64512, "kind": "route_reflector"},
        {"name": "n03", "ip": "10.10.0.12", "asn": 64512, "kind": "node"},
        {"name": "n04", "ip": "10.10.0.13", "asn": 64512, "kind": "node"},
    ]
    assert nodes["n03"]["peers"] == [
        {"name": "n01", "ip": "10.10.0.10", "asn": 64512, "kind": "route_reflector"},
        {"name": "n02", "ip": "10.10.0.11", "asn": 64512, "kind": "route_reflector"},
    ]
    assert nodes["n01"]["labels"]["route-reflector"] == "true" and "route-reflector" not in nodes["n03"]["labels"]
    assert nodes["n01"]["route_reflector"] is True and nodes["n01"]["route_reflector_cluster_id"] == "244.0.0.1"
    assert nodes["n03"]["route_reflector"] is False and nodes["n03"]["route_reflector_cluster_id"] is None
    assert plan["bgp"]["route_reflector_label"] == "route-reflector"


def test_route_reflectors_mode_needs_one_reflector():
    assert errors_of(route_reflector_cluster(reflectors=())) == [
        "calico_route_reflectors: has 0 route reflector(s); route_reflectors mode needs at least 1. Fix: add nodes of k8s_cluster to "
        "calico_route_reflectors (reflectors listed in calico_retire no longer count: make another node a reflector first)."
    ]
    assert plan_of(route_reflector_cluster(reflectors=("n01",)))["bgp"]["route_reflectors"] == ["n01"]


def test_route_reflectors_mode_needs_two_reflectors_in_production():
    errors = errors_of(route_reflector_cluster(reflectors=("n01",), calico_production=True, calico_bgp_password="s3cret"))
    assert about(errors, "calico_route_reflectors") == [
        "calico_route_reflectors: has 1 route reflector(s); route_reflectors mode needs at least 2 in production. Fix: add nodes of "
        "k8s_cluster to calico_route_reflectors (reflectors listed in calico_retire no longer count: make another node a reflector first)."
    ]
    assert about(errors_of(route_reflector_cluster(calico_production=True, calico_bgp_password="s3cret")), "calico_route_reflectors") == []


def test_reflector_group_outside_route_reflectors_mode_makes_ordinary_nodes():
    inv = route_reflector_cluster(calico_bgp_mode="full_mesh")
    assert about(warnings_of(inv), "calico_route_reflectors") == [
        "calico_route_reflectors: has hosts but calico_bgp_mode is full_mesh: they are treated as ordinary nodes. "
        "Fix: set calico_bgp_mode: route_reflectors or empty the group."
    ]
    plan = plan_of(inv)
    assert plan["bgp"]["route_reflectors"] == []
    n01 = plan["nodes"]["n01"]
    assert n01["route_reflector"] is False and n01["route_reflector_cluster_id"] is None and "route-reflector" not in n01["labels"]
    assert n01["peers"] == []


# --- modes and designs --------------------------------------------------------------------------

def test_tor_mode_needs_a_design():
    inv = tor_base()
    del inv.cluster["calico_tor_design"]
    assert errors_of(inv) == [
        "calico_tor_design: is required with calico_bgp_mode: tor. Fix: set it to as_per_rack, as_per_node or downward_default (docs/bgp.md)."
    ]


def test_design_and_routers_without_tor_mode_are_ignored_with_warnings():
    inv = tor_base(calico_bgp_mode="full_mesh", calico_encapsulation="vxlan_cross_subnet")
    assert warnings_of(inv) == [
        "calico_tor_design: is set but calico_bgp_mode is full_mesh; it is ignored. Fix: remove calico_tor_design or set calico_bgp_mode: tor.",
        "tor_routers: has 2 router(s) but calico_bgp_mode is full_mesh: no ToR configuration is rendered. "
        "Fix: set calico_bgp_mode: tor to peer nodes with their ToRs.",
    ]
    bgp = plan_of(inv)["bgp"]
    assert bgp["tor_design"] is None and bgp["tor_import_filter"] is None and bgp["node_to_node_mesh"] is True


@pytest.mark.parametrize("design, node_asn, source", [("as_per_rack", 65001, "rack"), ("downward_default", 64512, "global")])
def test_node_as_per_design(design, node_asn, source):
    plan = plan_of(tor_base(design))
    a1 = plan["nodes"]["a1"]
    assert (a1["asn"], a1["asn_source"]) == (node_asn, source)
    assert plan["bgp"]["tor_design"] == design and plan["bgp"]["node_to_node_mesh"] is False
    tor_asn = 65001 if design == "as_per_rack" else 65100
    assert a1["peers"] == [{"name": "tor1", "ip": "10.1.1.1", "ip6": None, "asn": tor_asn, "kind": "tor"}]


def test_as_per_node_keeps_each_node_as():
    inv = tor_base("as_per_node")
    for i, node in enumerate(("a1", "a2", "b1", "b2")):
        inv.hosts[node]["calico_node_asn"] = 4200000001 + i
    nodes = plan_of(inv)["nodes"]
    assert [(nodes[n]["asn"], nodes[n]["asn_source"]) for n in ("a1", "b2")] == [(4200000001, "node"), (4200000004, "node")]


def test_as_per_node_needs_every_node_as():
    inv = tor_base("as_per_node")
    inv.hosts["a1"]["calico_node_asn"] = 65201
    errors = build_plan(inv).errors
    assert [str(e) for e in errors] == ["a2, b1, b2: has no calico_node_asn; as_per_node gives every node its own AS. "
                                        "Fix: set calico_node_asn for each of these nodes."]


def test_as_per_node_refuses_the_tor_as_and_warns_on_shared_as():
    inv = tor_base("as_per_node")
    for node, asn in (("a1", 65100), ("a2", 65201), ("b1", 65201), ("b2", 65202)):
        inv.hosts[node]["calico_node_asn"] = asn
    assert errors_of(inv) == ["a1: calico_node_asn 65100 equals ToR tor1's AS; as_per_node needs eBGP. Fix: give the node its own AS."]
    inv.hosts["a1"]["calico_node_asn"] = 65200
    assert warnings_of(inv) == ["b1: shares AS 65201 with a2; as_per_node expects one AS per node. Fix: give each node its own calico_node_asn."]


def test_node_as_against_the_rack_as():
    inv = tor_base()
    inv.hosts["a1"]["calico_node_asn"] = 65009
    assert errors_of(inv) == ["a1: calico_node_asn 65009 differs from rack r1's asn 65001 (as_per_rack). Fix: remove calico_node_asn; the rack's AS applies."]
    inv.hosts["a1"]["calico_node_asn"] = 65001
    assert plan_of(inv)["nodes"]["a1"]["asn_source"] == "rack"


def test_downward_default_refuses_tor_as_equal_to_the_nodes():
    assert errors_of(tor_base("downward_default", calico_asn=65100)) == [
        "tor1, tor2: calico_tor_asn 65100 equals calico_asn; downward_default peers over eBGP. Fix: give the ToRs their own AS."
    ]


def test_as_per_rack_tor_as_must_be_the_rack_as():
    inv = tor_base()
    inv.hosts["tor2"]["calico_tor_asn"] = 65003
    assert errors_of(inv) == [
        "tor2: calico_tor_asn 65003 (the AS configured on the router) differs from rack r2's asn 65002; as_per_rack peers the rack's nodes "
        "with their ToR over iBGP, so both must be equal. Fix: set calico_racks.r2.asn to 65003 to match the router (this collection "
        "never changes a router's AS), or correct calico_tor_asn if the router really runs AS 65002."
    ]


def test_racks_sharing_an_as_are_refused_unless_the_fabric_allows_it():
    inv = tor_base()
    inv.cluster["calico_racks"]["r2"]["asn"] = 65001
    inv.hosts["tor2"]["calico_tor_asn"] = 65001
    assert errors_of(inv) == [
        "calico_racks: racks r1, r2 share AS 65001: a route from one of them reaches the others with AS 65001 in its path, and their ToRs "
        "drop it (BGP loop prevention), so pods in these racks cannot reach each other. Fix: give every rack its own asn, or, when the ToRs "
        "accept their own AS (allowas-in) or the spine rewrites it (as-override), set calico_tor_allow_duplicate_rack_asn: true."
    ]
    inv.cluster["calico_tor_allow_duplicate_rack_asn"] = True
    assert {n["asn"] for n in plan_of(inv)["nodes"].values()} == {65001}


def test_as_per_rack_rack_needs_an_as():
    inv = tor_base()
    del inv.cluster["calico_racks"]["r2"]["asn"]
    assert errors_of(inv) == ["calico_racks.r2.asn: is required with calico_tor_design: as_per_rack. Fix: give the rack its AS number."]


def test_rack_without_routers_or_subnets_is_refused():
    inv = tor_base()
    inv.cluster["calico_racks"]["r2"].update(tor_routers=[], subnets=[])
    inv.groups["tor_routers"] = ["tor1"]
    errors = errors_of(inv)
    assert "b1, b2: is in rack r2, which has no tor_routers. Fix: list the rack's ToRs in calico_racks.r2.tor_routers." in errors
    assert "calico_racks.r2: has nodes but no subnets. Fix: list the rack's node subnets (ToR peer addresses and filters are derived from them)." in errors


def test_router_outside_every_rack_is_refused():
    inv = tor_base()
    inv.cluster["calico_racks"]["r2"]["tor_routers"] = []
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = ["tor1"]
    assert "tor2: is not listed under any rack's tor_routers. Fix: add it to calico_racks.<rack>.tor_routers." in errors_of(inv)


def test_router_peer_address_must_be_on_its_rack_subnet():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_peer_ip"] = "10.1.2.1"
    assert errors_of(inv) == [
        "tor1: calico_tor_peer_ip 10.1.2.1 is outside rack r1's subnets (10.1.1.0/24). Fix: use the router's address on the rack subnet."
    ]


def test_peers_list_the_tors_first_then_by_name():
    inv = tor_base()
    inv.groups["tor_routers"].append("tor1b")
    inv.hosts["tor1b"] = dict(inv.hosts["tor1"], calico_tor_router_id="10.255.0.11", calico_tor_peer_ip="10.1.1.2")
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = ["tor1b", "tor1"]
    peers = plan_of(inv)["nodes"]["a1"]["peers"]
    assert [p["name"] for p in peers] == ["tor1", "tor1b"] and {p["kind"] for p in peers} == {"tor"}


# --- services, communities, password ------------------------------------------------------------

def test_service_ranges_advertised_only_when_asked():
    assert plan_of(base())["bgp"]["service_cluster_ips"] == []
    bgp = plan_of(base(calico_advertise_service_cluster_ips=True, calico_advertise_service_external_ips=["203.0.113.0/28"],
                       calico_advertise_service_loadbalancer_ips=["198.51.100.0/26"]))["bgp"]
    assert bgp["service_cluster_ips"] == ["10.96.0.0/12"]  # the kubeadm default service range
    assert bgp["service_external_ips"] == ["203.0.113.0/28"] and bgp["service_loadbalancer_ips"] == ["198.51.100.0/26"]


def test_service_range_with_host_bits_is_refused():
    assert errors_of(base(calico_advertise_service_external_ips=["203.0.113.1/28"])) == [
        "calico_advertise_service_external_ips: 203.0.113.1/28 has host bits set (the network is 203.0.113.0/28). Fix: use the network address: 203.0.113.0/28."
    ]


def test_communities_become_prefix_advertisements_per_cidr():
    bgp = plan_of(base(calico_bgp_communities=[
        {"name": "pods", "value": "65000:100", "prefixes": ["default-ipv4-ippool", "10.20.0.0/16"]},
        {"name": "large", "value": "65000:100:200", "prefixes": ["10.20.0.0/16"]},  # RFC 8092 large community
    ]))["bgp"]
    assert bgp["communities"] == [{"name": "pods", "value": "65000:100"}, {"name": "large", "value": "65000:100:200"}]
    assert bgp["prefix_advertisements"] == [
        {"cidr": "10.20.0.0/16", "communities": ["pods", "large"]},
        {"cidr": "192.168.0.0/16", "communities": ["pods"]},
    ]


@pytest.mark.parametrize("entry", [{"name": "pods", "value": "65000"}, {"value": "65000:100", "prefixes": ["10.0.0.0/8"]}, "65000:100"])
def test_malformed_community_is_refused(entry):
    assert errors_of(base(calico_bgp_communities=[entry])) == [
        "calico_bgp_communities[0]: must be {name, value, prefixes} with value like 65000:100 or 65000:100:200. Fix: fix the entry."
    ]


def test_community_without_prefix_or_with_unknown_prefix_is_refused():
    assert errors_of(base(calico_bgp_communities=[{"name": "pods", "value": "65000:100"}])) == [
        "calico_bgp_communities[0]: (pods) is attached to no prefix; calicoctl refuses a community that no prefixAdvertisement uses. "
        "Fix: add prefixes: [<pool name or CIDR>] to it (pools: default-ipv4-ippool), or remove it."
    ]
    assert errors_of(base(calico_bgp_communities=[{"name": "pods", "value": "65000:100", "prefixes": ["nopool"]}])) == [
        "calico_bgp_communities[0]: prefix 'nopool' is neither a pool name nor a CIDR. "
        "Fix: use one of the pools (default-ipv4-ippool) or a CIDR such as 10.244.0.0/16."
    ]


def test_production_tor_peering_needs_a_password_or_a_waiver():
    errors = errors_of(tor_base(calico_production=True))
    assert about(errors, "calico_bgp_password") == [
        "calico_bgp_password: is required for ToR peering with calico_production: true: without it any host on a node subnet can open a "
        "BGP session and announce the prefixes the filters accept. Fix: set calico_bgp_password (from a vault, docs/security.md), "
        "or accept the risk with calico_bgp_password_waived: true."
    ]
    waived = warnings_of(tor_base(calico_production=True, calico_bgp_password_waived=True))
    assert about(waived, "calico_bgp_password") == [
        "calico_bgp_password: is not set: ToR peering runs without TCP MD5 authentication (calico_bgp_password_waived: true). "
        "Fix: set calico_bgp_password (from a vault) and remove calico_bgp_password_waived."
    ]


def test_production_route_reflector_peering_needs_a_password():
    errors = errors_of(route_reflector_cluster(calico_production=True))
    assert about(errors, "calico_bgp_password") == [
        "calico_bgp_password: is required for route reflector peering with calico_production: true: without it any host on a node subnet "
        "can open a BGP session and announce the prefixes the filters accept. Fix: set calico_bgp_password (from a vault, docs/security.md), "
        "or accept the risk with calico_bgp_password_waived: true."
    ]
    # A full mesh has no listening reflector or router: no password needed.
    assert about(errors_of(base(calico_production=True)), "calico_bgp_password") == []


def test_password_is_a_secret_reference_never_the_value():
    bgp = plan_of(tor_base(calico_bgp_password="s3cret"))["bgp"]
    assert bgp["password"] == {"enabled": True, "secret_name": "calico-bgp-password", "secret_key": "password", "namespace": "kube-system"}
    assert "s3cret" not in repr(bgp)
    assert plan_of(tor_base())["bgp"]["password"]["enabled"] is False


def dual_stack_tor_cluster():
    inv = tor_base(calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="vxlan")
    for rack in (1, 2):
        inv.cluster["calico_racks"]["r%d" % rack]["subnets"].append("fd00:1:%d::/64" % rack)
        inv.hosts["tor%d" % rack]["calico_tor_peer_ip6"] = "fd00:1:%d::1" % rack
    for node, ip6 in (("a1", "fd00:1:1::11"), ("a2", "fd00:1:1::12"), ("b1", "fd00:1:2::11"), ("b2", "fd00:1:2::12")):
        inv.hosts[node]["calico_node_ip6"] = ip6
    return inv


def test_dual_stack_tor_mode_needs_ipv6_addresses_on_both_ends():
    # calico-node's bird6 peers only with IPv6 neighbours: IPv6 routes need IPv6 sessions.
    inv = dual_stack_tor_cluster()
    assert plan_of(inv)["nodes"]["b1"]["peers"][0]["ip6"] == "fd00:1:2::1"
    del inv.hosts["tor2"]["calico_tor_peer_ip6"]
    del inv.hosts["b1"]["calico_node_ip6"]
    errors = errors_of(inv)
    assert "tor2: has no calico_tor_peer_ip6, but calico_pod_cidr_v6 is set and calico_bgp_mode is tor: IPv6 routes need IPv6 sessions. " \
           "Fix: set calico_tor_peer_ip6 to each router's IPv6 address on its rack subnet." in errors
    assert "b1: has no calico_node_ip6, but calico_pod_cidr_v6 is set and calico_bgp_mode is tor: IPv6 routes need IPv6 sessions. " \
           "Fix: set calico_node_ip6 for each of these nodes." in errors


def test_tor_mode_node_without_a_rack_is_refused():
    inv = tor_base()
    del inv.hosts["a2"]["calico_rack"]
    assert errors_of(inv) == [
        "a2: has no calico_rack, but calico_bgp_mode is tor: every node peers with its rack's ToRs. Fix: set calico_rack for each of these nodes."
    ]


def test_single_stack_cluster_peers_over_ipv4_only_even_if_the_router_has_ipv6():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_peer_ip6"] = "fd00:1:1::1"
    plan = plan_of(inv)
    assert plan["tor_routers"]["tor1"]["peer_ip6"] == "fd00:1:1::1"
    assert plan["nodes"]["a1"]["peers"] == [{"name": "tor1", "ip": "10.1.1.1", "ip6": None, "asn": 65001, "kind": "tor"}]


# --- what a node takes from its ToRs (BGPFilter) ------------------------------------------------

def accept_in(cidr):
    return {"action": "Accept", "matchOperator": "In", "cidr": cidr}


def test_tor_import_filter_takes_the_pools_and_rejects_the_rest():
    # calico-node accepts whatever the BGPFilter does not decide, so the last rule must reject.
    assert plan_of(tor_base())["bgp"]["tor_import_filter"] == {
        "name": "onprem-calico-tor-import", "import_v4": [accept_in("192.168.0.0/16"), {"action": "Reject"}], "import_v6": []}


def test_tor_import_filter_takes_the_default_where_the_design_sends_one():
    default_v4 = {"action": "Accept", "matchOperator": "Equal", "cidr": "0.0.0.0/0"}
    for inv in (tor_base("downward_default"), tor_base(calico_tor_send_default=True)):
        assert plan_of(inv)["bgp"]["tor_import_filter"]["import_v4"] == [accept_in("192.168.0.0/16"), default_v4, {"action": "Reject"}]


def test_tor_import_filter_of_a_dual_stack_cluster_has_ipv6_rules():
    inv = dual_stack_tor_cluster()
    inv.cluster["calico_tor_send_default"] = True
    rules = plan_of(inv)["bgp"]["tor_import_filter"]
    assert rules["import_v6"] == [accept_in("fd00:10::/48"), {"action": "Accept", "matchOperator": "Equal", "cidr": "::/0"}, {"action": "Reject"}]


def test_tor_import_filter_collapses_neighbouring_rack_pools():
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22)
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 1
    assert plan_of(inv)["bgp"]["tor_import_filter"]["import_v4"] == [accept_in("10.244.0.0/21"), {"action": "Reject"}]


def test_as_per_node_shared_as_names_the_first_node_holding_it():
    inv = tor_base("as_per_node")
    for node, asn in (("a1", 65200), ("a2", 65201), ("b1", 65201), ("b2", 65201)):
        inv.hosts[node]["calico_node_asn"] = asn
    assert warnings_of(inv) == [
        "b1, b2: shares AS 65201 with a2; as_per_node expects one AS per node. Fix: give each node its own calico_node_asn."
    ]


def test_community_naming_one_prefix_twice_is_advertised_once():
    bgp = plan_of(base(calico_bgp_communities=[{"name": "pods", "value": "65000:100", "prefixes": ["10.20.0.0/16", "10.20.0.0/16"]}]))["bgp"]
    assert bgp["prefix_advertisements"] == [{"cidr": "10.20.0.0/16", "communities": ["pods"]}]


def test_unknown_community_prefix_lists_every_pool():
    inv = base(calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="vxlan",
               calico_bgp_communities=[{"name": "pods", "value": "65000:100", "prefixes": ["nopool"]}])
    assert errors_of(inv) == [
        "calico_bgp_communities[0]: prefix 'nopool' is neither a pool name nor a CIDR. "
        "Fix: use one of the pools (default-ipv4-ippool, default-ipv6-ippool) or a CIDR such as 10.244.0.0/16."
    ]
