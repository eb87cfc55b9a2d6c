"""Real FRR ToRs and BIRD nodes in network namespaces, configured by the collection's code.

One lab for the module (2 racks x 2 nodes, 2 ToRs in rack1, 1 in rack2): the tests run in
file order, the negative ones last because they break sessions on purpose.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import shutil

import pytest

from lab import RACKS, TorLab, bird_config, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_bgp_verify, frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils import tor as tor_renderer
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

OUTSIDE_POOL = "172.16.99.0/24"  # in no pool and no service range


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("torlab")
    plan = build_lab_plan(str(workdir))
    tor_lab = TorLab(plan)
    try:
        # r1n02 also announces a prefix outside every pool: the ToR filter must drop it.
        tor_lab.start(node_extra_routes={"r1n02": [OUTSIDE_POOL]})
        tor_lab.artifacts = {
            a.path: a.content for a in tor_renderer.render(plan, RenderContext())
        }
        yield tor_lab
    finally:
        tor_lab.close()


def push_params(lab, tor, **extra):
    params = {
        "state": "merged",
        "config": lab.artifacts[f"tor/{tor}.conf"],
        "object_prefix": lab.plan["tor_routers"][tor]["object_prefix"],
        "restore_from": None,
        "backup_dir": os.path.join(lab.lab.rundir(tor), "backups"),
        "keep_backups": 5,
        "config_file": os.path.join(lab.lab.rundir(tor), "saved-frr.conf"),
        "vtysh": "vtysh",
        "vty_socket": lab.lab.vty_socket(tor),
        "frr_reload": "/usr/lib/frr/frr-reload.py",
    }
    params.update(extra)
    return params


def verify(lab, tor, timeout=30, routes=False):
    params = {"neighbors": lab.plan["tor_routers"][tor]["neighbors"], "timeout": timeout, "interval": 1,
              "vtysh": "vtysh", "vty_socket": lab.lab.vty_socket(tor), "routes": routes}
    return frr_bgp_verify.run_module(params, lab.runner(tor))


def foreign_lines(config, prefix="CALICO-", owned_ips=()):
    """The lines of a running configuration that the collection does not own."""
    keep, in_owned_object = [], False
    for line in config.splitlines():
        if not line.startswith(" ") and line.strip():
            in_owned_object = prefix in line  # a route map's entries belong to it
        if in_owned_object or prefix in line or any(f"neighbor {ip} " in line for ip in owned_ips):
            continue
        if line.strip().startswith(("bgp router-id", "maximum-paths", "frr version")):
            continue
        keep.append(line.rstrip())
    return [line for line in keep if line.strip() not in ("!", "", "exit")]


def node_ips():
    return [ip for spec in RACKS.values() for ip in spec["nodes"].values()]


def test_push_brings_every_node_session_up(lab):
    before = {tor: lab.lab.vtysh(tor, "show running-config") for tor in lab.tors()}
    for tor in lab.tors():
        result = frr_tor_config.run_module(push_params(lab, tor), lab.runner(tor), check_mode=False)
        assert result["changed"] is True
        assert result["backup_file"] and oct(os.stat(result["backup_file"]).st_mode & 0o777) == "0o600"
        assert any("peer-group CALICO-NODES" in line for line in result["lines_added"])
        assert not result["lines_removed"]
    for tor in lab.tors():
        ok, result = verify(lab, tor)
        assert ok, result["problems"]
        assert {s["node"] for s in result["sessions"]} == set(lab.plan["racks"][lab.plan["tor_routers"][tor]["rack"]]["nodes"])
    # The spine uplinks and everything else not Calico's are byte for byte what they were.
    for tor in lab.tors():
        after = lab.lab.vtysh(tor, "show running-config")
        assert foreign_lines(after, owned_ips=node_ips()) == foreign_lines(before[tor])


def test_spine_uplinks_still_established(lab):
    for tor in lab.tors():
        summary = lab.lab.vtysh_json(tor, "show bgp summary json")["ipv4Unicast"]["peers"]
        spine = {ip: p["state"] for ip, p in summary.items() if ip.startswith("172.31.")}
        assert spine and set(spine.values()) == {"Established"}, spine


def test_each_node_block_in_tor_routing_table(lab):
    for rack, spec in RACKS.items():
        for tor in spec["tors"]:
            for node in spec["nodes"]:
                block = lab.blocks[node]
                routes = lab.lab.wait_for(
                    lambda b=block, t=tor: lab.lab.vtysh_json(t, f"show ip route {b} json").get(b),
                    timeout=30, what=f"{block} of {node} on {tor}")
                assert any(r.get("installed") and r["protocol"] == "bgp" for r in routes), routes
                hops = {h.get("ip") for r in routes for h in r.get("nexthops", [])}
                assert spec["nodes"][node] in hops


def test_verify_reports_the_kernel_routes_of_every_rack_node(lab):
    # What calico_verify's report lists for an FRR ToR: read once the routes have settled.
    for spec in RACKS.values():
        for tor in spec["tors"]:
            ok, result = verify(lab, tor, routes=True)
            assert ok, result["problems"]
            destinations = {route["dst"] for route in result["routes"]}
            assert {lab.blocks[node] for node in spec["nodes"]} <= destinations, destinations
            assert OUTSIDE_POOL not in destinations


def test_node_block_reachable_across_racks_through_tors(lab):
    source = str(ipaddress.ip_network(lab.blocks["r1n01"])[1])
    target = str(ipaddress.ip_network(lab.blocks["r2n02"])[1])
    # r1n01 learned r2n02's block from its ToRs, next hop rewritten to a ToR (next-hop-self).

    def route_on_r1n01():
        return lab.lab.exec("r1n01", "ip", "route", "show", lab.blocks["r2n02"]).stdout.strip()

    route = lab.lab.wait_for(route_on_r1n01, timeout=30, what="r2n02's block on r1n01")
    assert "10.0.1.2" in route or "10.0.1.3" in route, route
    greeting = lab.lab.wait_for(
        functools.partial(lab.lab.tcp_probe, "r1n01", source, "r2n02", target),
        timeout=20, what=f"TCP {source} -> {target}")
    assert greeting == "hello from r2n02"
    trace = lab.lab.exec("r1n01", "ip", "route", "get", target, "from", source).stdout
    assert "via 10.0.1.2" in trace or "via 10.0.1.3" in trace


def test_prefix_outside_pool_rejected_by_tor_filter(lab):
    received = lab.lab.vtysh_json("tor1a", "show bgp ipv4 unicast json")["routes"]
    assert lab.blocks["r1n02"] in received  # the session is up and carries the pool block
    assert OUTSIDE_POOL not in received
    # BIRD did send it: the ToR saw it and the inbound route map dropped it.
    advertised = lab.lab.birdc("r1n02", "show route export tor1a")
    assert OUTSIDE_POOL in advertised


FOREIGN_UPLINK_PREFIX = "198.51.100.0/24"  # documentation range, announced by rack2's ToR


def test_only_pool_blocks_go_down_to_the_nodes(lab):
    # Issue 13 defect 1: the ToR passed its whole table to the nodes. tor2a now announces a
    # prefix of its own over the uplink; tor1a learns it but its nodes must not.
    lab.lab.exec("tor2a", "ip", "route", "add", "blackhole", FOREIGN_UPLINK_PREFIX)
    lab.lab.vtysh("tor2a", "configure terminal", "router bgp 65002", "address-family ipv4 unicast",
                  f"network {FOREIGN_UPLINK_PREFIX}")
    lab.lab.wait_for(lambda: FOREIGN_UPLINK_PREFIX in lab.lab.vtysh_json("tor1a", "show bgp ipv4 unicast json")["routes"],
                     timeout=30, what="tor1a to learn the uplink prefix")
    node_ip = RACKS["rack1"]["nodes"]["r1n01"]
    advertised = lab.lab.vtysh_json("tor1a", f"show bgp ipv4 unicast neighbors {node_ip} advertised-routes json")
    sent = set(advertised.get("advertisedRoutes", {}))
    pool = ipaddress.ip_network("10.244.0.0/16")
    assert sent and all(ipaddress.ip_network(prefix).subnet_of(pool) for prefix in sent), sent
    assert lab.blocks["r2n01"] in sent and lab.blocks["r1n02"] in sent  # other racks' and the rack's own blocks
    assert FOREIGN_UPLINK_PREFIX not in lab.lab.birdc("r1n01", "show route")
    # Reflected same-rack blocks keep the node as next hop (no hairpin through the ToR);
    # blocks from the uplinks get the ToR's address (tested across racks above).
    same_rack = lab.lab.exec("r1n01", "ip", "route", "show", lab.blocks["r1n02"]).stdout
    assert f"via {RACKS['rack1']['nodes']['r1n02']} " in same_rack, same_rack


def test_second_push_changes_nothing(lab):
    for tor in lab.tors():
        result = frr_tor_config.run_module(push_params(lab, tor), lab.runner(tor), check_mode=False)
        assert result["changed"] is False, result["lines_added"] + result["lines_removed"]
        assert result["backup_file"] is None


def test_check_mode_shows_diff_without_applying(lab):
    tor = "tor2a"
    changed = lab.artifacts[f"tor/{tor}.conf"].replace("maximum-prefix 12000", "maximum-prefix 5000")
    before = lab.lab.vtysh(tor, "show running-config")
    result = frr_tor_config.run_module(push_params(lab, tor, config=changed), lab.runner(tor), check_mode=True)
    assert result["changed"] is True
    assert "router bgp 65002 / address-family ipv4 unicast / neighbor CALICO-NODES maximum-prefix 5000" in result["lines_added"]
    assert "maximum-prefix 5000" in result["diff"]["after"]
    assert lab.lab.vtysh(tor, "show running-config") == before


def test_push_refuses_when_router_runs_another_as(lab):
    wrong = lab.artifacts["tor/tor2a.conf"].replace("router bgp 65002", "router bgp 65077")
    with pytest.raises(frr_tor_config.FrrConfigError, match="never changes a router's AS"):
        frr_tor_config.run_module(push_params(lab, "tor2a", config=wrong), lab.runner("tor2a"), check_mode=False)


def test_wrong_node_as_reported_by_name(lab):
    # r2n02's calico-node announces the wrong AS: the ToR must name it, not just fail.
    lab.lab.reconfigure_bird("r2n02", bird_config(lab.plan, "r2n02", lab.blocks["r2n02"], asn_override=65099))
    lab.lab.wait_for(lambda: not verify(lab, "tor2a", timeout=0)[0], timeout=20, what="r2n02 session to drop")
    ok, result = verify(lab, "tor2a", timeout=6)
    assert not ok
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith("r2n02 (10.0.2.12, AS 65002): session is ")
    states = {s["node"]: s["state"] for s in result["sessions"]}
    assert states["r2n01"] == "Established" and states["r2n02"] != "Established"
