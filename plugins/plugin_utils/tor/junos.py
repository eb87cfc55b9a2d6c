"""Juniper Junos configuration (XML) for the objects the collection owns on a Junos ToR.

One ``<configuration>`` document, loaded by ``onprem.calico.junos_tor_config`` over NETCONF
(``load-configuration action="replace"``: each owned object carries ``replace="replace"`` and
is swapped whole, everything else stays) under ``commit confirmed``; the ``junipernetworks.junos`` parsers
(``state: parsed``) read it back in the tests. It holds only owned objects: the policy
statements, the AS-path and AS lists named with the prefix and the node groups. Nothing else under
``routing-options`` (AS, router id, graceful restart, static routes) is ever rendered than the
rack aggregates of rack pools (``aggregate route`` with the owned contributor policy).

Choices (Junos "BGP User Guide" and "Routing Policies, Firewall Filters, and Traffic
Policers User Guide"):
- no static discard default and no originated default: the export policy passes the default
  the router learned from its uplinks (term DEFAULT-V4/6), so a router without uplinks stops
  attracting traffic.
- ``then next-hop self`` only in the terms for routes from the uplinks; pool blocks with an
  empty AS path (reflected from the rack's nodes) keep their next hop.
- the route-reflector role is ``cluster`` on the group (Junos has no client keyword);
  ``multipath multiple-as`` is group level, so owned.
- no GTSM: Junos has no BGP TTL-security statement (it takes a firewall filter on the
  loopback, which the collection does not own); docs/tor.md says so.
- ``authentication-key`` is refused in preflight together with ``allow`` (Junos rejects
  authentication for dynamic peers); use explicit neighbours.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import export_terms, header, listen_asn_range, uplink_filters, uses_rack_local
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

FAMILY = {4: "inet", 6: "inet6"}


def _el(tag, text=None, children=(), indent=0, replace=False):
    """One XML element; ``replace`` marks an owned object that ``load replace`` swaps whole
    (so a retired node's neighbour or a stale term goes, and nothing outside it is touched)."""
    pad = "  " * indent
    opening = f'{tag} replace="replace"' if replace else tag
    if text is not None:
        return [f"{pad}<{opening}>{escape(str(text))}</{tag}>"]
    if not children:
        return [f"{pad}<{opening}/>"]
    return [f"{pad}<{opening}>"] + list(children) + [f"{pad}</{tag}>"]


def _route_filters(rules, indent):
    """Junos route filters: "<prefix> prefix-length-range /ge-/le" or "exact"."""
    out = []
    for rule in rules:
        length = int(rule.prefix.split("/")[1])
        low = rule.ge if rule.ge is not None else length
        high = rule.le if rule.le is not None else length
        match = (_el("exact", indent=indent + 1) if low == high == length
                 else _el("prefix-length-range", f"/{low}-/{high}", indent=indent + 1))
        out += _el("route-filter", children=_el("address", rule.prefix, indent=indent + 1) + match, indent=indent)
    return out


def _term(name, from_children, then_children):
    body = _el("name", name, indent=4)
    if from_children:
        body += _el("from", children=from_children, indent=4)
    return _el("term", children=body + _el("then", children=then_children, indent=4), indent=3)


def _policies(model: TorModel) -> list[str]:
    names = model.names
    import_terms = []
    for family in model.families:
        rules = model.accept_rules(family)
        if rules:
            import_terms += _term(names.accept_v4 if family == 4 else names.accept_v6,
                                  _el("family", FAMILY[family], indent=5) + _route_filters(rules, 5),
                                  _el("accept", indent=5))
    import_terms += _term("REJECT-REST", (), _el("reject", indent=5))
    out = _el("policy-statement", children=_el("name", names.import_policy, indent=3) + import_terms, indent=2, replace=True)
    terms = []
    for term in export_terms(model):
        match = _el("family", FAMILY[term.family], indent=5)
        if term.rack_local_only:
            match += _el("as-path", names.rack_local, indent=5)
        match += _route_filters(term.rules, 5)
        then = _el("next-hop", children=_el("self", indent=6), indent=5) if term.next_hop_self else []
        terms += _term(term.name, match, then + _el("accept", indent=5))
    terms += _term("REJECT-REST", (), _el("reject", indent=5))
    out += _el("policy-statement", children=_el("name", names.export_policy, indent=3) + terms, indent=2, replace=True)
    if uses_rack_local(model):
        # "()" is Junos's regular expression for an empty AS path.
        out += _el("as-path", children=_el("name", names.rack_local, indent=3) + _el("path", "()", indent=3), indent=2,
                   replace=True)
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        # Dynamic eBGP peers each bring their own AS: accept the rack's node AS range.
        low, high = listen_asn_range(model)
        out += _el("as-list", children=_el("name", names.node_asns, indent=3) + _el("members", f"{low}-{high}", indent=3),
                   indent=2, replace=True)
    return out


def _group(model: TorModel, family: int) -> list[str]:
    names = model.names
    suffix = "" if family == 4 else " (IPv6)"
    body = _el("name", names.group(family), indent=4)
    body += _el("type", "internal" if model.ibgp else "external", indent=4)
    body += _el("description", f"Calico nodes of rack {model.rack_label}{suffix}", indent=4)
    body += _el("import", names.import_policy, indent=4)
    body += _el("export", names.export_policy, indent=4)
    if model.route_reflector_client and model.cluster_id:
        body += _el("cluster", model.cluster_id, indent=4)
    body += _el("multipath", children=_el("multiple-as", indent=5) if model.multipath_relax else (), indent=4)
    if model.password:
        body += _el("authentication-key", model.password, indent=4)
    body += _el("hold-time", model.hold, indent=4)
    body += _el("family", children=_el(FAMILY[family], children=_el(
        "unicast", children=_el("prefix-limit", children=_el("maximum", model.maximum_prefix, indent=8)
                                + _el("teardown", indent=8), indent=7), indent=6), indent=5), indent=4)
    if model.neighbor_mode == "listen_range":
        if not model.ibgp:
            body += _el("peer-as-list", names.node_asns, indent=4)
        for listen in model.listen_ranges_of(family):
            body += _el("allow", listen.prefix, indent=4)
    else:
        for node in model.neighbors_of(family):
            neighbor = _el("name", node.ip, indent=5) + _el("description", node.node, indent=5)
            if not model.ibgp:
                neighbor += _el("peer-as", node.asn, indent=5)
            body += _el("neighbor", children=neighbor, indent=4)
    return _el("group", children=body, indent=3, replace=True)


def render_junos(model: TorModel) -> str:
    groups = []
    for family in model.families:
        groups += _group(model, family)
    out = ["<configuration>", "  <!--"] + ["    " + line.strip() for line in header(model, "")] + ["  -->"]
    out += _el("policy-options", children=_policies(model) + _rack_aggregate_policies(model), indent=1)
    out += _rack_aggregate_routes(model)
    out += _el("protocols", children=_el("bgp", children=groups, indent=2), indent=1)
    out.append("</configuration>")
    return "\n".join(out) + "\n"


# --- rack pools: the rack's aggregate towards the uplinks -----------------------------------


def _rack_aggregate_policies(model: TorModel) -> list[str]:
    """CALICO-TO-UPLINKS, first in the uplink group's export chain: the aggregate is accepted,
    the blocks inside it rejected, anything else falls through to the site's next policy.
    CALICO-RACK-AGGREGATE names the aggregate's contributing routes (the rack's blocks)."""
    filters = uplink_filters(model)
    if not filters:
        return []
    names = model.names
    terms, contributors = [], []
    for family, _aggregate_list, _specifics_list, aggregate, specifics in filters:
        match = _el("family", FAMILY[family], indent=5)
        terms += _term(f"RACK-AGGREGATE-V{family}-{aggregate.seq}", match + _el("protocol", "aggregate", indent=5)
                       + _route_filters((aggregate,), 5), _el("accept", indent=5))
        terms += _term(f"RACK-SPECIFICS-V{family}-{aggregate.seq}", match + _route_filters((specifics,), 5), _el("reject", indent=5))
        contributors += _term(f"CONTRIBUTORS-V{family}-{aggregate.seq}", match + _route_filters((specifics,), 5), _el("accept", indent=5))
    out = _el("policy-statement", children=_el("name", names.uplink_export, indent=3) + terms, indent=2, replace=True)
    contributors += _term("REJECT-REST", (), _el("reject", indent=5))
    out += _el("policy-statement", children=_el("name", names.aggregate_attributes, indent=3) + contributors, indent=2, replace=True)
    return out


def _rack_aggregate_routes(model: TorModel) -> list[str]:
    """``routing-options aggregate`` (IPv4) and ``rib inet6.0 aggregate`` (IPv6) routes, owned
    through the policy they name."""
    routes = {4: [], 6: []}
    for family, _aggregate_list, _specifics_list, aggregate, _specifics in uplink_filters(model):
        routes[family] += _el("route", children=_el("name", aggregate.prefix, indent=4)
                              + _el("policy", model.names.aggregate_attributes, indent=4), indent=3, replace=True)
    body = _el("aggregate", children=routes[4], indent=2) if routes[4] else []
    if routes[6]:
        body += _el("rib", children=_el("name", "inet6.0", indent=3) + _el("aggregate", children=[
            "  " + line for line in routes[6]], indent=3), indent=2)
    return _el("routing-options", children=body, indent=1) if body else []
