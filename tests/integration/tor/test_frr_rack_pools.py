"""Rack pools on real FRR ToRs and BIRD nodes: the other rack sees one route per rack (issue 17).

The lab of test_frr_tor (rack1: tor1a, tor1b; rack2: tor2a; eBGP uplinks between the racks)
with rack pools of /22: rack1 at index 0, rack2 at index 1, every node's block inside its
rack's pool. The uplink policy calls CALICO-TO-UPLINKS (the one line of docs/tor.md) before
the collection creates it. The ToRs are configured by the collection's render and push code.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import shutil

import pytest

from lab import RACKS, TorLab, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_tor_config, frr_uplink_routes
from ansible_collections.onprem.calico.plugins.plugin_utils import tor as tor_renderer
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

RACK_POOLS = {"rack1": "10.244.0.0/22", "rack2": "10.244.4.0/22"}
UPLINK_OF = {"tor1a": "172.31.0.1", "tor1b": "172.31.0.3"}  # tor2a's address on each uplink


def blocks_in_rack_pools():
    """Each node's first /26 of its rack's pool, as Calico IPAM would hand it out."""
    out = {}
    for rack, spec in RACKS.items():
        blocks = ipaddress.ip_network(RACK_POOLS[rack]).subnets(new_prefix=26)
        for node in sorted(spec["nodes"]):
            out[node] = str(next(blocks))
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("rackpools")
    plan = build_lab_plan(str(workdir), cluster_vars={"calico_rack_pool_prefix_length": 22},
                          rack_vars={"rack1": {"index": 0}, "rack2": {"index": 1}})
    assert {p["name"]: p["cidr"] for p in plan["ip_pools"]} == {"rack-rack1-ipv4": RACK_POOLS["rack1"],
                                                                "rack-rack2-ipv4": RACK_POOLS["rack2"]}
    tor_lab = TorLab(plan, tag="trp", blocks=blocks_in_rack_pools(), uplink_call="CALICO-TO-UPLINKS")
    try:
        tor_lab.start()
        artifacts = {a.path: a.content for a in tor_renderer.render(plan, RenderContext())}
        tor_lab.push = {}
        for tor in tor_lab.tors():
            tor_lab.push[tor] = {
                "state": "merged", "config": artifacts[f"tor/{tor}.conf"], "object_prefix": "CALICO-", "restore_from": None,
                "backup_dir": os.path.join(tor_lab.lab.rundir(tor), "backups"), "keep_backups": 5,
                "config_file": os.path.join(tor_lab.lab.rundir(tor), "saved-frr.conf"), "vtysh": "vtysh",
                "vty_socket": tor_lab.lab.vty_socket(tor), "frr_reload": "/usr/lib/frr/frr-reload.py",
            }
            result = frr_tor_config.run_module(tor_lab.push[tor], tor_lab.runner(tor), check_mode=False)
            assert not result.get("failed"), result
        yield tor_lab
    finally:
        tor_lab.close()


def pod_routes(lab, router, learned_from=None):
    """The 10.244.0.0/16 prefixes in a router's BGP table, optionally only those from one peer."""
    routes = lab.lab.vtysh_json(router, "show bgp ipv4 unicast json")["routes"]
    out = set()
    for prefix, paths in routes.items():
        if not ipaddress.ip_network(prefix).subnet_of(ipaddress.ip_network("10.244.0.0/16")):
            continue
        if learned_from is None or any(p.get("peerId") == learned_from for p in paths):
            out.add(prefix)
    return out


def test_the_other_rack_learns_exactly_one_route_per_rack(lab):
    # tor2a hears rack1 over both uplinks: the aggregate, and no node block of rack1.
    for uplink_tor, address in (("tor1a", "172.31.0.0"), ("tor1b", "172.31.0.2")):
        learned = lab.lab.wait_for(lambda a=address: pod_routes(lab, "tor2a", learned_from=a) or None, timeout=40,
                                   what=f"rack1's routes on tor2a from {uplink_tor}")
        assert learned == {RACK_POOLS["rack1"]}, learned
    # And rack1's ToRs hear rack2 as one route.
    for tor in ("tor1a", "tor1b"):
        learned = lab.lab.wait_for(lambda t=tor: pod_routes(lab, t, learned_from=UPLINK_OF[t]) or None, timeout=40,
                                   what=f"rack2's routes on {tor}")
        assert learned == {RACK_POOLS["rack2"]}, learned


def test_the_rack_keeps_its_node_blocks(lab):
    # No summary-only: the rack's ToRs still hold every block of their own nodes.
    for node in RACKS["rack1"]["nodes"]:
        assert lab.blocks[node] in lab.lab.wait_for(lambda: pod_routes(lab, "tor1a") or None, timeout=30, what="tor1a's table")


def test_cross_rack_traffic_follows_the_aggregate(lab):
    source = str(ipaddress.ip_network(lab.blocks["r2n01"])[1])
    target = str(ipaddress.ip_network(lab.blocks["r1n02"])[1])

    def aggregate_in_kernel():
        return lab.lab.exec("r2n01", "ip", "route", "show", RACK_POOLS["rack1"]).stdout.strip() or None

    route = lab.lab.wait_for(aggregate_in_kernel, timeout=30, what="rack1's aggregate in r2n01's kernel")
    assert "via 10.0.2.2" in route, route
    # r2n01 has no route to rack1's blocks themselves: only the aggregate.
    assert lab.lab.exec("r2n01", "ip", "route", "show", lab.blocks["r1n02"]).stdout.strip() == ""
    greeting = lab.lab.wait_for(functools.partial(lab.lab.tcp_probe, "r2n01", source, "r1n02", target),
                                timeout=20, what=f"TCP {source} -> {target}")
    assert greeting == "hello from r1n02"


def uplink_check(lab, tor, timeout):
    """The verify stage's FRR reader (frr_uplink_routes) run against the router's namespace."""
    params = {"router": lab.plan["tor_routers"][tor], "timeout": timeout, "interval": 1, "vtysh": "vtysh",
              "vty_socket": lab.lab.vty_socket(tor)}
    return frr_uplink_routes.run_module(params, lab.runner(tor))


def test_verify_finds_the_aggregate_alone_on_every_uplink(lab):
    # The uplinks are found by the reader itself: every neighbour that is not a node session.
    uplinks = {"tor1a": ["172.31.0.1"], "tor1b": ["172.31.0.3"], "tor2a": ["172.31.0.0", "172.31.0.2"]}
    for tor, peers in uplinks.items():
        ok, result = uplink_check(lab, tor, timeout=40)
        assert ok, result
        pool = RACK_POOLS["rack1" if tor.startswith("tor1") else "rack2"]
        assert [(r["peer"], r["family"], r["aggregates"], r["specifics"]) for r in result["uplinks"]] == [
            (peer, 4, [pool], []) for peer in peers], result


def test_verify_names_the_blocks_an_uplink_policy_without_the_call_leaks(lab):
    # The site's uplink policy on tor1a loses the one line of docs/tor.md: it now permits everything.
    vtysh = ["vtysh", "--vty_socket", lab.lab.vty_socket("tor1a")]
    run = lab.runner("tor1a")

    def set_call(present):
        line = "call CALICO-TO-UPLINKS" if present else "no call CALICO-TO-UPLINKS"
        for argv in (vtysh + ["-c", "configure terminal", "-c", "route-map SPINE-POLICY permit 10", "-c", line],
                     vtysh + ["-c", "clear bgp ipv4 unicast 172.31.0.1 soft out"]):
            rc, out, err = run(argv)
            assert rc == 0, out + err

    def leaked():
        # bgpd sends the policy change a moment after "soft out": the verify reader polls until
        # the uplink is healthy, so it must first see the leak it is to name.
        rc, out, err = run(vtysh + ["-c", "show bgp ipv4 unicast neighbors 172.31.0.1 advertised-routes json"])
        return rc == 0 and any(lab.blocks[n] in out for n in RACKS["rack1"]["nodes"]) or None

    set_call(False)
    try:
        lab.lab.wait_for(leaked, timeout=30, what="tor1a advertising rack1's blocks to 172.31.0.1")
        ok, result = uplink_check(lab, "tor1a", timeout=15)
        assert not ok
        rack1_blocks = sorted((lab.blocks[n] for n in RACKS["rack1"]["nodes"]), key=ipaddress.ip_network)
        [row] = result["uplinks"]
        assert (row["peer"], row["aggregates"], row["specifics"]) == ("172.31.0.1", [RACK_POOLS["rack1"]], rack1_blocks), row
        assert result["problems"] == ["uplink 172.31.0.1: 2 more-specific prefix(es) of the rack aggregate advertised: %s "
                                      "(the uplink export policy must call CALICO-TO-UPLINKS, docs/tor.md)" % ", ".join(rack1_blocks)]
    finally:
        set_call(True)
    ok, result = uplink_check(lab, "tor1a", timeout=40)
    assert ok, result


def test_second_push_changes_nothing(lab):
    for tor in lab.tors():
        result = frr_tor_config.run_module(lab.push[tor], lab.runner(tor), check_mode=False)
        assert result["changed"] is False, result
