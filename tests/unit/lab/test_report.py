"""plugin_utils.report: sessions joined from both ends, problems naming nodes, report files."""

import copy
import functools
import json
import shutil
import subprocess

import pytest

from plan_inputs import base, plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.report import (
    DOWN,
    UNVERIFIED,
    UP,
    Session,
    _dot_id,
    _pool_section,
    build_report,
    expected_sessions,
    headline,
    node_views_from_status,
    normalise_routes,
    planned_peer_addresses,
    pool_forecast_lines,
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


# --- What the operator reads: console lines, the topology graph, routes and views as gathered ---

# Plans are built once per process (mutmut reruns these tests per mutant); tests get copies.
@functools.lru_cache(maxsize=None)
def _small_plan(extra_node):
    inv = tor_base()
    name, rack, ip = extra_node
    inv.groups["k8s_cluster"].append(name)
    inv.groups["kube_node"].append(name)
    inv.hosts[name] = {"ansible_host": ip, "calico_rack": rack}
    return plan_of(inv)


def small_plan(extra_node):
    """tor_base's two racks (a1, a2 | b1, b2, one FRR ToR each) and one more node."""
    return copy.deepcopy(_small_plan(extra_node))


@functools.lru_cache(maxsize=None)
def _mesh_plan(addresses, reflectors=(), **cluster):
    inv = base(nodes=len(addresses), **cluster)
    for (_name, host), address in zip(sorted(inv.hosts.items()), addresses):
        host["ansible_host"] = address
    if reflectors:
        inv.groups["calico_route_reflectors"] = list(reflectors)
        for name in reflectors:
            inv.hosts[name]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    return plan_of(inv)


def mesh_plan(addresses, reflectors=(), **cluster):
    """A cluster without racks or ToRs (full mesh unless ``cluster`` says otherwise) with these node addresses."""
    return copy.deepcopy(_mesh_plan(tuple(addresses), tuple(reflectors), **cluster))


def dot_json(source):
    """Graphviz's own reading of a DOT source (dot -Tjson): what it drew, or the parse error."""
    proc = subprocess.run(["dot", "-Tjson"], input=source, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (apt package graphviz)")


def test_console_lines_align_the_sessions_and_say_why_one_is_down():
    plan = small_plan(extra_node=("a10", "r1", "10.1.1.20"))
    tors = {"tor1": tor_view(plan, "tor1", {"a10": "Active"}), "tor2": tor_view(plan, "tor2")}
    nodes = {n: node_view(plan, n) for n in plan["nodes"]}
    nodes["a10"] = node_view(plan, "a10", {"tor1": "Connect"})
    nodes["a1"]["routes"] = [{"dst": "10.244.%d.0/26" % i, "gateway": "10.1.1.1"} for i in range(5)]
    skipped = [{"stage": "manifest apply", "reason": "no API server"}]
    lines = render_text(build_report(plan, tors, nodes, skipped))
    assert lines == [
        "1 of 5 BGP sessions NOT Established (nodes: a10); 4 Established.",
        # The session column is as wide as the longest "node <-> peer"; the address column 15.
        "  a1 <-> tor1   10.1.1.1        Established",
        "  a10 <-> tor1  10.1.1.1        DOWN  (tor1 reports Active; a10 reports Connect)",
        "  a2 <-> tor1   10.1.1.1        Established",
        "  b1 <-> tor2   10.1.2.1        Established",
        "  b2 <-> tor2   10.1.2.1        Established",
        # The first four destinations of each host that returned routes, then how many in all.
        "  routes on a1: 5 (10.244.0.0/26, 10.244.1.0/26, 10.244.2.0/26, 10.244.3.0/26, ...)",
        "  routes on a10: 0 ()",
        "  routes on a2: 0 ()",
        "  routes on b1: 0 ()",
        "  routes on b2: 0 ()",
        "  routes on tor1: 0 ()",
        "  routes on tor2: 0 ()",
        "  skipped manifest apply: no API server",
    ]


def test_console_keeps_a_state_text_that_has_a_colon_whole(lab_plan):
    # BIRD's protocol info, as ``birdcl show protocols`` prints it for a peer that refuses the connection.
    tors, nodes = all_up(lab_plan)
    nodes["r2-cp"] = node_view(lab_plan, "r2-cp", {"tor2a": "Active Socket: Connection refused"})
    down = [line for line in render_text(build_report(lab_plan, tors, nodes)) if "DOWN" in line]
    assert down == ["  r2-cp <-> tor2a  10.77.2.2       DOWN  (r2-cp reports Active Socket: Connection refused)"]


def test_console_lines_name_the_family_in_a_dual_stack_plan(dual_stack_plan):
    tors, nodes = dual_stack_views(dual_stack_plan, {("r2-w1", "tor2a", 6): "Idle"})
    for view in list(tors.values()) + list(nodes.values()):
        view["routes"] = None
    lines = render_text(build_report(dual_stack_plan, tors, nodes))
    assert "  r1-cp <-> tor1a IPv4  10.77.1.2       Established" in lines
    assert "  r1-cp <-> tor1a IPv6  fd00:77:1::2    Established" in lines
    assert "  r2-w1 <-> tor2a IPv6  fd00:77:2::2    DOWN  (tor2a reports Idle; r2-w1 reports Idle)" in lines
    assert len(lines) == 19 and not any(line.startswith("  routes on") for line in lines)


def test_console_lists_plan_changes_after_the_sessions(lab_plan):
    earlier = copy.deepcopy(lab_plan)
    del earlier["nodes"]["r2-w2"]
    changes = plan_changes.compare(earlier, lab_plan)
    lines = render_text(build_report(lab_plan, *all_up(lab_plan), plan_changes=changes))
    start = lines.index("plan changes against plan.previous.json:")
    assert lines[start + 1] == "  node r2-w2: added: rack r2, 10.77.2.13, AS 65002, peers tor2a"
    assert lines[-1] == "  Unchanged: 5 node(s), 3 router(s), 2 rack(s)."


def test_a_problem_names_only_the_side_that_disagrees():
    session = Session("r1-w1", "tor1a", "10.77.1.2", 65001, "tor", "r1", tor_view="Established", node_view="Connect")
    assert session.status == DOWN
    assert session.problem() == "r1-w1 <-> tor1a (10.77.1.2, AS 65001): r1-w1 reports Connect"
    session = Session("r1-w1", "tor1a", "fd00:77:1::2", 65001, "tor", "r1", family=6, tor_view="Idle", node_view=None)
    assert session.problem(with_family=True) == "r1-w1 <-> tor1a IPv6 (fd00:77:1::2, AS 65001): tor1a reports Idle"
    # A host that did not answer decides nothing: with no other view the session is unverified.
    assert Session("r1-w1", "tor1a", "10.77.1.2", 65001, "tor", "r1", tor_view="not answering").status == UNVERIFIED


def test_a_plan_without_bgp_sessions_says_so():
    report = build_report(mesh_plan(["10.10.0.10", "10.10.0.11"], calico_bgp_mode="none", calico_encapsulation="vxlan"))
    assert report.sessions == [] and report.ok
    assert headline(report) == "No BGP sessions are expected by the plan (BGP mode none)."
    assert render_text(report) == ["No BGP sessions are expected by the plan (BGP mode none)."]
    assert "## BGP sessions\n\nNone expected by the plan.\n" in render_markdown(report)


def test_headline_counts_every_state_and_how_unverified_is_judged(lab_plan):
    tors, nodes = all_up(lab_plan)
    del tors["tor2a"]
    for node in ("r2-cp", "r2-w1"):
        del nodes[node]
    nodes["r1-w1"] = node_view(lab_plan, "r1-w1", {"tor1a": "OpenSent"})
    report = build_report(lab_plan, tors, nodes)
    assert headline(report) == ("1 of 9 BGP sessions NOT Established (nodes: r1-w1); 2 of 9 not verified "
                                "(a failure; set calico_verify_allow_unverified: true to accept); 6 Established.")
    accepted = build_report(lab_plan, tors, nodes, allow_unverified=True)
    assert headline(accepted) == ("1 of 9 BGP sessions NOT Established (nodes: r1-w1); 2 of 9 not verified "
                                  "(accepted: calico_verify_allow_unverified); 6 Established.")
    assert accepted.affected_nodes == ["r1-w1"] and not accepted.ok
    assert accepted.counts() == {UP: 6, DOWN: 1, UNVERIFIED: 2}


def test_a_router_listing_a_session_under_another_ipv6_spelling_is_still_matched(dual_stack_plan):
    tors, nodes = dual_stack_views(dual_stack_plan)
    # fd00:77:1::12 written out (zeros kept, upper case), as some router CLIs print it.
    for session in tors["tor1a"]["sessions"]:
        if session["ip"] == "fd00:77:1::12":
            session["ip"] = "FD00:77:1:0:0:0:0:12"
    nodes["r1-w1"]["sessions"] = {("FD00:0077:0001::2" if ip == "fd00:77:1::2" else ip): state
                                  for ip, state in nodes["r1-w1"]["sessions"].items()}
    report = build_report(dual_stack_plan, tors, nodes)
    assert report.ok and report.counts() == {UP: 18, DOWN: 0, UNVERIFIED: 0}


def test_markdown_shows_views_nobody_gave_and_hosts_without_routes(lab_plan):
    tors, nodes = all_up(lab_plan)
    del nodes["r1-cp"]
    nodes["r2-cp"]["routes"] = [{"dst": "10.244.9.0/26", "dev": "eth1", "scope": "link"}]
    report = build_report(lab_plan, tors, nodes)
    text = render_markdown(report)
    assert "| r1-cp | tor1a | IPv4 | 10.77.1.2 | 65001 | tor | Established | - | Established |" in text
    assert "### r2-cp (1 routes)\n\n- 10.244.9.0/26 via -\n" in text
    assert "### r2-w1 (0 routes)\n\n- none\n" in text
    assert "Nothing was skipped." in text
    assert "No routes were gathered." in render_markdown(build_report(lab_plan))


def test_routes_as_ip_json_prints_them():
    # ``ip -j route`` on a node: the default route, a link route, ECMP over both ToRs, a blackhole
    # of the node's own block; ``ip -j -6 route`` a multipath IPv6 route.
    raw = [
        {"dst": "default", "gateway": "10.77.1.1", "dev": "eth1", "flags": []},
        {"dst": "10.77.1.0/24", "dev": "eth1", "protocol": "kernel", "scope": "link", "prefsrc": "10.77.1.12", "flags": []},
        {"dst": "10.244.1.0/26", "protocol": "bird", "flags": [],
         "nexthops": [{"gateway": "10.77.1.10", "dev": "eth1", "weight": 1, "flags": []},
                      {"gateway": "10.77.1.9", "dev": "eth1", "weight": 1, "flags": []}]},
        {"type": "blackhole", "dst": "10.244.0.0/26", "protocol": "bird", "flags": []},
        {"type": "unreachable", "dst": "10.244.0.64/26", "protocol": "bird", "flags": []},
        {"dst": "fd00:244::/122", "protocol": "bird", "metric": 1024, "flags": [], "pref": "medium",
         "nexthops": [{"gateway": "fd00:77:1::a", "dev": "eth1", "weight": 1, "flags": []},
                      {"gateway": "fd00:77:1::9", "dev": "eth1", "weight": 1, "flags": []}]},
        {"dst": "9.9.9.0/24", "nexthops": [{"dev": "wg0", "weight": 1, "flags": []}]},
        {"gateway": "10.77.1.1"},
    ]
    assert normalise_routes(raw) == [
        # Networks by address (9 before 10), IPv4 first; gateways by address too (.9 before .10).
        {"dst": "9.9.9.0/24", "via": []},
        {"dst": "10.77.1.0/24", "via": []},
        {"dst": "10.244.0.0/26", "via": ["blackhole"]},
        {"dst": "10.244.0.64/26", "via": []},
        {"dst": "10.244.1.0/26", "via": ["10.77.1.9", "10.77.1.10"]},
        {"dst": "fd00:244::/122", "via": ["fd00:77:1::9", "fd00:77:1::a"]},
        # Names that are not networks follow, by name; an entry without dst shows as "?".
        {"dst": "?", "via": ["10.77.1.1"]},
        {"dst": "default", "via": ["10.77.1.1"]},
    ]
    assert normalise_routes(None) == [] and normalise_routes([]) == []


def test_calico_node_status_views_carry_no_routes_and_say_when_there_was_no_status():
    views = node_views_from_status({
        "r1-cp": {"established": ["10.77.1.2", "fd00:77:1::2"], "missing": [{"peer": "tor1b", "ip": "10.77.1.3", "state": "Connect"}],
                  "status_reported": True},
        "r1-w1": {"established": [], "missing": [], "status_reported": False},
        "r1-w2": {"status_reported": True},
    })
    assert views == {
        "r1-cp": {"sessions": {"10.77.1.2": "Established", "fd00:77:1::2": "Established", "10.77.1.3": "Connect"},
                  "routes": None, "error": None},
        "r1-w1": {"sessions": {}, "routes": None, "error": "calico-node reported no CalicoNodeStatus"},
        "r1-w2": {"sessions": {}, "routes": None, "error": None},
    }
    assert node_views_from_status(None) == {}


def test_node_side_readers_get_the_peer_addresses_in_address_order():
    plan = mesh_plan(["10.10.0.10", "10.10.0.9", "10.10.0.100"])
    names = {n["ip"]: name for name, n in plan["nodes"].items()}
    assert planned_peer_addresses(plan, names["10.10.0.10"]) == ["10.10.0.9", "10.10.0.100"]
    assert planned_peer_addresses(plan, names["10.10.0.100"]) == ["10.10.0.9", "10.10.0.10"]
    assert planned_peer_addresses(plan, "not-a-node") == []


# --- topology.dot, read back by Graphviz itself ---

def graph_parts(graph):
    """(graph label, {cluster label: sorted member names}, {name: (shape, label)}, [(tail, head, attrs)]) of dot -Tjson."""
    objects = graph.get("objects", [])
    clusters = {o["label"]: sorted(objects[i]["name"] for i in o.get("nodes", []))
                for o in objects if o["name"].startswith("cluster_")}
    nodes = {o["name"]: (o.get("shape"), o.get("label")) for o in objects if not o["name"].startswith("cluster_")}
    edges = [(objects[e["tail"]]["name"], objects[e["head"]]["name"], e) for e in graph.get("edges", [])]
    return graph["label"], clusters, nodes, edges


@needs_graphviz
def test_topology_puts_each_rack_in_a_box_with_its_routers_and_nodes(lab_plan):
    tors, nodes = all_up(lab_plan)
    nodes["r2-w2"] = node_view(lab_plan, "r2-w2", {"tor2a": "Active"})
    del nodes["r1-cp"]
    del tors["tor1a"]
    graph = dot_json(render_dot(build_report(lab_plan, tors, nodes)))
    label, clusters, drawn, edges = graph_parts(graph)
    assert label.startswith("lab: 1 of 9 BGP sessions NOT Established (nodes: r2-w2); 1 of 9 not verified")
    assert (graph["rankdir"], graph["labelloc"], graph["fontname"]) == ("TB", "t", "Helvetica")
    # Every host once, nothing else; the look set once for all nodes and all edges.
    assert set(drawn) == set(lab_plan["nodes"]) | set(lab_plan["tor_routers"])
    objects = [o for o in graph["objects"] if o["name"] in drawn]
    assert {(o["fontname"], o["fontsize"]) for o in objects} == {("Helvetica", "10")}
    assert {(o["style"], o["fillcolor"]) for o in objects if o["shape"] == "box"} == {("filled", "lightsteelblue")}
    assert {(e["fontname"], e["fontsize"], e["penwidth"]) for e in graph["edges"]} == {("Helvetica", "8", "2")}
    assert {(o["style"], o["color"]) for o in graph["objects"] if o["name"].startswith("cluster_")} == {("rounded", "gray60")}
    assert clusters == {"rack r1 (AS 65001)": ["r1-cp", "r1-w1", "r1-w2", "tor1a", "tor1b"],
                        "rack r2 (AS 65002)": ["r2-cp", "r2-w1", "r2-w2", "tor2a"]}
    assert drawn["tor1b"] == ("box", "tor1b\\n10.77.1.3\\nAS 65001")
    assert drawn["r2-w1"] == ("ellipse", "r2-w1\\n10.77.2.12")
    by_pair = {(tail, head): e for tail, head, e in edges}
    assert len(edges) == 9 and all(tail.startswith("tor") for tail, _head in by_pair)
    assert (by_pair[("tor2a", "r2-w2")]["color"], by_pair[("tor2a", "r2-w2")]["style"]) == ("red3", "dashed")
    assert (by_pair[("tor1a", "r1-cp")]["color"], by_pair[("tor1a", "r1-cp")]["style"]) == ("gray55", "dotted")
    assert (by_pair[("tor1a", "r1-w1")]["color"], by_pair[("tor1a", "r1-w1")]["style"]) == ("forestgreen", "solid")
    assert by_pair[("tor2a", "r2-w2")]["tooltip"] == "r2-w2 <-> tor2a: down"
    assert by_pair[("tor1a", "r1-cp")]["tooltip"] == "r1-cp <-> tor1a: not verified"


@needs_graphviz
def test_topology_of_a_mesh_draws_each_node_pair_once_outside_any_rack():
    plan = mesh_plan(["10.10.0.10", "10.10.0.11", "10.10.0.12"])
    ips = {n["ip"]: name for name, n in plan["nodes"].items()}
    views = {name: {"sessions": {ip: "Established" for ip in planned_peer_addresses(plan, name)}} for name in plan["nodes"]}
    # Both ends of a mesh pair report it; one end saying Active makes the pair's edge down.
    views[ips["10.10.0.12"]]["sessions"]["10.10.0.10"] = "Active"
    label, clusters, drawn, edges = graph_parts(dot_json(render_dot(build_report(plan, {}, views))))
    assert clusters == {} and set(drawn) == set(plan["nodes"])
    assert drawn[ips["10.10.0.11"]] == ("ellipse", "%s\\n10.10.0.11" % ips["10.10.0.11"])
    assert len(edges) == 3
    colours = sorted(e["color"] for _t, _h, e in edges)
    assert colours == ["forestgreen", "forestgreen", "red3"]


@needs_graphviz
def test_a_router_outside_every_rack_is_still_drawn_and_a_rack_without_an_as_is_named_alone(lab_plan):
    lab_plan["racks"]["r2"]["tor_routers"] = []
    lab_plan["racks"]["r2"]["asn"] = None
    _label, clusters, drawn, _edges = graph_parts(dot_json(render_dot(build_report(lab_plan))))
    assert clusters == {"rack r1 (AS 65001)": ["r1-cp", "r1-w1", "r1-w2", "tor1a", "tor1b"], "rack r2": ["r2-cp", "r2-w1", "r2-w2"]}
    assert drawn["tor2a"] == ("box", "\\N")


@needs_graphviz
def test_dot_strings_keep_quotes_backslashes_and_line_breaks():
    # DOT quoted strings escape only the double quote; Graphviz labels read \\ as a backslash and \n as a line break.
    assert _dot_id('say "hi"') == '"say \\"hi\\""'
    assert _dot_id("a\\nb") == '"a\\\\nb"'
    assert _dot_id("two\nlines") == '"two\\nlines"'
    name = 'rack "east" \\ 1'
    graph = dot_json("graph g { %s [label=%s]; }" % (_dot_id(name), _dot_id("first\nsecond")))
    assert graph["objects"][0]["name"] == 'rack "east" \\\\ 1'
    assert graph["objects"][0]["label"] == "first\\nsecond"


def markdown_section(text, heading):
    """The lines of one ``## heading`` section of report.md, without the heading."""
    return text.split("\n## %s\n" % heading, 1)[1].split("\n## ", 1)[0].strip("\n").split("\n")


def test_report_md_reads_top_to_bottom_from_the_lab_inventory(lab_plan):
    # Expected values from inventory/lab (hosts.yml, group_vars/all.yml): cluster lab, Calico
    # 3.31.7, two racks, FRR ToRs, 10.244.0.0/16 in /26 blocks.
    tors, nodes = all_up(lab_plan)
    tors["tor1b"] = {"sessions": [], "error": "bgpd is not running", "routes": None}
    nodes["r1-w2"]["routes"] = [{"dst": "10.244.1.0/26", "nexthops": [{"gateway": "10.77.1.3"}, {"gateway": "10.77.1.2"}]}]
    skipped = [{"stage": "manifest apply", "reason": "no API server"}, {"stage": "bgp apply", "reason": "calico_bgp_skip_api"}]
    text = render_markdown(build_report(lab_plan, tors, nodes, skipped))
    assert text.startswith("# onprem.calico report: cluster lab\n\n**All 9 BGP sessions Established.**\n\n"
                           "Calico 3.31.7, kubernetes datastore, BGP mode tor (as_per_rack), pod CIDR 10.244.0.0/16, 6 nodes.\n\n## Racks\n")
    assert [line[3:].split("\n")[0] for line in text.split("\n") if line.startswith("## ")] == [
        "Racks", "ToR routers", "IP pools", "Nodes", "BGP sessions", "Routes seen", "Skipped"]
    assert markdown_section(text, "Racks") == [
        "| rack | AS | subnets | ToR routers | nodes |",
        "|---|---|---|---|---|",
        "| r1 | 65001 | 10.77.1.0/24 | tor1a, tor1b | r1-cp, r1-w1, r1-w2 |",
        "| r2 | 65002 | 10.77.2.0/24 | tor2a | r2-cp, r2-w1, r2-w2 |",
    ]
    # tor1b could not be asked; the nodes' views keep its sessions up.
    assert markdown_section(text, "ToR routers") == [
        "| router | platform | AS | peer address | rack | sessions up | error |",
        "|---|---|---|---|---|---|---|",
        "| tor1a | frr | 65001 | 10.77.1.2 | r1 | 3/3 |  |",
        "| tor1b | frr | 65001 | 10.77.1.3 | r1 | 3/3 | bgpd is not running |",
        "| tor2a | frr | 65002 | 10.77.2.2 | r2 | 3/3 |  |",
    ]
    assert markdown_section(text, "Nodes")[:3] == [
        "| node | rack | address | AS | roles | peers |",
        "|---|---|---|---|---|---|",
        "| r1-cp | r1 | 10.77.1.11 | 65001 | kube_control_plane | tor1a, tor1b |",
    ]
    sessions = markdown_section(text, "BGP sessions")
    assert sessions[:2] == ["| node | peer | family | peer address | peer AS | kind | peer's view | node's view | state |",
                            "|---|---|---|---|---|---|---|---|---|"]
    assert "| r1-cp | tor1b | IPv4 | 10.77.1.3 | 65001 | tor | not answering | Established | Established |" in sessions
    assert len(sessions) == 11
    # Every host that returned a route list, by name (tor1b returned none); an empty list says so.
    empty = ["### r1-cp (0 routes)", "", "- none", "", "### r1-w1 (0 routes)", "", "- none", ""]
    routed = ["### r1-w2 (1 routes)", "", "- 10.244.1.0/26 via 10.77.1.2, 10.77.1.3", ""]
    rest = sum((["### %s (0 routes)" % host, "", "- none", ""] for host in ("r2-cp", "r2-w1", "r2-w2", "tor1a", "tor2a")), [])
    assert markdown_section(text, "Routes seen") == empty + routed + rest[:-1]
    assert markdown_section(text, "Skipped") == ["- **manifest apply**: no API server", "- **bgp apply**: calico_bgp_skip_api"]
    assert text.endswith("- **bgp apply**: calico_bgp_skip_api\n")


def test_report_md_marks_down_sessions_and_lists_the_problems(lab_plan):
    tors, nodes = all_up(lab_plan)
    nodes["r2-w1"] = node_view(lab_plan, "r2-w1", {"tor2a": "Active"})
    text = render_markdown(build_report(lab_plan, tors, nodes))
    assert "| r2-w1 | tor2a | IPv4 | 10.77.2.2 | 65002 | tor | Established | Active | **DOWN** |" in text
    assert "| tor2a | frr | 65002 | 10.77.2.2 | r2 | 2/3 |  |" in text
    assert markdown_section(text, "Problems") == ["- r2-w1 <-> tor2a (10.77.2.2, AS 65002): r2-w1 reports Active"]
    unverified = render_markdown(build_report(lab_plan, tors, {}))
    assert "| r1-cp | tor1a | IPv4 | 10.77.1.2 | 65001 | tor | Established | - | Established |" in unverified
    assert "| r1-cp | tor1a | IPv4 | 10.77.1.2 | 65001 | tor | - | - | not verified |" in render_markdown(build_report(lab_plan))


def test_a_mesh_report_says_full_mesh_and_has_no_rack_or_router_sections():
    plan = mesh_plan(["10.10.0.10", "10.10.0.11", "10.10.0.12"])
    text = render_markdown(build_report(plan))
    assert "BGP mode full_mesh, pod CIDR" in text and "## Racks" not in text and "## ToR routers" not in text
    assert all(row.endswith(" | full mesh |") for row in markdown_section(text, "Nodes")[2:])
    # No rack: a dash; the cluster's AS (Calico's default 64512) on every node.
    assert markdown_section(text, "Nodes")[2] == "| n01 | - | 10.10.0.10 | 64512 | kube_control_plane | full mesh |"
    assert len(markdown_section(text, "Nodes")) == 5


def test_pool_lines_give_the_forecast_in_addresses():
    # 6 nodes x 2 blocks of /26 (64 addresses) = 768 of the /16's 65,536 addresses: 1.2 %.
    pools = [
        {"name": "default-ipv4-ippool", "cidr": "10.244.0.0/16", "block_size": 26, "node_selector": "all()", "disabled": False,
         "forecast": {"nodes": 6, "blocks_per_node": 2, "block_size": 26, "needed": 768, "capacity": 65536, "percent": 1.2,
                      "pools": ["default-ipv4-ippool"]}},
        {"name": "gpu", "cidr": "10.245.0.0/24", "block_size": 28, "node_selector": "gpu == 'true'", "disabled": False, "forecast": None},
        {"name": "old", "cidr": "10.246.0.0/18", "block_size": 26, "node_selector": "all()", "disabled": True, "forecast": None},
        {"name": "shared-a", "cidr": "10.247.0.0/24", "block_size": 26, "node_selector": "all()", "disabled": False,
         "forecast": {"nodes": 3, "blocks_per_node": 1, "block_size": 26, "needed": 192, "capacity": 512, "percent": 37.5,
                      "pools": ["shared-a", "shared-b"]}},
    ]
    rooms = [{"family": 4, "used": 2, "slots": 64, "prefix_length": 22, "pod_cidr": "10.244.0.0/16", "free": 62,
              "free_above_highest_index": 61}]
    plan = {"ip_pools": pools, "rack_pools": rooms}
    assert pool_forecast_lines(plan) == [
        "pool default-ipv4-ippool (10.244.0.0/16): 6 node(s) x 2 block(s) of /26 = 768 of 65536 addresses (1.2 %)",
        "pool gpu (10.245.0.0/24): no forecast (node selector gpu == 'true' is not evaluated)",
        "pool old (10.246.0.0/18): disabled",
        "pool shared-a (10.247.0.0/24): 3 node(s) x 1 block(s) of /26 = 192 of 512 addresses (37.5 %), shared by shared-a, shared-b",
        "rack pools IPv4: 2 of 64 /22 pools of 10.244.0.0/16 used, 62 free (61 above the highest index)",
    ]
    assert pool_forecast_lines({}) == []
    section = _pool_section(plan)
    assert section[:3] == ["## IP pools", "",
                           "| pool | CIDR | block | node selector | disabled | nodes | addresses needed | addresses | use |"]
    assert section[4:8] == [
        "| default-ipv4-ippool | 10.244.0.0/16 | /26 | all() | no | 6 | 768 | 65536 | 1.2 % |",
        "| gpu | 10.245.0.0/24 | /28 | gpu == 'true' | no | - | - | - | - |",
        "| old | 10.246.0.0/18 | /26 | all() | yes | - | - | - | - |",
        "| shared-a | 10.247.0.0/24 | /26 | all() | no | 3 | 192 | 512 | 37.5 % |",
    ]
    assert section[8:] == [
        "", "Forecast: each node's maximum pods (calico_max_pods_per_node) plus its tunnel addresses, rounded up to whole blocks; "
        "pools serving the same nodes share the need.", "",
        "- rack pools IPv4: 2 of 64 /22 pools of 10.244.0.0/16 used, 62 free (61 above the highest index)", ""]
    assert _pool_section({"ip_pools": pools[:1]})[-2:] == ["pools serving the same nodes share the need.".join(
        ["Forecast: each node's maximum pods (calico_max_pods_per_node) plus its tunnel addresses, rounded up to whole blocks; ", ""]), ""]


def reflector_plan():
    """Four nodes, n02 and n03 route reflectors (one cluster ID): n01 and n04 peer with both, the reflectors with everyone."""
    return mesh_plan(["10.10.0.10", "10.10.0.11", "10.10.0.12", "10.10.0.13"], reflectors=("n02", "n03"),
                     calico_bgp_mode="route_reflectors")


def test_route_reflector_sessions_are_seen_from_both_nodes():
    plan = reflector_plan()
    sessions = expected_sessions(plan)
    # A client has a session with each reflector; each reflector with every other node.
    assert sorted(k[:2] for k in sessions) == [("n01", "n02"), ("n01", "n03"), ("n02", "n01"), ("n02", "n03"), ("n02", "n04"),
                                               ("n03", "n01"), ("n03", "n02"), ("n03", "n04"), ("n04", "n02"), ("n04", "n03")]
    assert {s.kind for (node, _p, _f), s in sessions.items() if node in ("n01", "n04")} == {"route_reflector"}
    assert (sessions[("n01", "n02", 4)].peer_ip, sessions[("n01", "n02", 4)].node_ip) == ("10.10.0.11", "10.10.0.10")
    views = {name: {"sessions": {ip: "Established" for ip in planned_peer_addresses(plan, name)}, "error": None}
             for name in plan["nodes"]}
    views["n04"]["sessions"]["10.10.0.11"] = "Connect"  # n04 says its session with n02 is not up
    views["n03"] = {"sessions": {}, "error": "calico-node is not running"}
    report = build_report(plan, {}, views)
    by_pair = {(s.node, s.peer): s for s in report.sessions}
    # The far end's view is the other node's answer for this node's address.
    assert (by_pair[("n04", "n02")].node_view, by_pair[("n04", "n02")].tor_view) == ("Connect", "Established")
    assert (by_pair[("n02", "n04")].node_view, by_pair[("n02", "n04")].tor_view) == ("Established", "Connect")
    assert {(s.node, s.peer) for s in report.down} == {("n04", "n02"), ("n02", "n04")}
    # A node that did not answer decides none of its sessions; the other end still does.
    assert (by_pair[("n03", "n01")].node_view, by_pair[("n03", "n01")].tor_view) == ("not answering", "Established")
    assert (by_pair[("n01", "n03")].node_view, by_pair[("n01", "n03")].tor_view) == ("Established", "not answering")
    assert report.errors == {"n03": "calico-node is not running"}
    assert report.counts() == {UP: 8, DOWN: 2, UNVERIFIED: 0}


def test_router_answers_keep_their_routes_errors_and_missing_states(lab_plan):
    tors, nodes = all_up(lab_plan)
    tors["tor1a"]["sessions"][0].pop("state")  # r1-cp listed without a state
    tors["tor1a"]["routes"] = [{"dst": "10.244.1.0/26", "gateway": "10.77.1.11"}]
    tors["tor2a"]["routes"] = None
    nodes["r2-w2"] = {"sessions": {}, "error": "ssh: connect to host r2-w2 port 22: Connection timed out", "routes": None}
    report = build_report(lab_plan, tors, nodes)
    by_pair = {(s.node, s.peer): s for s in report.sessions}
    assert by_pair[("r1-cp", "tor1a")].tor_view == "missing" and by_pair[("r1-cp", "tor1a")].status == DOWN
    assert by_pair[("r2-w2", "tor2a")].node_view == "not answering" and by_pair[("r2-w2", "tor2a")].status == UP
    assert report.routes["tor1a"] == [{"dst": "10.244.1.0/26", "via": ["10.77.1.11"]}]
    assert "tor2a" not in report.routes and "r2-w2" not in report.routes and report.routes["tor1b"] == []
    assert report.errors == {"r2-w2": "ssh: connect to host r2-w2 port 22: Connection timed out"}


def test_a_router_neighbour_the_node_does_not_peer_with_is_still_an_expected_session(dual_stack_plan):
    """The router side counts on its own: a ToR neighbour whose node lost its BGPPeer (or was
    never given one) is a session the report must expect, in both families, named from the
    router's side (its peer addresses and AS), with the node's address the router peers with."""
    plan = dual_stack_plan
    tor_name, tor = sorted(plan["tor_routers"].items())[0]
    neighbor = tor["neighbors"][0]
    node = plan["nodes"][neighbor["node"]]
    node["peers"] = [p for p in node["peers"] if p.get("name") != tor_name]
    node["rack"] = "moved-rack"  # the node's own rack names the session, not the router's
    sessions = expected_sessions(plan)
    for family, peer_ip, node_ip in ((4, tor["peer_ip"], neighbor["ip"]), (6, tor["peer_ip6"], neighbor["ip6"])):
        session = sessions[(neighbor["node"], tor_name, family)]
        assert (session.node, session.peer, session.family, session.peer_ip, session.peer_asn, session.kind, session.rack, session.node_ip) == (
            neighbor["node"], tor_name, family, peer_ip, tor["asn"], "tor", "moved-rack", node_ip)
    # The node side names each session's rack from its node too.
    other = tor["neighbors"][1]["node"]
    assert sessions[(other, tor_name, 4)].rack == plan["nodes"][other]["rack"] == tor["rack"]
    # A neighbour for a node the plan no longer has: the router's rack names it.
    del plan["nodes"][neighbor["node"]]
    plan["bgp"]["node_to_node_mesh"] = False
    orphan = expected_sessions(plan)[(neighbor["node"], tor_name, 4)]
    assert (orphan.rack, orphan.peer_ip, orphan.node_ip) == (tor.get("rack"), tor["peer_ip"], neighbor["ip"])


def test_plan_changes_come_after_the_sessions_not_instead_of_them(lab_plan):
    earlier = copy.deepcopy(lab_plan)
    del earlier["nodes"]["r2-w2"]
    report = build_report(lab_plan, *all_up(lab_plan), plan_changes=plan_changes.compare(earlier, lab_plan))
    lines = render_text(report)
    assert lines[0] == headline(report) == "All 9 BGP sessions Established."
    assert lines.index("  r1-cp <-> tor1a  10.77.1.2       Established") < lines.index("plan changes against plan.previous.json:")
    markdown = render_markdown(report).split("\n")
    assert markdown[0] == "# onprem.calico report: cluster lab"
    assert markdown.index("## BGP sessions") > markdown.index("## Nodes") > 0


def test_markdown_sections_when_nothing_was_checked_gathered_or_skipped(lab_plan):
    """Each section ends with a blank line, so the next heading is not read as part of a list."""
    accepted = render_markdown(build_report(lab_plan, allow_unverified=True)).split("\n")
    start = accepted.index("## Not verified (accepted by calico_verify_allow_unverified)")
    assert accepted[start + 1] == "" and accepted[start + 2].startswith("- ")
    assert accepted[start + 11:] == ["", "## Routes seen", "", "No routes were gathered.", "", "## Skipped", "", "Nothing was skipped.", ""]
    assert accepted[start + 2:start + 11] == ["- " + s.label() for s in build_report(lab_plan, allow_unverified=True).unverified]
    # Not accepted: the unverified sessions are problems, and there is no "accepted" section.
    refused = render_markdown(build_report(lab_plan))
    assert "## Not verified" not in refused and "## Problems" in refused


def test_console_says_not_verified_for_a_session_nobody_checked(lab_plan):
    lines = render_text(build_report(lab_plan))
    assert "  r1-cp <-> tor1a  10.77.1.2       not verified" in lines


def test_dual_stack_nodes_table_lists_both_addresses(dual_stack_plan):
    markdown = render_markdown(build_report(dual_stack_plan, *dual_stack_views(dual_stack_plan)))
    node = dual_stack_plan["nodes"]["r1-w1"]
    assert "| r1-w1 | r1 | %s, %s |" % (node["ip"], node["ip6"]) in markdown


def test_a_session_a_node_does_not_list_is_missing_on_its_side(lab_plan):
    tors, nodes = all_up(lab_plan)
    del nodes["r1-w1"]["sessions"]["10.77.1.2"]  # r1-w1 answered, without its tor1a session
    report = build_report(lab_plan, tors, nodes)
    session = next(s for s in report.sessions if (s.node, s.peer) == ("r1-w1", "tor1a"))
    assert (session.node_view, session.tor_view, session.status) == ("missing", "Established", DOWN)
    assert session.problem() == "r1-w1 <-> tor1a (10.77.1.2, AS 65001): r1-w1 reports missing"


def test_node_to_node_sessions_are_judged_from_both_nodes():
    plan = build_plan(base(nodes=3)).plan
    assert plan["bgp"]["node_to_node_mesh"]
    names = sorted(plan["nodes"])
    address = {n: plan["nodes"][n]["ip"] for n in names}
    # Every node reports every other node Established, except n01 does not list n02 at all.
    views = {n: {"sessions": {address[o]: "Established" for o in names if o != n}, "error": None} for n in names}
    del views[names[0]]["sessions"][address[names[1]]]
    report = build_report(plan, {}, views)
    down = [s for s in report.sessions if s.status == DOWN]
    # The mesh plans the pair from both ends: n01's own view and n02's far-end view are missing.
    assert [(s.node, s.peer, s.node_view, s.tor_view) for s in down] == [
        (names[0], names[1], "missing", "Established"), (names[1], names[0], "Established", "missing")]
    assert all(s.status == UP for s in report.sessions if s not in down)


# --- Values only some inventories produce: empty cells, several entries per cell, list order ---

@functools.lru_cache(maxsize=None)
def _varied_plan():
    # downward_default racks need no AS; r1 has two subnets, a1 is control plane and worker, and
    # rack r3 is declared ahead of its hardware (no ToR, no node yet).
    inv = tor_base(design="downward_default")
    for rack in inv.cluster["calico_racks"].values():
        del rack["asn"]
    inv.cluster["calico_racks"]["r1"]["subnets"].append("10.1.3.0/24")
    inv.cluster["calico_racks"]["r3"] = {"subnets": ["10.1.9.0/24"], "tor_routers": []}
    inv.groups["kube_node"].append("a1")
    return plan_of(inv)


def test_markdown_cells_join_several_values_and_dash_the_missing_ones():
    text = render_markdown(build_report(copy.deepcopy(_varied_plan())))
    assert markdown_section(text, "Racks")[2:] == [
        "| r1 | - | 10.1.1.0/24, 10.1.3.0/24 | tor1 | a1, a2 |",
        "| r2 | - | 10.1.2.0/24 | tor2 | b1, b2 |",
        "| r3 | - | 10.1.9.0/24 | - |  |",
    ]
    # No calico_asn: every node speaks Calico's default AS 64512.
    assert markdown_section(text, "Nodes")[2] == "| a1 | r1 | 10.1.1.11 | 64512 | kube_control_plane, kube_node | tor1 |"


def test_markdown_nodes_without_any_bgp_peer_get_a_dash():
    plan = mesh_plan(["10.10.0.10", "10.10.0.11"], calico_bgp_mode="none", calico_encapsulation="vxlan")
    assert markdown_section(render_markdown(build_report(plan)), "Nodes")[2:] == [
        "| n01 | - | 10.10.0.10 | 64512 | kube_control_plane | - |",
        "| n02 | - | 10.10.0.11 | 64512 | kube_node | - |",
    ]


@functools.lru_cache(maxsize=None)
def _crossed_racks_plan():
    # Node names that do not follow the racks: a1 sits in rack r2, b1 in rack r1.
    inv = tor_base()
    inv.hosts["a1"].update(calico_rack="r2", ansible_host="10.1.2.13")
    inv.hosts["b1"].update(calico_rack="r1", ansible_host="10.1.1.13")
    return plan_of(inv)


def test_sessions_are_listed_rack_by_rack_then_by_node():
    report = build_report(copy.deepcopy(_crossed_racks_plan()))
    assert [(s.rack, s.node, s.peer) for s in report.sessions] == [
        ("r1", "a2", "tor1"), ("r1", "b1", "tor1"), ("r2", "a1", "tor2"), ("r2", "b2", "tor2")]
    assert [line.split()[0] for line in render_text(report)[1:]] == ["a2", "b1", "a1", "b2"]


@functools.lru_cache(maxsize=None)
def _partly_racked_mesh_plan():
    # A full mesh where only n01 is given a rack (racks also name where nodes stand without ToRs).
    inv = base(nodes=3, calico_racks={"1a": {"subnets": ["10.10.0.0/24"]}})
    inv.hosts["n01"]["calico_rack"] = "1a"
    return plan_of(inv)


def test_sessions_of_nodes_outside_any_rack_come_before_the_racks():
    report = build_report(copy.deepcopy(_partly_racked_mesh_plan()))
    assert [(s.rack, s.node, s.peer) for s in report.sessions] == [
        (None, "n02", "n01"), (None, "n02", "n03"), (None, "n03", "n01"), (None, "n03", "n02"), ("1a", "n01", "n02"), ("1a", "n01", "n03")]


def test_console_adds_no_ellipsis_when_a_host_has_exactly_four_routes():
    plan = small_plan(extra_node=("a10", "r1", "10.1.1.20"))
    nodes = {"a1": dict(node_view(plan, "a1"), routes=[{"dst": "10.244.%d.0/26" % i, "gateway": "10.1.1.1"} for i in range(4)])}
    lines = render_text(build_report(plan, {}, nodes))
    assert "  routes on a1: 4 (10.244.0.0/26, 10.244.1.0/26, 10.244.2.0/26, 10.244.3.0/26)" in lines


def dot_declarations(source, name):
    """The DOT statements that declare ``name`` as a node (an edge names it after ``--``)."""
    return [line.strip() for line in source.split("\n") if line.strip().startswith('"%s" [' % name)]


@needs_graphviz
def test_topology_source_declares_each_host_once_and_nothing_else(lab_plan):
    source = render_dot(build_report(lab_plan))
    for host in list(lab_plan["nodes"]) + list(lab_plan["tor_routers"]):
        assert len(dot_declarations(source, host)) == 1, host
    # A router outside every rack is still declared once, at the top level, and no other node appears.
    lab_plan["racks"]["r2"]["tor_routers"] = []
    source = render_dot(build_report(lab_plan))
    assert dot_declarations(source, "tor2a") == ['"tor2a" [shape=box, style=filled, fillcolor=lightsteelblue];']
    _label, _clusters, drawn, _edges = graph_parts(dot_json(source))
    assert set(drawn) == set(lab_plan["nodes"]) | set(lab_plan["tor_routers"])
