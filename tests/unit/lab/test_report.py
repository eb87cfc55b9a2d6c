"""plugin_utils.report: sessions joined from both ends, problems naming nodes, report files."""

import shutil
import subprocess

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.report import (
    DOWN,
    UNVERIFIED,
    UP,
    build_report,
    expected_sessions,
    headline,
    normalise_routes,
    planned_peer_addresses,
    render_dot,
    render_markdown,
    render_text,
)
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import expected_sessions as router_sessions


def tor_view(plan, tor, states=None):
    """What the ToR verification returns: one session per planned neighbour."""
    states = states or {}
    return {"sessions": [dict(n, state=states.get(n["node"], "Established")) for n in plan["tor_routers"][tor]["neighbors"]],
            "error": None, "routes": []}


def node_view(plan, node, states=None):
    states = states or {}
    return {"sessions": {p["ip"]: states.get(p["name"], "Established") for p in plan["nodes"][node]["peers"]},
            "error": None, "routes": []}


def all_up(plan):
    tors = {t: tor_view(plan, t) for t in plan["tor_routers"]}
    nodes = {n: node_view(plan, n) for n in plan["nodes"]}
    return tors, nodes


def test_expected_sessions_cover_every_node_tor_pair(lab_plan):
    sessions = expected_sessions(lab_plan)
    # r1 has two ToRs for three nodes, r2 one ToR for three nodes.
    assert sorted(sessions) == sorted(
        [(n, t, 4) for n in ("r1-cp", "r1-w1", "r1-w2") for t in ("tor1a", "tor1b")]
        + [(n, "tor2a", 4) for n in ("r2-cp", "r2-w1", "r2-w2")])
    assert sessions[("r1-w1", "tor1b", 4)].peer_ip == "10.77.1.3"
    assert sessions[("r2-cp", "tor2a", 4)].peer_asn == 65002


def test_all_established_is_ok(lab_plan):
    tors, nodes = all_up(lab_plan)
    report = build_report(lab_plan, tors, nodes)
    assert report.ok and report.problems == [] and report.affected_nodes == []
    assert report.counts() == {UP: 9, DOWN: 0, UNVERIFIED: 0}
    assert headline(report) == "All 9 BGP sessions Established."


def test_router_not_answering_names_its_nodes(lab_plan):
    tors, nodes = all_up(lab_plan)
    tors["tor1b"] = {"sessions": [], "error": "vtysh failed (rc=1): bgpd is not running", "routes": None}
    for node in ("r1-cp", "r1-w1", "r1-w2"):
        nodes[node] = node_view(lab_plan, node, {"tor1b": "Active"})
    report = build_report(lab_plan, tors, nodes)
    assert not report.ok
    assert report.affected_nodes == ["r1-cp", "r1-w1", "r1-w2"]
    assert len(report.problems) == 3
    assert "r1-w1 <-> tor1b (10.77.1.3, AS 65001): tor1b reports not answering; r1-w1 reports Active" in report.problems
    assert report.errors == {"tor1b": "vtysh failed (rc=1): bgpd is not running"}
    text = render_markdown(report)
    assert "3 of 9 BGP sessions NOT Established (nodes: r1-cp, r1-w1, r1-w2)" in text
    assert "bgpd is not running" in text


def test_a_router_that_cannot_be_asked_checks_nothing(lab_plan):
    """Its sessions are decided by the node's view; with none they are not verified, not down."""
    tors, nodes = all_up(lab_plan)
    tors["tor2a"] = {"sessions": [], "error": "Unable to connect to port 22", "routes": None}
    report = build_report(lab_plan, tors, nodes)
    assert report.ok  # the nodes see their tor2a sessions Established
    for node in ("r2-cp", "r2-w1", "r2-w2"):
        del nodes[node]
    report = build_report(lab_plan, tors, nodes)
    assert not report.down and len(report.unverified) == 3 and not report.ok
    assert report.affected_nodes == ["r2-cp", "r2-w1", "r2-w2"]


def test_one_sided_failure_is_down(lab_plan):
    """The ToR says Established but the node disagrees (or the other way round): not up."""
    tors, nodes = all_up(lab_plan)
    nodes["r2-w2"] = node_view(lab_plan, "r2-w2", {"tor2a": "Connect"})
    tors["tor1a"] = tor_view(lab_plan, "tor1a", {"r1-cp": "Idle"})
    report = build_report(lab_plan, tors, nodes)
    assert report.affected_nodes == ["r1-cp", "r2-w2"]


def test_unplanned_peer_on_router_is_missing_session(lab_plan):
    tors, nodes = all_up(lab_plan)
    tors["tor2a"]["sessions"] = [s for s in tors["tor2a"]["sessions"] if s["node"] != "r2-cp"]
    report = build_report(lab_plan, tors, nodes)
    assert report.affected_nodes == ["r2-cp"]
    assert "tor2a reports missing" in report.problems[0]


def test_nothing_gathered_fails_unless_unverified_sessions_are_accepted(lab_plan):
    # Issue 13: a verify that asked nobody (e.g. an EOS site before every platform was read)
    # used to pass. A session nobody checked is now a failure that names the node...
    report = build_report(lab_plan)
    assert report.counts()[UNVERIFIED] == 9 and not report.down
    assert not report.ok
    assert report.affected_nodes == ["r1-cp", "r1-w1", "r1-w2", "r2-cp", "r2-w1", "r2-w2"]
    assert "r1-cp <-> tor1a (10.77.1.2, AS 65001): nobody could check it" in report.problems
    assert headline(report) == "9 of 9 not verified (a failure; set calico_verify_allow_unverified: true to accept)."
    # ...unless the user accepts it, and the report still lists which sessions went unchecked.
    accepted = build_report(lab_plan, allow_unverified=True)
    assert accepted.ok and accepted.problems == [] and accepted.affected_nodes == []
    markdown = render_markdown(accepted)
    assert "## Not verified (accepted by calico_verify_allow_unverified)" in markdown
    assert "- r2-w2 <-> tor2a (10.77.2.2, AS 65002)" in markdown


def test_routes_are_normalised_and_sorted():
    raw = [
        {"dst": "10.244.1.0/26", "metric": 20, "nexthops": [{"gateway": "10.77.1.3"}, {"gateway": "10.77.1.2"}]},
        {"dst": "10.244.0.64/26", "gateway": "10.77.1.12"},
        {"dst": "10.244.0.0/26", "type": "blackhole"},
    ]
    assert normalise_routes(raw) == [
        {"dst": "10.244.0.0/26", "via": ["blackhole"]},
        {"dst": "10.244.0.64/26", "via": ["10.77.1.12"]},
        {"dst": "10.244.1.0/26", "via": ["10.77.1.2", "10.77.1.3"]},
    ]


def test_dual_stack_routes_sort_ipv4_before_ipv6():
    # A dual-stack node reports both families in one list; networks of different versions do
    # not compare, so sorting them failed the report of the lab's dual_stack design.
    raw = [
        {"dst": "fd00:244::40/122", "nexthops": [{"gateway": "fd00:77:1::3"}, {"gateway": "fd00:77:1::2"}]},
        {"dst": "10.244.1.64/26", "gateway": "10.77.1.2"},
        {"dst": "fd00:244::/122", "type": "blackhole"},
    ]
    assert normalise_routes(raw) == [
        {"dst": "10.244.1.64/26", "via": ["10.77.1.2"]},
        {"dst": "fd00:244::/122", "via": ["blackhole"]},
        {"dst": "fd00:244::40/122", "via": ["fd00:77:1::2", "fd00:77:1::3"]},
    ]


def test_markdown_lists_racks_tors_nodes_sessions_routes_and_skipped(lab_plan):
    tors, nodes = all_up(lab_plan)
    nodes["r1-cp"]["routes"] = [{"dst": "10.244.1.64/26", "nexthops": [{"gateway": "10.77.1.2"}, {"gateway": "10.77.1.3"}]}]
    skipped = [{"stage": "manifest apply", "reason": "no API server in the lab"}]
    text = render_markdown(build_report(lab_plan, tors, nodes, skipped))
    assert "| r1 | 65001 | 10.77.1.0/24 | tor1a, tor1b | r1-cp, r1-w1, r1-w2 |" in text
    assert "| tor2a | frr | 65002 | 10.77.2.2 | r2 | 3/3 |  |" in text
    assert "| r2-w1 | r2 | 10.77.2.12 | 65002 | kube_node | tor2a |" in text
    assert "| r1-w2 | tor1b | IPv4 | 10.77.1.3 | 65001 | tor | Established | Established | Established |" in text
    assert "### r1-cp (1 routes)" in text and "- 10.244.1.64/26 via 10.77.1.2, 10.77.1.3" in text
    assert "- **manifest apply**: no API server in the lab" in text


def test_report_has_no_run_dependent_content(lab_plan):
    """Same network, same bytes: a rerun must not report a change."""
    tors, nodes = all_up(lab_plan)
    first = build_report(lab_plan, tors, nodes)
    again = build_report(lab_plan, *all_up(lab_plan))
    assert render_markdown(first) == render_markdown(again)
    assert render_dot(first) == render_dot(again)


def test_text_summary_flags_down_sessions(lab_plan):
    tors, nodes = all_up(lab_plan)
    nodes["r2-cp"] = node_view(lab_plan, "r2-cp", {"tor2a": "Active"})
    lines = render_text(build_report(lab_plan, tors, nodes))
    assert lines[0].startswith("1 of 9 BGP sessions NOT Established (nodes: r2-cp)")
    down = [line for line in lines if "DOWN" in line]
    assert len(down) == 1 and "r2-cp <-> tor2a" in down[0] and "r2-cp reports Active" in down[0]


def test_dot_colours_sessions_by_state(lab_plan):
    tors, nodes = all_up(lab_plan)
    tors["tor1b"] = {"sessions": [], "error": "bgpd is not running", "routes": None}
    for node in ("r1-cp", "r1-w1"):
        nodes[node] = node_view(lab_plan, node, {"tor1b": "Active"})
    del nodes["r1-w2"]  # nobody can check r1-w2 <-> tor1b (nor r1-w2 <-> tor1a's node side)
    dot = render_dot(build_report(lab_plan, tors, nodes))
    assert dot.count("color=red3") == 2 and dot.count("color=forestgreen") == 6 and dot.count("color=gray55") == 1
    assert 'subgraph "cluster_r1"' in dot and '"tor1b" -- "r1-cp"' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (apt package graphviz)")
def test_dot_output_renders_with_graphviz(lab_plan):
    tors, nodes = all_up(lab_plan)
    proc = subprocess.run(["dot", "-Tsvg"], input=render_dot(build_report(lab_plan, tors, nodes)),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("<g id=\"edge") == 9


def test_dual_stack_plan_has_a_session_per_family(dual_stack_plan):
    """Issue 13: the dual_stack design has 18 sessions (9 node-ToR pairs, IPv4 and IPv6), and
    the report used to expect only the 9 IPv4 ones."""
    sessions = expected_sessions(dual_stack_plan)
    assert len(sessions) == 18
    assert sorted(k for k in sessions if k[2] == 6) == sorted(
        [(n, t, 6) for n in ("r1-cp", "r1-w1", "r1-w2") for t in ("tor1a", "tor1b")]
        + [(n, "tor2a", 6) for n in ("r2-cp", "r2-w1", "r2-w2")])
    v6 = sessions[("r1-w1", "tor1b", 6)]
    assert (v6.peer_ip, v6.node_ip, v6.peer_asn, v6.kind) == ("fd00:77:1::3", "fd00:77:1::12", 65001, "tor")
    v4 = sessions[("r1-w1", "tor1b", 4)]
    assert (v4.peer_ip, v4.node_ip) == ("10.77.1.3", "10.77.1.12")


def dual_stack_views(plan, down=None):
    """Both ends of every session as the readers return them; ``down`` {(node, tor, family): state}."""
    down = down or {}
    tors = {t: {"sessions": [dict(s, state=down.get((s["node"], t, s["family"]), "Established"))
                             for s in router_sessions(r["neighbors"])], "error": None, "routes": []}
            for t, r in plan["tor_routers"].items()}
    nodes = {}
    for name, node in plan["nodes"].items():
        states = {}
        for peer in node["peers"]:
            states[peer["ip"]] = down.get((name, peer["name"], 4), "Established")
            states[peer["ip6"]] = down.get((name, peer["name"], 6), "Established")
        nodes[name] = {"sessions": states, "error": None, "routes": []}
    return tors, nodes


def test_dual_stack_report_counts_each_family(dual_stack_plan):
    report = build_report(dual_stack_plan, *dual_stack_views(dual_stack_plan))
    assert report.ok and report.counts() == {UP: 18, DOWN: 0, UNVERIFIED: 0}
    assert headline(report) == "All 18 BGP sessions Established (9 IPv4, 9 IPv6)."
    text = render_markdown(report)
    assert "| r1-w2 | tor1b | IPv6 | fd00:77:1::3 | 65001 | tor | Established | Established | Established |" in text
    assert "| tor1a | frr | 65001 | 10.77.1.2, fd00:77:1::2 | r1 | 6/6 |  |" in text


def test_dual_stack_ipv6_session_down_is_named_with_its_family(dual_stack_plan):
    tors, nodes = dual_stack_views(dual_stack_plan, {("r2-w1", "tor2a", 6): "Active"})
    report = build_report(dual_stack_plan, tors, nodes)
    assert not report.ok and report.affected_nodes == ["r2-w1"]
    # The router lists the session under the node's IPv6 address and says Active; the node agrees.
    assert report.problems == ["r2-w1 <-> tor2a IPv6 (fd00:77:2::2, AS 65002): tor2a reports Active; r2-w1 reports Active"]
    assert headline(report) == "1 of 18 BGP sessions NOT Established (0 IPv4, 1 IPv6; nodes: r2-w1); 17 Established (9 IPv4, 8 IPv6)."
    # The IPv4 session of the same pair is up; the edge of the pair shows the worse.
    dot = render_dot(report)
    assert '"tor2a" -- "r2-w1" [color=red3' in dot and "IPv4 up, IPv6 down" in dot


def test_planned_ipv6_session_nobody_checked_fails(dual_stack_plan):
    """A node view without BIRD6's answer and a router that printed only its IPv4 sessions:
    the IPv6 sessions are unverified, and that fails unless accepted."""
    tors, nodes = dual_stack_views(dual_stack_plan)
    for name, view in nodes.items():
        view["sessions"] = {ip: state for ip, state in view["sessions"].items() if ":" not in ip}
    tors = {}
    report = build_report(dual_stack_plan, tors, nodes)
    assert report.counts(4) == {UP: 9, DOWN: 0, UNVERIFIED: 0}
    # The node's missing answer for an IPv6 peer counts as "missing" (down): the node was asked.
    assert report.counts(6)[DOWN] == 9
    nodes = {}
    report = build_report(dual_stack_plan, tors, nodes)
    assert not report.ok and report.counts(6)[UNVERIFIED] == 9
    assert headline(report).startswith("18 of 18 not verified (9 IPv4, 9 IPv6; a failure; set calico_verify_allow_unverified")
    assert "r1-cp <-> tor1a IPv6 (fd00:77:1::2, AS 65001): nobody could check it" in report.problems
    accepted = build_report(dual_stack_plan, tors, nodes, allow_unverified=True)
    assert accepted.ok and "- r1-cp <-> tor1a IPv6 (fd00:77:1::2, AS 65001)" in render_markdown(accepted)


def test_node_side_readers_are_asked_for_both_families(dual_stack_plan):
    assert planned_peer_addresses(dual_stack_plan, "r1-w1") == ["10.77.1.2", "10.77.1.3", "fd00:77:1::2", "fd00:77:1::3"]


def test_dual_stack_topology_shows_both_addresses(dual_stack_plan):
    dot = render_dot(build_report(dual_stack_plan, *dual_stack_views(dual_stack_plan)))
    assert '"tor1b" [shape=box, style=filled, fillcolor=lightsteelblue, label="tor1b\\n10.77.1.3\\nfd00:77:1::3\\nAS 65001"];' in dot
    assert '"r2-w1" [shape=ellipse, label="r2-w1\\n10.77.2.12\\nfd00:77:2::12"];' in dot
    # One edge per node-ToR pair, both families behind it.
    assert dot.count(" -- ") == 9 and dot.count("IPv4 up, IPv6 up") == 9
