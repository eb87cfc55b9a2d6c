"""The run report: every BGP session the plan expects, as seen from each end, and the routes.

Pure Python, controller side. ``build_report(plan, tors, nodes, skipped)`` joins what the
verify stage gathered with the plan; ``render_markdown``, ``render_text`` and ``render_dot``
turn the result into ``report.md``, the console summary and ``topology.dot`` (Graphviz, for
``topology.svg``). Nothing here contacts a host; the output holds no timestamps, so an
unchanged network gives byte-identical files.

Gathered data, keyed by inventory name (anything missing is shown as "not verified"):

``tors``: ``{router: {"sessions": [{"ip", "state", ...}], "error": str|None, "routes": [...]}}``
    ``sessions`` as returned by the ToR verification (one entry per planned session: a
    dual-stack node has an IPv4 and an IPv6 one, each under the node's address of its family);
    ``error`` when the router could not be asked (e.g. bgpd down).
``nodes``: ``{node: {"sessions": {peer ip: state}, "error": str|None, "routes": [...]}}``
    the node's own view of its BGP peers, both families (calico-node's BIRD and BIRD6, or
    CalicoNodeStatus).
``routes``: ``ip -j route`` entries (``dst`` plus ``gateway`` or ``nexthops``).
``skipped``: ``[{"stage", "reason"}]``: stages the run did not do, and why.
``uplinks``: ``{router: {"uplinks": [...], "problems": [str], "error": str|None}}``
    with rack pools, what each ToR advertises to its uplink neighbours
    (module_utils/tor_uplink_routes.py ``check_router``); see ``uplink_checks``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes as changes_of_plan
from ansible_collections.onprem.calico.plugins.module_utils.calico_reconcile import planned_sessions
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import expected_sessions as router_sessions

ESTABLISHED = "Established"
UP, DOWN, UNVERIFIED = "up", "down", "not verified"
# A view from a host that could not be asked: shown, but it checks nothing.
NOT_ANSWERING = "not answering"
EDGE_COLOURS = {UP: "forestgreen", DOWN: "red3", UNVERIFIED: "gray55"}


@dataclass
class Session:
    node: str
    peer: str
    peer_ip: str  # the peer's address in this session's family
    peer_asn: int | None
    kind: str  # tor | route_reflector | node | mesh
    rack: str | None
    family: int = 4  # one session per address family: calico-node's BIRD6 peers only over IPv6
    node_ip: str | None = None  # the node's address in this session's family (what the peer sees)
    tor_view: str | None = None  # state the peer (ToR, or the other node) reports; None when not asked
    node_view: str | None = None  # state the node reports; None when not asked

    @property
    def status(self) -> str:
        views = [v for v in (self.tor_view, self.node_view) if v not in (None, NOT_ANSWERING)]
        if not views:
            return UNVERIFIED
        return UP if all(v == ESTABLISHED for v in views) else DOWN

    def label(self, with_family: bool = False) -> str:
        """``node <-> peer (address, AS n)``; the family named when the plan has both."""
        family = " IPv%d" % self.family if with_family else ""
        return "%s <-> %s%s (%s, AS %s)" % (self.node, self.peer, family, self.peer_ip, self.peer_asn)

    def problem(self, with_family: bool = False) -> str:
        seen = []
        if self.tor_view not in (None, ESTABLISHED):
            seen.append("%s reports %s" % (self.peer, self.tor_view))
        if self.node_view not in (None, ESTABLISHED):
            seen.append("%s reports %s" % (self.node, self.node_view))
        return "%s: %s" % (self.label(with_family), "; ".join(seen))


@dataclass
class Report:
    plan: dict
    sessions: list[Session]
    routes: dict[str, list[dict]]  # host -> [{"dst", "via": [gateways]}]
    skipped: list[dict]
    errors: dict[str, str] = field(default_factory=dict)  # host -> why it could not be asked
    # A session nobody could check is a failure unless the user accepts it
    # (calico_verify_allow_unverified): an unasked router must not pass for a healthy one.
    allow_unverified: bool = False
    # What the plan changed against the one rendered before it (None: not computed).
    plan_changes: changes_of_plan.PlanChanges | None = None
    # Rack pools: per router, what its uplinks receive (UplinkCheck), and what went wrong.
    uplinks: list = field(default_factory=list)
    uplink_problems: list = field(default_factory=list)

    @property
    def down(self) -> list[Session]:
        return [s for s in self.sessions if s.status == DOWN]

    @property
    def unverified(self) -> list[Session]:
        return [s for s in self.sessions if s.status == UNVERIFIED]

    @property
    def families(self) -> list[int]:
        """Address families with planned sessions; labels name the family when there are two."""
        return sorted({s.family for s in self.sessions})

    @property
    def dual_stack(self) -> bool:
        return len(self.families) > 1

    @property
    def problems(self) -> list[str]:
        return [s.problem(self.dual_stack) for s in self.down] + (
            [] if self.allow_unverified else
            ["%s: nobody could check it" % s.label(self.dual_stack) for s in self.unverified]
        ) + self.uplink_problems

    @property
    def affected_nodes(self) -> list[str]:
        failing = self.down + ([] if self.allow_unverified else self.unverified)
        return sorted({s.node for s in failing})

    @property
    def ok(self) -> bool:
        return not self.down and (self.allow_unverified or not self.unverified) and not self.uplink_problems

    def counts(self, family: int | None = None) -> dict[str, int]:
        """Sessions per status, of one address family or of all."""
        out = {UP: 0, DOWN: 0, UNVERIFIED: 0}
        for s in self.sessions:
            if family in (None, s.family):
                out[s.status] += 1
        return out


def _ip_key(text):
    try:
        network = ipaddress.ip_network(text, strict=False)
        # IPv4 before IPv6: networks of different versions do not compare (dual-stack routes).
        return (0, network.version, network)
    except ValueError:
        return (1, text)


def normalise_routes(entries) -> list[dict]:
    """``ip -j route`` entries as ``{"dst", "via"}``, sorted by destination."""
    out = []
    for entry in entries or []:
        via = [entry["gateway"]] if entry.get("gateway") else [h["gateway"] for h in entry.get("nexthops") or [] if h.get("gateway")]
        if not via and entry.get("type") == "blackhole":
            via = ["blackhole"]
        out.append({"dst": entry.get("dst", "?"), "via": sorted(via, key=_ip_key)})
    return sorted(out, key=lambda r: _ip_key(r["dst"]))


def expected_sessions(plan: dict) -> dict[tuple[str, str, int], Session]:
    """Every session the plan asks for, keyed by (node, peer name, family).

    The node side (peers, mesh) and the router side (neighbours) are expanded per family by
    the same functions the CalicoNodeStatus check and the ToR readers and renderers use.
    """
    nodes = plan.get("nodes") or {}
    tors = plan.get("tor_routers") or {}
    out: dict[tuple[str, str, int], Session] = {}
    for s in planned_sessions(nodes, bool((plan.get("bgp") or {}).get("node_to_node_mesh"))):
        out[(s["node"], s["peer"], s["family"])] = Session(
            s["node"], s["peer"], s["peer_ip"], s["peer_asn"], s["kind"], nodes[s["node"]].get("rack"),
            family=s["family"], node_ip=s["node_ip"])
    for tor_name, tor in sorted(tors.items()):
        for neighbor in router_sessions(tor.get("neighbors") or []):
            key = (neighbor["node"], tor_name, neighbor["family"])
            if key not in out:
                rack = (nodes.get(neighbor["node"]) or {}).get("rack", tor.get("rack"))
                peer_ip = tor.get("peer_ip") if neighbor["family"] == 4 else tor.get("peer_ip6")
                out[key] = Session(neighbor["node"], tor_name, peer_ip, tor.get("asn"), "tor", rack,
                                   family=neighbor["family"], node_ip=neighbor["ip"])
    return out


def uplink_checks(plan: dict, uplinks: dict, allow_unverified: bool) -> tuple[list[dict], list[str]]:
    """(rows, problems) of what each rack-pool ToR advertises to its uplinks.

    Rows are the gathered per-uplink entries with the router's name. A router with aggregates
    that was not asked (unreachable, failed) is a problem unless ``allow_unverified``, as a
    session nobody checked is: the spine may be getting every node block.
    """
    rows, problems = [], []
    for name, router in sorted((plan.get("tor_routers") or {}).items()):
        if not router.get("aggregates"):
            continue
        data = uplinks.get(name) or {}
        if data.get("error") or not data:
            if not allow_unverified:
                problems.append("%s: what its uplinks receive was not checked (%s)" % (name, data.get("error") or "router not asked"))
            rows.append({"router": name, "peer": "-", "family": "-", "state": "not verified", "aggregates": [], "missing": [],
                         "specifics": [], "problems": [data.get("error") or "router not asked"]})
            continue
        rows += [dict(row, router=name) for row in data.get("uplinks") or []]
        problems += ["%s: %s" % (name, p) for p in data.get("problems") or []]
    return rows, problems


def build_report(plan: dict, tors: dict | None = None, nodes: dict | None = None, skipped: list | None = None,
                 allow_unverified: bool = False, uplinks: dict | None = None,
                 plan_changes: changes_of_plan.PlanChanges | None = None) -> Report:
    tors = tors or {}
    nodes = nodes or {}
    sessions = expected_sessions(plan)
    errors = {}
    routes = {}
    for tor_name, data in sorted(tors.items()):
        data = data or {}
        if data.get("routes") is not None:
            routes[tor_name] = normalise_routes(data["routes"])
        if data.get("error"):
            errors[tor_name] = data["error"]
        by_ip = {_canonical(s.get("ip")): s.get("state") or "missing" for s in data.get("sessions") or []}
        for (_node, peer, _family), session in sessions.items():
            if peer != tor_name:
                continue
            # The router lists the session under the node's address of the session's family.
            session.tor_view = NOT_ANSWERING if data.get("error") else by_ip.get(_canonical(session.node_ip), "missing")
    for node, data in sorted(nodes.items()):
        data = data or {}
        if data.get("routes") is not None:
            routes[node] = normalise_routes(data["routes"])
        if data.get("error"):
            errors[node] = data["error"]
        states = {_canonical(ip): state for ip, state in (data.get("sessions") or {}).items()}
        for (session_node, peer_name, _family), session in sessions.items():
            view = NOT_ANSWERING if data.get("error") else None
            if session_node == node:
                session.node_view = view or states.get(_canonical(session.peer_ip), "missing")
            elif peer_name == node:
                # A session between two nodes (mesh, reflector): this node is the far end and
                # reports it under the other node's address.
                session.tor_view = view or states.get(_canonical(session.node_ip), "missing")
    ordered = sorted(sessions.values(), key=lambda s: (s.rack or "", s.node, s.peer, s.family))
    uplink_rows, uplink_problems = uplink_checks(plan, uplinks or {}, allow_unverified)
    return Report(plan=plan, sessions=ordered, routes=routes, skipped=list(skipped or []), errors=errors,
                  allow_unverified=allow_unverified, uplinks=uplink_rows, uplink_problems=uplink_problems,
                  plan_changes=plan_changes)


def _canonical(address) -> str:
    """One spelling per address (IPv6 has several: fd00:77:1:0::2 is fd00:77:1::2)."""
    try:
        return str(ipaddress.ip_address(str(address)))
    except ValueError:
        return str(address)


def _per_family(report: Report, status: str, then: str = "") -> str:
    """`` (9 IPv4, 9 IPv6)`` in a plan with both families (``then`` added inside), else `` (then)``."""
    parts = ["%d IPv%d" % (report.counts(f)[status], f) for f in report.families] if report.dual_stack else []
    text = "; ".join(p for p in (", ".join(parts), then) if p)
    return " (%s)" % text if text else ""


def headline(report: Report) -> str:
    counts = report.counts()
    total = len(report.sessions)
    if not total:
        return "No BGP sessions are expected by the plan (BGP mode %s)." % report.plan["bgp"]["mode"]
    if report.ok and not counts[UNVERIFIED]:
        uplinks_ok = report.uplinks and all(r["state"] == ESTABLISHED for r in report.uplinks)
        uplink_note = "; the uplinks get each rack aggregate alone" if uplinks_ok else ""
        return "All %d BGP sessions Established%s%s." % (total, _per_family(report, UP), uplink_note)
    parts = []
    if counts[DOWN]:
        parts.append("%d of %d BGP sessions NOT Established%s" % (
            counts[DOWN], total, _per_family(report, DOWN, "nodes: " + ", ".join(sorted({s.node for s in report.down})))))
    if counts[UNVERIFIED]:
        parts.append("%d of %d not verified%s" % (
            counts[UNVERIFIED], total, _per_family(report, UNVERIFIED, "accepted: calico_verify_allow_unverified" if report.allow_unverified
                                                   else "a failure; set calico_verify_allow_unverified: true to accept")))
    if counts[UP]:
        parts.append("%d Established%s" % (counts[UP], _per_family(report, UP)))
    if report.uplink_problems:
        parts.append("%d uplink problem(s) with the rack aggregates" % len(report.uplink_problems))
    return "; ".join(parts) + "."


def _view(value):
    return "-" if value is None else value


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(report: Report) -> str:
    plan = report.plan
    cluster, bgp = plan["cluster"], plan["bgp"]
    design = " (%s)" % bgp["tor_design"] if bgp.get("tor_design") else ""
    out = [
        "# onprem.calico report: cluster %s" % cluster["name"],
        "",
        "**%s**" % headline(report),
        "",
        "Calico %s, %s datastore, BGP mode %s%s, pod CIDR %s, %d nodes." % (
            cluster["version"], cluster["datastore"], bgp["mode"], design, cluster["pod_cidr"], len(plan["nodes"])),
        "",
    ]
    if report.plan_changes is not None:
        out += changes_of_plan.render_markdown(report.plan_changes)
    racks = plan.get("racks") or {}
    if racks:
        out += ["## Racks", ""]
        out += _table(["rack", "AS", "subnets", "ToR routers", "nodes"], [
            (r["name"], r.get("asn") or "-", ", ".join(r.get("subnets") or []), ", ".join(r.get("tor_routers") or []) or "-",
             ", ".join(r.get("nodes") or []))
            for r in racks.values()])
        out.append("")
    tors = plan.get("tor_routers") or {}
    if tors:
        out += ["## ToR routers", ""]
        rows = []
        for t in tors.values():
            mine = [s for s in report.sessions if s.peer == t["name"]]
            up = sum(1 for s in mine if s.status == UP)
            rows.append((t["name"], t["platform"], t["asn"], ", ".join(a for a in (t.get("peer_ip"), t.get("peer_ip6")) if a) or "-",
                         t.get("rack") or "-",
                         "%d/%d" % (up, len(mine)), report.errors.get(t["name"], "")))
        out += _table(["router", "platform", "AS", "peer address", "rack", "sessions up", "error"], rows)
        out.append("")
    out += _uplink_section(report)
    out += _pool_section(plan)
    out += ["## Nodes", ""]
    out += _table(["node", "rack", "address", "AS", "roles", "peers"], [
        (n["name"], n.get("rack") or "-", ", ".join(a for a in (n["ip"], n.get("ip6")) if a), n.get("asn") or "-",
         ", ".join(n.get("roles") or []),
         ", ".join(p["name"] for p in n.get("peers") or []) or ("full mesh" if bgp["node_to_node_mesh"] else "-"))
        for n in plan["nodes"].values()])
    out.append("")
    out += ["## BGP sessions", ""]
    if report.sessions:
        out += _table(["node", "peer", "family", "peer address", "peer AS", "kind", "peer's view", "node's view", "state"], [
            (s.node, s.peer, "IPv%d" % s.family, s.peer_ip, s.peer_asn, s.kind, _view(s.tor_view),
             _view(s.node_view), {UP: "Established", DOWN: "**DOWN**", UNVERIFIED: "not verified"}[s.status])
            for s in report.sessions])
    else:
        out.append("None expected by the plan.")
    out.append("")
    if report.problems:
        out += ["## Problems", ""] + ["- " + p for p in report.problems] + [""]
    if report.unverified and report.allow_unverified:
        out += ["## Not verified (accepted by calico_verify_allow_unverified)", ""]
        out += ["- " + s.label(report.dual_stack) for s in report.unverified] + [""]
    out += ["## Routes seen", ""]
    if report.routes:
        for host, routes in sorted(report.routes.items()):
            out.append("### %s (%d routes)" % (host, len(routes)))
            out.append("")
            out += ["- %s via %s" % (r["dst"], ", ".join(r["via"]) or "-") for r in routes] or ["- none"]
            out.append("")
    else:
        out += ["No routes were gathered.", ""]
    out += ["## Skipped", ""]
    out += ["- **%s**: %s" % (s["stage"], s["reason"]) for s in report.skipped] or ["Nothing was skipped."]
    out.append("")
    return "\n".join(out)


def _uplink_result(row: dict) -> str:
    if row["state"] not in (ESTABLISHED, "not verified"):
        return "uplink %s, not checked" % row["state"]
    return "; ".join(row["problems"]) if row["problems"] else "ok"


def _first_specifics(specifics: list[str]) -> str:
    if not specifics:
        return "-"
    return ", ".join(specifics[:5]) + (" (%d in all)" % len(specifics) if len(specifics) > 5 else "")


def _uplink_section(report: Report) -> list[str]:
    """Rack pools: per ToR and uplink neighbour, the aggregates and any more-specific it is sent."""
    if not report.uplinks:
        return []
    out = ["## What the uplinks receive (rack aggregates)", "",
           "Read on each ToR: the routes it advertises to every BGP neighbour that is not a node session. "
           "Each rack aggregate must be there, and no prefix inside it.", ""]
    out += _table(["router", "uplink", "family", "state", "aggregates advertised", "more-specifics advertised", "result"], [
        (r["router"], r["peer"], "IPv%s" % r["family"] if r["family"] != "-" else "-", r["state"],
         ", ".join(r["aggregates"]) or "-", _first_specifics(r["specifics"]), _uplink_result(r))
        for r in report.uplinks])
    out.append("")
    return out


def pool_forecast_lines(plan: dict) -> list[str]:
    """One line per pool: the exhaustion forecast's figures, and the rack pool headroom (also printed by preflight)."""
    lines = []
    for pool in plan.get("ip_pools") or []:
        f = pool.get("forecast")
        if pool["disabled"]:
            figures = "disabled"
        elif f is None:
            figures = "no forecast (node selector %s is not evaluated)" % pool["node_selector"]
        else:
            figures = "%d node(s) x %d block(s) of /%d = %d of %d addresses (%.1f %%)%s" % (
                f["nodes"], f["blocks_per_node"], f["block_size"], f["needed"], f["capacity"], f["percent"],
                ", shared by %s" % ", ".join(f["pools"]) if len(f["pools"]) > 1 else "")
        lines.append("pool %s (%s): %s" % (pool["name"], pool["cidr"], figures))
    for room in plan.get("rack_pools") or []:
        lines.append("rack pools IPv%d: %d of %d /%d pools of %s used, %d free (%d above the highest index)" % (
            room["family"], room["used"], room["slots"], room["prefix_length"], room["pod_cidr"], room["free"], room["free_above_highest_index"]))
    return lines


def _pool_section(plan: dict) -> list[str]:
    out = ["## IP pools", ""]
    rows = []
    for pool in plan.get("ip_pools") or []:
        f = pool.get("forecast") or {}
        rows.append((pool["name"], pool["cidr"], "/%d" % pool["block_size"], pool["node_selector"], "yes" if pool["disabled"] else "no",
                     f.get("nodes", "-"), f.get("needed", "-"), f.get("capacity", "-"), "%.1f %%" % f["percent"] if f else "-"))
    out += _table(["pool", "CIDR", "block", "node selector", "disabled", "nodes", "addresses needed", "addresses", "use"], rows)
    out += ["", "Forecast: each node's maximum pods (calico_max_pods_per_node) plus its tunnel addresses, rounded up to whole blocks; "
            "pools serving the same nodes share the need.", ""]
    rooms = [line for line in pool_forecast_lines(plan) if line.startswith("rack pools")]
    if rooms:
        out += ["- " + line for line in rooms] + [""]
    return out


def render_text(report: Report) -> list[str]:
    """The console summary printed at the end of the run, one string per line."""
    lines = [headline(report)]
    family = (lambda s: " IPv%d" % s.family) if report.dual_stack else (lambda s: "")
    width = max([len("%s <-> %s%s" % (s.node, s.peer, family(s))) for s in report.sessions] or [10])
    for s in report.sessions:
        label = "%s <-> %s%s" % (s.node, s.peer, family(s))
        state = {UP: "Established", DOWN: "DOWN", UNVERIFIED: "not verified"}[s.status]
        detail = "" if s.status != DOWN else "  (" + s.problem().split(": ", 1)[1] + ")"
        lines.append("  %-*s  %-15s %s%s" % (width, label, s.peer_ip, state, detail))
    for row in report.uplinks:
        lines.append("  %s -> uplink %s (IPv%s): %s; %s" % (
            row["router"], row["peer"], row["family"], ", ".join(row["aggregates"]) or "no aggregate", _uplink_result(row)))
    for host, routes in sorted(report.routes.items()):
        lines.append("  routes on %s: %d (%s)" % (host, len(routes), ", ".join(r["dst"] for r in routes[:4]) + (", ..." if len(routes) > 4 else "")))
    for skip in report.skipped:
        lines.append("  skipped %s: %s" % (skip["stage"], skip["reason"]))
    if report.plan_changes is not None:
        lines += changes_of_plan.render_text(report.plan_changes)
    return lines


def _dot_id(name: str) -> str:
    """A quoted DOT string; a newline in ``name`` becomes DOT's line break."""
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _node_label(node: dict) -> str:
    return "\n".join([node["name"]] + [a for a in (node["ip"], node.get("ip6")) if a])


def render_dot(report: Report) -> str:
    """Graphviz source: racks as clusters, ToRs as boxes, nodes as ellipses, sessions coloured."""
    plan = report.plan
    out = ["graph topology {",
           '  graph [rankdir=TB, fontname="Helvetica", label=%s, labelloc=t];' % _dot_id(
               "%s: %s" % (plan["cluster"]["name"], headline(report))),
           '  node [fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=8, penwidth=2];']
    racks = plan.get("racks") or {}
    placed = set()
    for rack in racks.values():
        out.append("  subgraph %s {" % _dot_id("cluster_" + rack["name"]))
        label = "rack %s" % rack["name"] + (" (AS %s)" % rack["asn"] if rack.get("asn") else "")
        out.append("    label=%s; style=rounded; color=gray60;" % _dot_id(label))
        for tor in rack.get("tor_routers") or []:
            t = plan["tor_routers"].get(tor) or {}
            tor_label = [tor] + [a for a in (t.get("peer_ip"), t.get("peer_ip6")) if a] + ["AS %s" % t.get("asn")]
            out.append("    %s [shape=box, style=filled, fillcolor=lightsteelblue, label=%s];" % (
                _dot_id(tor), _dot_id("\n".join(tor_label))))
            placed.add(tor)
        for node in rack.get("nodes") or []:
            out.append("    %s [shape=ellipse, label=%s];" % (_dot_id(node), _dot_id(_node_label(plan["nodes"][node]))))
            placed.add(node)
        out.append("  }")
    for name, t in (plan.get("tor_routers") or {}).items():
        if name not in placed:
            out.append("  %s [shape=box, style=filled, fillcolor=lightsteelblue];" % _dot_id(name))
    for name, n in plan["nodes"].items():
        if name not in placed:
            out.append("  %s [shape=ellipse, label=%s];" % (_dot_id(name), _dot_id(_node_label(n))))
    # One edge per pair of hosts: node-to-node sessions appear from both ends, and a dual-stack
    # pair has a session per family; the edge shows the worst of them.
    edges: dict[tuple[str, str], list[Session]] = {}
    for s in report.sessions:
        edges.setdefault(tuple(sorted((s.node, s.peer))), []).append(s)
    for pair_sessions in edges.values():
        first = pair_sessions[0]
        statuses = {s.status for s in pair_sessions}
        status = next(st for st in (DOWN, UNVERIFIED, UP) if st in statuses)
        style = "solid" if status == UP else ("dashed" if status == DOWN else "dotted")
        states = ", ".join(sorted("IPv%d %s" % (s.family, s.status) for s in pair_sessions)) if report.dual_stack else status
        out.append("  %s -- %s [color=%s, style=%s, tooltip=%s];" % (
            _dot_id(first.peer), _dot_id(first.node), EDGE_COLOURS[status], style,
            _dot_id("%s <-> %s: %s" % (first.node, first.peer, states))))
    out.append("}")
    return "\n".join(out) + "\n"


def planned_peer_addresses(plan: dict, node: str) -> list[str]:
    """Addresses, IPv4 and IPv6, the node itself must have Established sessions with (its side
    of expected_sessions), for the node-side readers (BIRD6 answers for the IPv6 ones)."""
    return sorted({s.peer_ip for (name, _peer, _family), s in expected_sessions(plan).items() if name == node and s.peer_ip},
                  key=_ip_key)


def node_views_from_status(status_report: dict) -> dict:
    """The calico_node_status module's report (CalicoNodeStatus through the API) as node views
    for build_report: {node: {"sessions": {peer ip: state}, "error": str|None}}."""
    views = {}
    for node, entry in (status_report or {}).items():
        sessions = {ip: ESTABLISHED for ip in entry.get("established") or []}
        sessions.update({m["ip"]: m["state"] for m in entry.get("missing") or []})
        views[node] = {"sessions": sessions, "routes": None,
                       "error": None if entry.get("status_reported") else "calico-node reported no CalicoNodeStatus"}
    return views
