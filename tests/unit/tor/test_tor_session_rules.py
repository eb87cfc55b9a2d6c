"""What each ToR configures towards the nodes of its rack (plan.tor_sessions): the session per design
(docs/bgp.md), neighbours, listen ranges, graceful restart, limits, the object prefix, the prefixes
a router accepts and sends down, and the integer range arithmetic behind the rack pools, checked
against the standard library's own network arithmetic."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from plan_inputs import errors_of, plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan.tor_sessions import _cidrs, _without


def router(inv, name="tor1"):
    return plan_of(inv)["tor_routers"][name]


def as_per_node():
    inv = tor_base("as_per_node")
    for i, node in enumerate(("a1", "a2", "b1", "b2")):
        inv.hosts[node]["calico_node_asn"] = 65201 + i
    return inv


# --- the session per design ---------------------------------------------------------------------

def test_as_per_rack_is_ibgp_with_the_router_reflecting_for_its_nodes():
    tor1 = router(tor_base())
    assert (tor1["design"], tor1["session_type"], tor1["route_reflector_client"], tor1["next_hop_self"]) == ("as_per_rack", "ibgp", True, True)
    assert tor1["multipath_relax"] is False and tor1["send_pool_blocks"] is True and tor1["send_default"] is False
    # The reflector cluster id defaults to the router id.
    assert tor1["cluster_id"] == "10.255.0.1"


def test_as_per_node_is_ebgp_with_multipath_relax():
    tor1 = router(as_per_node())
    assert (tor1["design"], tor1["session_type"], tor1["route_reflector_client"], tor1["next_hop_self"]) == ("as_per_node", "ebgp", False, False)
    assert tor1["multipath_relax"] is True and tor1["cluster_id"] is None and tor1["send_default"] is False
    assert tor1["neighbors"] == [{"node": "a1", "ip": "10.1.1.11", "ip6": None, "asn": 65201},
                                 {"node": "a2", "ip": "10.1.1.12", "ip6": None, "asn": 65202}]


def test_downward_default_sends_only_the_learned_default():
    tor1 = router(tor_base("downward_default"))
    assert (tor1["session_type"], tor1["send_pool_blocks"], tor1["send_default"], tor1["cluster_id"]) == ("ebgp", False, True, None)
    assert tor1["neighbors"][0]["asn"] == 64512


def test_as_per_node_passes_the_default_down_only_when_asked():
    inv = as_per_node()
    inv.cluster["calico_tor_send_default"] = True
    tor1 = router(inv)
    assert tor1["send_default"] is True and tor1["send_pool_blocks"] is True


def test_reflector_cluster_id_can_be_set_per_router_and_must_be_dotted_quad():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_cluster_id"] = "10.255.255.1"
    assert router(inv)["cluster_id"] == "10.255.255.1"
    inv.hosts["tor1"]["calico_tor_cluster_id"] = "rack-1"
    assert errors_of(inv) == [
        "tor1: calico_tor_cluster_id 'rack-1' is not a dotted-quad. Fix: use an IPv4-style id or remove it (the router id is used)."
    ]


def test_neighbours_are_ordered_by_address_not_by_text():
    inv = tor_base()
    inv.hosts["a2"]["calico_node_ip"] = "10.1.1.9"
    assert [n["ip"] for n in router(inv)["neighbors"]] == ["10.1.1.9", "10.1.1.11"]


# --- listen ranges ------------------------------------------------------------------------------

def test_listen_limit_is_at_least_16_and_one_per_session():
    inv = tor_base(calico_tor_neighbor_mode="listen_range", calico_node_subnets=[])
    for i in range(3, 10):
        name = "a%d" % i
        inv.groups["k8s_cluster"].append(name)
        inv.groups["kube_node"].append(name)
        inv.hosts[name] = {"ansible_host": "10.1.1.%d" % (10 + i), "calico_rack": "r1"}
    plan = plan_of(inv)
    assert len(plan["racks"]["r1"]["nodes"]) == 9
    assert plan["tor_routers"]["tor1"]["listen_limit"] == 18  # nine nodes, one IPv4 session each
    assert plan["tor_routers"]["tor2"]["listen_limit"] == 16
    assert plan["tor_routers"]["tor1"]["neighbor_mode"] == "listen_range"
    explicit = router(tor_base())
    assert explicit["neighbor_mode"] == "explicit" and explicit["listen_limit"] is None


# --- prefixes -----------------------------------------------------------------------------------

def test_router_accepts_the_pool_blocks_and_the_advertised_service_ranges():
    inv = tor_base(calico_advertise_service_cluster_ips=True, calico_advertise_service_external_ips=["203.0.113.0/28"],
                   calico_advertise_service_loadbalancer_ips=["2001:db8::/120"])
    assert router(inv)["accept_prefixes"] == [
        {"prefix": "192.168.0.0/16", "ge": 26, "le": 32, "family": 4},
        {"prefix": "10.96.0.0/12", "ge": None, "le": 32, "family": 4},
        {"prefix": "203.0.113.0/28", "ge": None, "le": 32, "family": 4},
        {"prefix": "2001:db8::/120", "ge": None, "le": 128, "family": 6},
    ]


def test_block_as_long_as_a_host_route_has_no_ge():
    tor1 = router(tor_base(calico_block_size=32))
    assert tor1["pool_blocks"] == [{"prefix": "192.168.0.0/16", "ge": None, "le": 32, "family": 4}]


def racked():
    """Rack pools of /22 from 10.244.0.0/16: r1 at index 0, r2 at index 3."""
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    return inv


def test_rack_pools_own_rack_accepted_and_aggregated_other_racks_sent_down_whole():
    tors = plan_of(racked())["tor_routers"]
    assert tors["tor1"]["accept_prefixes"] == [{"prefix": "10.244.0.0/22", "ge": 26, "le": 32, "family": 4}]
    assert tors["tor1"]["aggregates"] == [{"prefix": "10.244.0.0/22", "family": 4}]
    assert tors["tor1"]["pool_blocks"] == [
        {"prefix": "10.244.0.0/22", "ge": 26, "le": 32, "family": 4},
        {"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4},
    ]
    assert tors["tor2"]["aggregates"] == [{"prefix": "10.244.12.0/22", "family": 4}]
    assert tors["tor2"]["pool_blocks"][1] == {"prefix": "10.244.0.0/22", "ge": None, "le": 32, "family": 4}


def test_pool_for_every_rack_during_a_migration_is_accepted_but_never_aggregated():
    inv = racked()
    inv.cluster["calico_rack_pools_previous_cidr"] = "172.16.0.0/16"
    tor1 = router(inv)
    assert {"prefix": "172.16.0.0/16", "ge": 26, "le": 32, "family": 4} in tor1["accept_prefixes"]
    assert tor1["aggregates"] == [{"prefix": "10.244.0.0/22", "family": 4}]
    # Down to the nodes: what the router accepts, then only the other racks' rack pools.
    assert tor1["pool_blocks"] == tor1["accept_prefixes"] + [{"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4}]


def test_explicit_pool_of_a_rack_does_not_hide_the_other_racks_pools():
    inv = racked()
    inv.cluster["calico_ip_pools"] = [{"name": "r1-extra", "cidr": "10.244.200.0/24", "racks": ["r1"]}]
    tor1 = router(inv)
    assert {"prefix": "10.244.200.0/24", "ge": 26, "le": 32, "family": 4} in tor1["accept_prefixes"]
    assert tor1["pool_blocks"][-1] == {"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4}
    assert tor1["aggregates"] == [{"prefix": "10.244.0.0/22", "family": 4}]


# --- limits, timers, names ----------------------------------------------------------------------

def test_graceful_restart_defaults_and_overrides():
    assert router(tor_base())["graceful_restart"] == {"restart_time": 120, "stalepath_time": 360}
    assert router(tor_base(calico_tor_graceful_restart={"restart_time": "60"}))["graceful_restart"] == {"restart_time": 60, "stalepath_time": 360}


@pytest.mark.parametrize("timers, shown", [({"restart": 60}, "restart: 60"), ({"stalepath_time": "long"}, "stalepath_time: 'long'")])
def test_unknown_graceful_restart_timer_is_refused(timers, shown):
    assert errors_of(tor_base(calico_tor_graceful_restart=timers)) == [
        "calico_tor_graceful_restart: %s is not a known timer with an integer. Fix: use keys restart_time, stalepath_time." % shown
    ]


def test_limits_reach_every_router():
    tor1 = router(tor_base(calico_tor_maximum_prefix=1, calico_tor_maximum_paths=1, calico_bgp_password="s3cret"))
    assert (tor1["maximum_prefix"], tor1["maximum_paths"], tor1["password_enabled"]) == (1, 1, True)
    tor1 = router(tor_base())
    assert (tor1["maximum_prefix"], tor1["maximum_paths"], tor1["password_enabled"]) == (12000, 8, False)


def test_limits_below_one_are_refused():
    assert errors_of(tor_base(calico_tor_maximum_paths=0, calico_tor_maximum_prefix=0)) == [
        "calico_tor_maximum_paths: must be at least 1. Fix: e.g. 8.",
        "calico_tor_maximum_prefix: must be at least 1. Fix: e.g. 12000.",
    ]


@pytest.mark.parametrize("prefix", ["CALICO-", "K8S_CALICO-", "X"])
def test_object_prefix_upper_case(prefix):
    assert router(tor_base(calico_tor_object_prefix=prefix))["object_prefix"] == prefix


@pytest.mark.parametrize("prefix", ["calico-", "9CALICO", "CALICO.", "CALICO-\n"])
def test_object_prefix_otherwise_is_refused(prefix):
    assert errors_of(tor_base(calico_tor_object_prefix=prefix)) == [
        "calico_tor_object_prefix: %r must be upper-case letters, digits, '-' or '_'. Fix: e.g. CALICO-." % prefix
    ]


def test_junos_refusal_with_listen_ranges_and_a_password_in_full():
    inv = tor_base(calico_tor_neighbor_mode="listen_range", calico_bgp_password="s3cret")
    inv.hosts["tor1"].update(calico_tor_platform="junos", ansible_network_os="junipernetworks.junos.junos",
                             ansible_connection="ansible.netcommon.netconf")
    assert errors_of(inv) == [
        "tor1: is a Junos router with calico_tor_neighbor_mode: listen_range and a BGP password: Junos refuses authentication-key with "
        "dynamic peers (allow), so the commit would fail. Fix: set calico_tor_neighbor_mode: explicit (each node listed as a neighbour) "
        "to keep the password."
    ]
    inv.cluster.pop("calico_bgp_password")
    assert router(inv)["listen_ranges"] == [{"prefix": "10.1.1.0/24", "family": 4}]


# --- range arithmetic ---------------------------------------------------------------------------

@pytest.mark.parametrize("first, last", [
    ("10.0.0.0", "10.0.0.0"), ("10.0.0.1", "10.0.0.6"), ("10.0.0.0", "10.0.255.255"), ("10.0.3.0", "10.1.0.255"),
    ("0.0.0.0", "255.255.255.255"), ("0.0.0.0", "0.0.0.7"), ("fd00::5", "fd00::1:0"), ("::", "::ffff"),
])
def test_cidrs_cover_a_range_like_summarize_address_range(first, last):
    a, b = ipaddress.ip_address(first), ipaddress.ip_address(last)
    assert _cidrs(a.version, int(a), int(b)) == list(ipaddress.summarize_address_range(a, b))


def test_cidrs_of_an_empty_range_is_nothing():
    assert _cidrs(4, 10, 9) == []


@pytest.mark.parametrize("networks, holes", [
    (["10.0.0.0/16"], ["10.0.1.0/24"]),
    (["10.0.0.0/16"], ["10.0.0.0/24", "10.0.255.0/24"]),
    (["10.0.0.0/16"], ["10.0.4.0/22", "10.0.1.0/24"]),
    (["10.0.0.0/16", "10.2.0.0/16"], ["10.2.128.0/17", "192.168.0.0/24"]),
    (["10.0.0.0/24"], ["10.0.0.0/24"]),
    (["fd00::/48"], ["fd00:0:0:1::/64"]),
    (["10.0.0.0/16", "fd00::/48"], ["fd00::/64", "10.0.0.0/16"]),
])
def test_without_equals_address_exclude(networks, holes):
    nets = [ipaddress.ip_network(n) for n in networks]
    cut = [ipaddress.ip_network(h) for h in holes]
    expected = list(nets)
    for hole in cut:
        expected = [rest for net in expected for rest in (net.address_exclude(hole) if hole.version == net.version and hole.subnet_of(net)
                                                          else [net])]
    expected = sorted(ipaddress.collapse_addresses([n for n in expected if n.version == 4])) + \
        sorted(ipaddress.collapse_addresses([n for n in expected if n.version == 6]))
    assert _without(nets, cut) == expected
