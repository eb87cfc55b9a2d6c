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


def test_router_summaries_of_every_platform_become_session_lists():
    assert calico_verify_tor_sessions(EOS, "eos", NEIGHBORS) == [
        {"node": "r2-cp", "ip": "10.77.2.11", "asn": 65002, "state": "Established"},
        {"node": "r2-w1", "ip": "10.77.2.12", "asn": 65002, "state": "Idle"}]
    assert [s["state"] for s in calico_verify_tor_sessions(JUNOS, "junos", NEIGHBORS)] == ["Established", "missing"]


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
