"""Cisco NX-OS configuration text for the objects the collection owns on an NX-OS ToR.

Written the way NX-OS prints ``show running-config`` (two-space indentation), so the push can
compare it with the router's sections and the ``cisco.nxos`` parsers (``state: parsed``) read
it back in the tests. The node sessions' settings live in a ``template peer`` (one per address
family) that every node neighbour, or the rack's prefix neighbour in listen-range mode,
inherits.

Choices (Cisco Nexus 9000 NX-OS Unicast Routing Configuration Guide, "Configuring Advanced
BGP" and "Configuring Route Policy Manager"):
- no ``next-hop-self`` and no ``default-originate`` (see ``common.export_terms``): the
  outbound route map passes the learned default and sets ``next-hop peer-address`` only on
  routes from the uplinks.
- ``ttl-security hops`` only for eBGP: NX-OS offers TTL security for eBGP peers only.
- ``bestpath as-path multipath-relax`` is router-wide: rendered only for ``as_per_node``; the
  push adds it when missing and never removes it. ``maximum-paths`` stays the router's own.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import (
    header,
    listen_asn_range,
    prefix_entries,
    route_map_lines,
    uplink_route_map_lines,
    uses_rack_local,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

INDENT = "  "
MULTIPATH_RELAX = "bestpath as-path multipath-relax"


def top_level_lines(model: TorModel) -> list[str]:
    names = model.names
    lines = [f"{'ip' if family == 4 else 'ipv6'} prefix-list {name} seq {seq} permit {text}"
             for family, name, seq, text in prefix_entries(model)]
    if uses_rack_local(model):
        lines.append(f'ip as-path access-list {names.rack_local} seq 10 permit "^$"')
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        # Prefix peering over eBGP: the dynamic peer's AS must be one of the rack's node ASes.
        low, high = listen_asn_range(model)
        lines += [f"route-map {names.node_asns} permit 10", f"{INDENT}match as-number {low}-{high}"]
    lines += route_map_lines(model, INDENT, f"match as-path {names.rack_local}")
    lines += uplink_route_map_lines(model, INDENT)
    return lines


def _template_lines(model: TorModel, family: int) -> list[str]:
    names = model.names
    afi = "ipv4" if family == 4 else "ipv6"
    suffix = "" if family == 4 else " (IPv6)"
    lines = [f"template peer {names.group(family)}"]
    if model.ibgp:
        lines.append(f"{INDENT}remote-as {model.asn}")
    lines.append(f"{INDENT}description Calico nodes of rack {model.rack_label}{suffix}")
    if model.password:
        lines.append(f"{INDENT}password {model.password}")
    lines.append(f"{INDENT}timers {model.keepalive} {model.hold}")
    if model.ttl_security_hops and not model.ibgp:
        lines.append(f"{INDENT}ttl-security hops {model.ttl_security_hops}")
    lines.append(f"{INDENT}address-family {afi} unicast")
    af = []
    if model.route_reflector_client:
        af.append("route-reflector-client")
    af += [f"route-map {names.import_policy} in", f"route-map {names.export_policy} out",
           f"maximum-prefix {model.maximum_prefix}"]
    return lines + [INDENT * 2 + line for line in af]


def router_lines(model: TorModel) -> list[str]:
    """The owned lines inside ``router bgp <asn>``."""
    names = model.names
    body = []
    if model.multipath_relax:
        body.append(MULTIPATH_RELAX)
    for family in model.families:
        # Rack aggregates, without summary-only: the rack's nodes keep their blocks. The
        # attribute map carries the prefix: the push recognises the line as the collection's.
        aggregates = model.aggregates_of(family)
        if aggregates:
            body.append(f"address-family {'ipv4' if family == 4 else 'ipv6'} unicast")
            body += [f"{INDENT}aggregate-address {a.prefix} attribute-map {names.aggregate_attributes}" for a in aggregates]
    for family in model.families:
        body += _template_lines(model, family)
    if model.neighbor_mode == "listen_range":
        for listen in model.listen_ranges:
            remote = f"remote-as {model.asn}" if model.ibgp else f"remote-as route-map {names.node_asns}"
            body += [f"neighbor {listen.prefix} {remote}", f"{INDENT}inherit peer {names.group(listen.family)}",
                     f"{INDENT}maximum-peers {model.listen_limit}"]
    else:
        for node in model.neighbors:
            body.append(f"neighbor {node.ip}")
            body.append(f"{INDENT}inherit peer {names.group(node.family)}")
            if not model.ibgp:
                body.append(f"{INDENT}remote-as {node.asn}")
            body.append(f"{INDENT}description {node.node}")
    return [INDENT + line for line in body]


def render_nxos(model: TorModel) -> str:
    out = header(model, "!")
    out += top_level_lines(model)
    out.append(f"router bgp {model.asn}")
    out += router_lines(model)
    return "\n".join(out) + "\n"
