"""The ToR part of the plan from real inventories: policy towards nodes, listen ranges,
dual stack, multipath, TTL security and the Junos refusal (issue 13 defects 1-3 and 5)."""

from __future__ import annotations

from plan_inputs import errors_of, plan_of, tor_base


def dual_stack(design="as_per_rack", **cluster):
    inv = tor_base(design, calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="vxlan", **cluster)
    for name, rack in (("r1", 1), ("r2", 2)):
        inv.cluster["calico_racks"][name]["subnets"].append(f"fd00:1:{rack}::/64")
        inv.hosts[f"tor{rack}"]["calico_tor_peer_ip6"] = f"fd00:1:{rack}::1"
    for node, ip6 in (("a1", "fd00:1:1::11"), ("a2", "fd00:1:1::12"), ("b1", "fd00:1:2::11"), ("b2", "fd00:1:2::12")):
        inv.hosts[node]["calico_node_ip6"] = ip6
    return inv


def test_as_per_rack_sends_pool_blocks_and_no_default_unless_asked():
    router = plan_of(tor_base())["tor_routers"]["tor1"]
    assert router["send_pool_blocks"] is True and router["send_default"] is False
    assert router["pool_blocks"] == [{"prefix": "192.168.0.0/16", "ge": 26, "le": 32, "family": 4}]
    assert router["next_hop_self"] is True and router["multipath_relax"] is False
    assert "default_originate" not in router and "send_default_only" not in router
    asked = plan_of(tor_base(calico_tor_send_default=True))["tor_routers"]["tor1"]
    assert asked["send_default"] is True and asked["send_pool_blocks"] is True


def test_downward_default_sends_only_the_default():
    inv = tor_base("downward_default", calico_asn=64512)
    router = plan_of(inv)["tor_routers"]["tor1"]
    assert router["send_default"] is True and router["send_pool_blocks"] is False


def test_as_per_node_needs_multipath_relax():
    inv = tor_base("as_per_node")
    for i, node in enumerate(("a1", "a2", "b1", "b2")):
        inv.hosts[node]["calico_node_asn"] = 65201 + i
    router = plan_of(inv)["tor_routers"]["tor1"]
    assert router["multipath_relax"] is True and router["session_type"] == "ebgp" and router["next_hop_self"] is False


def test_listen_ranges_cover_every_rack_subnet():
    inv = tor_base(calico_tor_neighbor_mode="listen_range")
    inv.cluster["calico_racks"]["r1"]["subnets"].append("10.1.11.0/24")
    router = plan_of(inv)["tor_routers"]["tor1"]
    assert router["listen_ranges"] == [{"prefix": "10.1.1.0/24", "family": 4}, {"prefix": "10.1.11.0/24", "family": 4}]
    assert router["listen_limit"] == 16
    assert "listen_range" not in router
    assert plan_of(tor_base())["tor_routers"]["tor1"]["listen_ranges"] == []


def test_dual_stack_gives_ipv6_sessions_on_both_ends():
    plan = plan_of(dual_stack(calico_tor_neighbor_mode="listen_range"))
    router = plan["tor_routers"]["tor1"]
    assert router["peer_ip6"] == "fd00:1:1::1"
    assert router["neighbors"][0] == {"node": "a1", "ip": "10.1.1.11", "ip6": "fd00:1:1::11", "asn": 65001}
    assert {"prefix": "fd00:10::/48", "ge": 122, "le": 128, "family": 6} in router["pool_blocks"]
    assert {"prefix": "fd00:10::/48", "ge": 122, "le": 128, "family": 6} in router["accept_prefixes"]
    assert {"prefix": "fd00:1:1::/64", "family": 6} in router["listen_ranges"]
    assert router["listen_limit"] == 16  # two sessions per node, at least 16
    peer = [p for p in plan["nodes"]["a1"]["peers"] if p["kind"] == "tor"][0]
    assert peer["ip"] == "10.1.1.1" and peer["ip6"] == "fd00:1:1::1"


def test_dual_stack_refuses_missing_ipv6_addresses_by_name():
    inv = dual_stack()
    del inv.hosts["tor2"]["calico_tor_peer_ip6"]
    del inv.hosts["b1"]["calico_node_ip6"]
    errs = errors_of(inv)
    assert any(e.startswith("tor2") and "calico_tor_peer_ip6" in e for e in errs), errs
    assert any(e.startswith("b1") and "calico_node_ip6" in e for e in errs), errs
    inv = dual_stack()
    inv.hosts["tor1"]["calico_tor_peer_ip6"] = "fd00:1:2::1"
    assert any("calico_tor_peer_ip6 fd00:1:2::1 is outside rack r1" in e for e in errors_of(inv))


def test_ttl_security_on_routers_and_in_bgp():
    plan = plan_of(tor_base(calico_bgp_ttl_security=True))
    assert plan["bgp"]["ttl_security_hops"] == 1
    assert {r["ttl_security_hops"] for r in plan["tor_routers"].values()} == {1}
    plain = plan_of(tor_base())
    assert plain["bgp"]["ttl_security_hops"] is None and plain["tor_routers"]["tor1"]["ttl_security_hops"] is None


def test_junos_password_with_listen_ranges_is_refused_with_the_fix():
    inv = tor_base(calico_tor_neighbor_mode="listen_range", calico_bgp_password="s3cret")
    inv.hosts["tor1"].update(calico_tor_platform="junos", ansible_network_os="junipernetworks.junos.junos",
                             ansible_connection="ansible.netcommon.netconf")
    errs = errors_of(inv)
    assert any(e.startswith("tor1") and "authentication-key" in e and "calico_tor_neighbor_mode: explicit" in e for e in errs), errs
    assert not any(e.startswith("tor2") for e in errs)
    inv.cluster["calico_tor_neighbor_mode"] = "explicit"
    assert plan_of(inv)["tor_routers"]["tor1"]["platform"] == "junos"


def _bgp_peers(plan):
    from testpaths import UPSTREAM_DIR

    from ansible_collections.onprem.calico.plugins.plugin_utils import resources
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

    built = resources.build(plan, RenderContext(upstream_dir=UPSTREAM_DIR), with_secret=False)
    return {o["metadata"]["name"]: o["spec"] for o in built.calico if o["kind"] == "BGPPeer"}


def test_bgp_peers_carry_ttl_security_and_ipv6_sessions():
    peers = _bgp_peers(plan_of(dual_stack(calico_bgp_ttl_security=True)))
    assert peers["onprem-calico-rack-r1-tor1"] == {"asNumber": 65001, "nodeSelector": "onprem.calico/rack == 'r1'",
                                                   "peerIP": "10.1.1.1", "ttlSecurity": 1, "filters": ["onprem-calico-tor-import"]}
    assert peers["onprem-calico-rack-r1-tor1-v6"] == {"asNumber": 65001, "nodeSelector": "onprem.calico/rack == 'r1'",
                                                      "peerIP": "fd00:1:1::1", "ttlSecurity": 1, "filters": ["onprem-calico-tor-import"]}
    plain = _bgp_peers(plan_of(tor_base()))
    assert sorted(plain) == ["onprem-calico-rack-r1-tor1", "onprem-calico-rack-r2-tor2"]
    assert "ttlSecurity" not in plain["onprem-calico-rack-r1-tor1"]
