"""Arista EOS configuration text for the objects the collection owns on an EOS ToR.

Written the way EOS prints ``show running-config`` (three-space indentation, prefix lists as
blocks of ``seq`` entries), so the push can compare it with the router's sections and the
``arista.eos`` parsers (``state: parsed``) read it back in the tests.

Choices (EOS User Manual, "Border Gateway Protocol" and "Route Maps"):
- no ``neighbor ... next-hop-self`` towards the reflector clients: on EOS it also rewrites
  reflected routes; the outbound route map sets ``next-hop peer-address`` only on routes
  from the uplinks (see ``common.export_terms``).
- no ``default-originate``: even with a route map it originates; the learned default is
  passed by the outbound route map instead.
- GTSM (``neighbor ... ttl maximum-hops``) is rendered for eBGP peer groups only: EOS
  applies it to eBGP sessions.
- AS, router id, graceful restart and ``maximum-paths`` stay the router's own.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import (
    header,
    listen_asn_range,
    prefix_lists,
    route_map_lines,
    uplink_route_map_lines,
    uses_rack_local,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

INDENT = "   "
MULTIPATH_RELAX = "bgp bestpath as-path multipath-relax"


def top_level_lines(model: TorModel) -> list[str]:
    """Prefix lists, AS-path list, peer filter and route maps."""
    names = model.names
    lines = []
    for name, (family, entries) in prefix_lists(model).items():
        lines.append(f"{'ip' if family == 4 else 'ipv6'} prefix-list {name}")
        lines += [f"{INDENT}seq {seq} permit {text}" for seq, text in entries]
        lines.append("!")
    if uses_rack_local(model):
        lines += [f"ip as-path access-list {names.rack_local} permit ^$ any", "!"]
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        low, high = listen_asn_range(model)
        lines += [f"peer-filter {names.node_asns}", f"{INDENT}10 match as-range {low}-{high} result accept", "!"]
    for line in route_map_lines(model, INDENT, f"match as-path {names.rack_local}") + uplink_route_map_lines(model, INDENT):
        if line.startswith("route-map ") and lines and lines[-1] != "!":
            lines.append("!")
        lines.append(line)
    lines.append("!")
    return lines


def router_lines(model: TorModel) -> list[str]:
    """The owned lines inside ``router bgp <asn>``, address families included."""
    names = model.names
    body = []
    if model.multipath_relax:
        body.append(MULTIPATH_RELAX)
    if model.neighbor_mode == "listen_range":
        for listen in model.listen_ranges:
            group = names.group(listen.family)
            if model.ibgp:
                body.append(f"bgp listen range {listen.prefix} peer-group {group} remote-as {model.asn}")
            else:
                body.append(f"bgp listen range {listen.prefix} peer-group {group} peer-filter {names.node_asns}")
        body.append(f"dynamic peer max {model.listen_limit}")
    for family in model.families:
        group = names.group(family)
        body.append(f"neighbor {group} peer group")
        if model.ibgp:
            body.append(f"neighbor {group} remote-as {model.asn}")
        suffix = "" if family == 4 else " (IPv6)"
        body.append(f"neighbor {group} description Calico nodes of rack {model.rack_label}{suffix}")
        if model.route_reflector_client:
            body.append(f"neighbor {group} route-reflector-client")
        body.append(f"neighbor {group} timers {model.keepalive} {model.hold}")
        body.append(f"neighbor {group} route-map {names.import_policy} in")
        body.append(f"neighbor {group} route-map {names.export_policy} out")
        if model.password:
            body.append(f"neighbor {group} password {model.password}")
        if model.ttl_security_hops and not model.ibgp:
            body.append(f"neighbor {group} ttl maximum-hops {model.ttl_security_hops}")
        body.append(f"neighbor {group} maximum-routes {model.maximum_prefix}")
    if model.neighbor_mode == "explicit":
        for node in model.neighbors:
            body.append(f"neighbor {node.ip} peer group {names.group(node.family)}")
            if not model.ibgp:
                body.append(f"neighbor {node.ip} remote-as {node.asn}")
            body.append(f"neighbor {node.ip} description {node.node}")
    # Rack aggregates, without summary-only: the rack's nodes keep their blocks (IPv4 ones in
    # router bgp itself, IPv6 ones in address-family ipv6, as EOS places them).
    body += _aggregate_lines(model, 4)
    lines = [INDENT + line for line in body]
    if 6 in model.families:
        # IPv4 unicast is active by default, IPv6 is not: each group carries its own family.
        lines += [f"{INDENT}!", f"{INDENT}address-family ipv4", f"{INDENT * 2}no neighbor {names.peer_group_v6} activate",
                  f"{INDENT}!", f"{INDENT}address-family ipv6", f"{INDENT * 2}neighbor {names.peer_group_v6} activate"]
        lines += [INDENT * 2 + line for line in _aggregate_lines(model, 6)]
    return lines


def _aggregate_lines(model: TorModel, family: int) -> list[str]:
    # The attribute map carries the prefix: the push recognises the line as the collection's.
    return [f"aggregate-address {a.prefix} attribute-map {model.names.aggregate_attributes}" for a in model.aggregates_of(family)]


def render_eos(model: TorModel) -> str:
    out = header(model, "!") + ["!"]
    out += top_level_lines(model)
    out.append(f"router bgp {model.asn}")
    out += router_lines(model)
    out.append("!")
    return "\n".join(out) + "\n"
