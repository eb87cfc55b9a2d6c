"""calico_node_interface logic: the node address must be on the host, and its interface MTU must
leave room for the encapsulation."""

import json
import subprocess

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import node_interface as ni

LINKS = [
    {"ifname": "lo", "flags": ["LOOPBACK", "UP"], "mtu": 65536,
     "addr_info": [{"family": "inet", "local": "127.0.0.1"}]},
    {"ifname": "eth0", "flags": ["UP"], "mtu": 1500,
     "addr_info": [{"family": "inet", "local": "10.0.1.11"}, {"family": "inet", "local": "10.0.1.99"},
                   {"family": "inet6", "local": "fd00::11"}]},
    {"ifname": "bond0", "flags": ["UP"], "mtu": 9000, "addr_info": [{"family": "inet", "local": "10.0.2.11"}]},
]


def test_finds_primary_secondary_and_v6_addresses():
    assert ni.find_interface(LINKS, "10.0.1.99") == ("eth0", 1500)
    assert ni.find_interface(LINKS, "fd00:0::11") == ("eth0", 1500)
    assert ni.find_interface(LINKS, "10.0.2.11") == ("bond0", 9000)
    assert ni.find_interface(LINKS, "10.0.3.1") == (None, None)


def test_address_not_on_host_is_an_error_listing_what_is():
    result = ni.check(LINKS, "10.0.3.1", 1500, 50)
    assert result["interface"] is None
    assert "calico_node_ip 10.0.3.1 is not an address of this host" in result["errors"][0]
    assert "10.0.1.11 on eth0" in result["errors"][0] and "127.0.0.1" not in result["errors"][0]


def test_matching_host_is_clean():
    result = ni.check(LINKS, "10.0.1.11", 1500, 50, veth_mtu=1450)
    assert result["errors"] == [] and result["warnings"] == []
    assert result["overhead"] == 50


def test_inventory_mtu_mismatch_is_a_warning():
    result = ni.check(LINKS, "10.0.2.11", 1500, 20)
    assert result["errors"] == []
    assert "MTU 9000 but the inventory says calico_interface_mtu=1500" in result["warnings"][0]


@pytest.mark.parametrize("overhead, veth, ok", [(20, 1480, True), (20, 1481, False), (70, 1450, False), (0, 1500, True)])
def test_veth_mtu_must_leave_room_for_the_plans_overhead(overhead, veth, ok):
    result = ni.check(LINKS, "10.0.1.11", None, overhead, veth_mtu=veth, overhead_reason="VXLAN over IPv6")
    assert (result["errors"] == []) is ok
    if not ok:
        assert "plus %d bytes of encapsulation overhead (VXLAN over IPv6) exceeds the MTU 1500 of eth0" % overhead in result["errors"][0]
        assert "Fix: lower calico_mtu to at most %d" % (1500 - overhead) in result["errors"][0]


def test_the_plan_decides_the_overhead_the_host_check_compares():
    """The numbers come from the plan (one derivation), per encapsulation and address family."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
    from plan_inputs import base

    cases = [
        (dict(calico_encapsulation="ipip"), 20, "IPIP"),
        (dict(calico_encapsulation="vxlan"), 50, "VXLAN"),
        (dict(calico_encapsulation="vxlan", calico_pod_cidr_v6="fd00:10::/48"), 70, "VXLAN over IPv6"),
        (dict(calico_encapsulation="vxlan", calico_wireguard=True), 60, "WireGuard"),
        (dict(calico_encapsulation="none"), 0, "no encapsulation"),
    ]
    for cluster, overhead, reason in cases:
        manifest = build_plan(base(**cluster)).plan["manifest"]
        assert (manifest["encapsulation_overhead"], manifest["encapsulation_overhead_reason"]) == (overhead, reason), cluster


def test_auto_mtu_warns_when_pods_would_get_less_than_ipv6_minimum():
    tiny = [dict(LINKS[1], mtu=1300)]
    result = ni.check(tiny, "10.0.1.11", None, 50)
    assert result["errors"] == [] and "leaves only 1250 bytes" in result["warnings"][0]


def test_real_ip_output_of_this_machine():
    links = json.loads(subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, check=True).stdout)
    loopback = next(link for link in links if "LOOPBACK" in link["flags"])
    assert ni.find_interface(links, "127.0.0.1") == (loopback["ifname"], loopback["mtu"])
