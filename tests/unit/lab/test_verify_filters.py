"""The verify stage's filters: every platform's summary becomes the report's router view, the
node-side readers are asked for the peers the plan expects (mesh included), and CalicoNodeStatus
becomes node views."""

import copy

from ansible_collections.onprem.calico.plugins.filter.verify import (
    calico_verify_gathered,
    calico_verify_node_peers,
    calico_verify_node_status,
    calico_verify_tor_sessions,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.report import build_report

NEIGHBORS = [{"node": "r2-cp", "ip": "10.77.2.11", "asn": 65002}, {"node": "r2-w1", "ip": "10.77.2.12", "asn": 65002}]
EOS = '{"vrfs": {"default": {"peers": {"10.77.2.11": {"peerState": "Established", "asn": "65002"}, ' \
      '"10.77.2.12": {"peerState": "Idle", "asn": "65002"}}}}}'
JUNOS = {"bgp-information": [{"bgp-peer": [
    {"peer-address": [{"data": "10.77.2.11+179"}], "peer-as": [{"data": "65002"}], "peer-state": [{"data": "Establ"}]}]}]}


# Dual stack: each node has an IPv6 session of its own, to its IPv6 address.
NEIGHBORS6 = [dict(n, ip6="fd00:77:2::%s" % n["ip"].rsplit(".", 1)[1]) for n in NEIGHBORS]
# The IPv6 summaries as each platform prints them (documented JSON layouts; EOS and NX-OS print
# the IPv6 sessions in a command of their own, Junos lists both families in one summary).
EOS6 = {"vrfs": {"default": {"routerId": "10.255.2.1", "asn": "65002", "vrf": "default", "peers": {
    "fd00:77:2::11": {"msgSent": 40, "inMsgQueue": 0, "prefixReceived": 1, "upDownTime": 1764450000.5, "version": 4,
                      "prefixAccepted": 1, "msgReceived": 42, "peerState": "Established", "outMsgQueue": 0,
                      "underMaintenance": False, "asn": "65002"},
    "fd00:77:2::12": {"msgSent": 3, "inMsgQueue": 0, "prefixReceived": 0, "upDownTime": 1764450100.1, "version": 4,
                      "prefixAccepted": 0, "msgReceived": 2, "peerState": "Active", "outMsgQueue": 0,
                      "underMaintenance": False, "asn": "65002"}}}}}


def nxos_summary(af_id, af_name, rows):
    """NX-OS's TABLE_/ROW_ layout of ``show ip bgp summary | json`` / ``show bgp ipv6 unicast summary | json``."""
    return {"TABLE_vrf": {"ROW_vrf": {
        "vrf-name-out": "default", "vrf-router-id": "10.255.2.1", "vrf-local-as": "65002",
        "TABLE_af": {"ROW_af": {"af-id": af_id, "TABLE_saf": {"ROW_saf": {
            "safi": "1", "af-name": af_name, "TABLE_neighbor": {"ROW_neighbor": rows}}}}}}}}


def nxos_row(address, state, received):
    return {"neighborid": address, "neighborversion": "4", "msgrecvd": "35", "msgsent": "33", "inq": "0", "outq": "0",
            "neighboras": "65002", "time": "00:29:30", "state": state, "prefixreceived": received}


NXOS4 = nxos_summary("1", "IPv4 Unicast", [nxos_row("10.77.2.11", "Established", "2"), nxos_row("10.77.2.12", "Established", "1")])
# One neighbour only: NX-OS prints a single ROW_neighbor as an object, not a list.
NXOS6 = nxos_summary("2", "IPv6 Unicast", nxos_row("fd00:77:2::11", "Established", "1"))
JUNOS46 = {"bgp-information": [{"bgp-peer": [
    {"peer-address": [{"data": "10.77.2.11+179"}], "peer-as": [{"data": "65002"}], "peer-state": [{"data": "Established"}]},
    {"peer-address": [{"data": "10.77.2.12+54821"}], "peer-as": [{"data": "65002"}], "peer-state": [{"data": "Established"}]},
    {"peer-address": [{"data": "fd00:77:2::11+179"}], "peer-as": [{"data": "65002"}], "peer-state": [{"data": "Established"}]},
    {"peer-address": [{"data": "fd00:77:2::12"}], "peer-as": [{"data": "65002"}], "peer-state": [{"data": "Connect"}]}]}]}


def test_router_summaries_of_every_platform_become_session_lists():
    assert calico_verify_tor_sessions(EOS, "eos", NEIGHBORS) == [
        {"node": "r2-cp", "ip": "10.77.2.11", "asn": 65002, "family": 4, "state": "Established"},
        {"node": "r2-w1", "ip": "10.77.2.12", "asn": 65002, "family": 4, "state": "Idle"}]
    assert [s["state"] for s in calico_verify_tor_sessions(JUNOS, "junos", NEIGHBORS)] == ["Established", "missing"]


def test_ipv6_sessions_are_read_on_every_platform():
    """Each planned IPv6 session is found in the platform's IPv6 answer, under the node's IPv6 address."""
    def states(summaries, platform):
        return {(s["node"], s["family"], s["ip"]): s["state"] for s in calico_verify_tor_sessions(summaries, platform, NEIGHBORS6)}

    assert states([EOS, EOS6], "eos") == {
        ("r2-cp", 4, "10.77.2.11"): "Established", ("r2-cp", 6, "fd00:77:2::11"): "Established",
        ("r2-w1", 4, "10.77.2.12"): "Idle", ("r2-w1", 6, "fd00:77:2::12"): "Active"}
    assert states([NXOS4, NXOS6], "nxos") == {
        ("r2-cp", 4, "10.77.2.11"): "Established", ("r2-cp", 6, "fd00:77:2::11"): "Established",
        ("r2-w1", 4, "10.77.2.12"): "Established", ("r2-w1", 6, "fd00:77:2::12"): "missing"}
    assert states(JUNOS46, "junos") == {
        ("r2-cp", 4, "10.77.2.11"): "Established", ("r2-cp", 6, "fd00:77:2::11"): "Established",
        ("r2-w1", 4, "10.77.2.12"): "Established", ("r2-w1", 6, "fd00:77:2::12"): "Connect"}
    # Without the IPv6 answer the IPv6 sessions are missing, never taken from the IPv4 one.
    assert [s["state"] for s in calico_verify_tor_sessions([EOS], "eos", NEIGHBORS6) if s["family"] == 6] == ["missing"] * 2


def test_node_peers_come_from_the_plan_mesh_included(lab_plan):
    assert calico_verify_node_peers(lab_plan, "r1-w1") == ["10.77.1.2", "10.77.1.3"]
    mesh = copy.deepcopy(lab_plan)
    mesh["bgp"]["node_to_node_mesh"] = True
    mesh["tor_routers"] = {}
    for node in mesh["nodes"].values():
        node["peers"] = []
    assert calico_verify_node_peers(mesh, "r1-w1") == ["10.77.1.11", "10.77.1.13", "10.77.2.11", "10.77.2.12", "10.77.2.13"]


def test_mesh_sessions_are_checked_from_both_nodes(lab_plan):
    mesh = copy.deepcopy(lab_plan)
    mesh["bgp"]["node_to_node_mesh"] = True
    mesh["tor_routers"] = {}
    for node in mesh["nodes"].values():
        node["peers"] = []
    ips = {n: v["ip"] for n, v in mesh["nodes"].items()}
    nodes = {n: {"sessions": {ip: "Established" for o, ip in ips.items() if o != n}} for n in ips}
    nodes["r2-w2"]["sessions"][ips["r1-cp"]] = "Active"
    report = build_report(mesh, {}, nodes)
    assert len(report.sessions) == 30  # 6 nodes, each with 5 peers, each seen from both ends
    down = {(s.node, s.peer) for s in report.down}
    assert down == {("r1-cp", "r2-w2"), ("r2-w2", "r1-cp")}  # one side says Active: down both ways


def test_calico_node_status_becomes_node_views():
    views = calico_verify_node_status({
        "r1-cp": {"established": ["10.77.1.2"], "missing": [{"peer": "tor1b", "ip": "10.77.1.3", "state": "Active"}],
                  "status_reported": True},
        "r1-w1": {"established": [], "missing": [], "status_reported": False}})
    assert views["r1-cp"]["sessions"] == {"10.77.1.2": "Established", "10.77.1.3": "Active"}
    assert views["r1-cp"]["error"] is None and "no CalicoNodeStatus" in views["r1-w1"]["error"]


def test_gathered_views_skip_hosts_without_one():
    hostvars = {"tor1a": {"calico_verify_tor": {"sessions": []}}, "tor1b": {}, "tor2a": {"calico_verify_tor": None}}
    assert calico_verify_gathered(hostvars, ["tor1a", "tor1b", "tor2a", "gone"], "calico_verify_tor") == {
        "tor1a": {"sessions": []}}
