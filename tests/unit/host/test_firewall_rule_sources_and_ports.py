"""Who the host firewall lets reach the BGP port, the etcd rules' comment, and which
calico_host_ports_from_pods entries the plan accepts (issue 18: mutants that left a ToR peer out of
the BGP rule, wrote an IPv6 peer as a /32, opened ToR addresses in other BGP modes, refused ports 1
and 65535, accepted 65536, or stopped at the first bad entry survived the tests).

Facts used: BGP listens on TCP 179 and a session can be opened from either end (RFC 4271, section
8.2.1), so the node's firewall must accept the ToR's address in tor mode; a single IPv6 address is a
/128 and a single IPv4 address a /32; a TCP or UDP port is 1..65535 (RFC 6335, section 6: port 0 is
reserved).
"""

from __future__ import annotations

import pytest
from plan_inputs import base, plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

PORT_ERROR = ("%r is not PORT/PROTOCOL with a port 1-65535 and tcp or udp.",
              "write it like 6443/tcp (API server), 10250/tcp (kubelet) or 53/udp (a node-local DNS).")


def rule(plan, name):
    (found,) = [r for r in plan["host_preparation"]["firewall_rules"] if r["name"] == name]
    return found


def test_a_tor_peer_address_outside_the_node_sources_is_opened_as_a_host_route():
    # The racks declare IPv4 subnets only; tor1 peers over IPv6, which no rack subnet holds.
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_peer_ip"] = "fd00:1:1::1"
    plan = plan_of(inv)
    assert plan["cluster"]["node_sources"] == ["10.1.1.0/24", "10.1.2.0/24"]
    assert rule(plan, "calico-bgp")["sources"] == ["10.1.1.0/24", "10.1.2.0/24", "fd00:1:1::1/128"]


def test_without_tor_peering_no_router_address_is_opened():
    # The ToRs stay in the inventory but full_mesh renders nothing for them (a warning says so).
    inv = tor_base(calico_bgp_mode="full_mesh", calico_encapsulation="vxlan")
    inv.hosts["tor1"]["calico_tor_peer_ip"] = "10.7.7.7"
    plan = plan_of(inv)
    assert rule(plan, "calico-bgp")["sources"] == ["10.1.1.0/24", "10.1.2.0/24"]


def test_the_etcd_rules_say_who_uses_them():
    plan = plan_of(base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"]))
    assert rule(plan, "calico-etcd-2379")["purpose"] == "calico-node and calicoctl access to the etcd datastore"


def test_ports_1_and_65535_are_ports():
    prep = plan_of(base(calico_host_ports_from_pods=["1/tcp", "65535/udp"]))["host_preparation"]
    assert prep["ports_from_pods"] == [{"port": 1, "protocol": "tcp"}, {"port": 65535, "protocol": "udp"}]


@pytest.mark.parametrize("entry", ["0/tcp", "65536/udp"])
def test_ports_0_and_65536_are_refused_whole(entry):
    errors = [(e.subject, e.message, e.fix) for e in build_plan(base(calico_host_ports_from_pods=[entry])).errors]
    assert errors == [("calico_host_ports_from_pods[0]", PORT_ERROR[0] % entry, PORT_ERROR[1])]


def test_every_bad_entry_is_named_not_only_the_first():
    result = build_plan(base(calico_host_ports_from_pods=["53/icmp", "6443/tcp", "99999/tcp"]))
    assert [(e.subject, e.message) for e in result.errors] == [
        ("calico_host_ports_from_pods[0]", PORT_ERROR[0] % "53/icmp"),
        ("calico_host_ports_from_pods[2]", PORT_ERROR[0] % "99999/tcp"),
    ]
