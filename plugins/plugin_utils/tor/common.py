"""Decisions every vendor renderer shares: prefix lists, the policy towards nodes, the header.

The outbound policy is decided here once, as a list of ``ExportTerm``; each platform only
writes it in its own syntax (route-map entries on FRR / EOS / NX-OS, policy terms on Junos).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import PrefixRule, TorModel

DEFAULT_ROUTE = {4: "0.0.0.0/0", 6: "::/0"}
# Sequence of the explicit deny that ends the policy towards nodes; far above the permit
# entries so that adding a term never renumbers it.
EXPORT_DENY_SEQ = 1000


@dataclass(frozen=True)
class ExportTerm:
    """One permit entry of the policy towards the nodes."""

    name: str  # Junos term name
    family: int
    prefix_list: str
    rules: tuple  # the list's entries (PrefixRule), for platforms that inline them (Junos)
    rack_local_only: bool  # only routes with an empty AS path: reflected from the rack's own nodes
    next_hop_self: bool


def prefix_text(rule) -> str:
    text = rule.prefix
    if rule.ge is not None:
        text += f" ge {rule.ge}"
    if rule.le is not None:
        text += f" le {rule.le}"
    return text


def prefix_entries(model: TorModel):
    """[(family, list name, seq, 'prefix[ ge N][ le M]')] of every owned prefix list."""
    names = model.names
    out = []
    for family in model.families:
        for rule in model.accept_rules(family):
            out.append((family, names.accept_v4 if family == 4 else names.accept_v6, rule.seq, prefix_text(rule)))
    if model.send_pool_blocks:
        for family in model.families:
            for rule in model.pool_rules(family):
                out.append((family, names.pool_v4 if family == 4 else names.pool_v6, rule.seq, prefix_text(rule)))
    if model.send_default:
        for family in model.families:
            out.append((family, names.default_v4 if family == 4 else names.default_v6, 10, DEFAULT_ROUTE[family]))
    for family, aggregate_list, specifics_list, rule, specifics in uplink_filters(model):
        out.append((family, aggregate_list, rule.seq, rule.prefix))
        out.append((family, specifics_list, rule.seq, prefix_text(specifics)))
    return out


def uplink_filters(model: TorModel):
    """[(family, aggregate list, specifics list, aggregate rule, specifics rule)] per rack aggregate.

    The aggregate list holds the rack pool exactly, the specifics list everything longer
    inside it (the node blocks), which the uplink export policy keeps from the spine.
    """
    names = model.names
    out = []
    for rule in model.aggregates:
        if rule.family not in model.families:
            continue
        host_len = 32 if rule.family == 4 else 128
        length = int(rule.prefix.split("/")[1])
        if length >= host_len:
            continue  # a single-address pool has no more specifics
        specifics = PrefixRule(seq=rule.seq, prefix=rule.prefix, ge=length + 1, le=host_len, family=rule.family)
        aggregate_list = names.aggregate_v4 if rule.family == 4 else names.aggregate_v6
        specifics_list = names.specifics_v4 if rule.family == 4 else names.specifics_v6
        out.append((rule.family, aggregate_list, specifics_list, rule, specifics))
    return out


def uplink_route_map_lines(model: TorModel, indent: str, closing: tuple[str, ...] = ()) -> list[str]:
    """The route map the site's uplink export policy calls: the rack's aggregate, never its blocks.

    Permits the aggregates, denies every longer prefix inside them, and permits the rest, so the
    site's own policy still decides everything else (FRR ``call``, EOS ``sub-route-map``, NX-OS
    ``neighbor ... route-map`` on the uplink; docs/tor.md).
    """
    if not model.aggregates:
        return []
    names = model.names
    lines = []
    families = sorted({family for family, *_rest in uplink_filters(model)})
    seq = 10
    for family in families:
        keyword = "ip" if family == 4 else "ipv6"
        lines += [f"route-map {names.uplink_export} permit {seq}", f"{indent}match {keyword} address prefix-list "
                  f"{names.aggregate_v4 if family == 4 else names.aggregate_v6}", *closing]
        seq += 10
    for family in families:
        keyword = "ip" if family == 4 else "ipv6"
        lines += [f"route-map {names.uplink_export} deny {seq}", f"{indent}match {keyword} address prefix-list "
                  f"{names.specifics_v4 if family == 4 else names.specifics_v6}", *closing]
        seq += 10
    lines += [f"route-map {names.uplink_export} permit {EXPORT_DENY_SEQ}", *closing]
    # aggregate-address names this (empty) map: the line is then recognisably the collection's.
    lines += [f"route-map {names.aggregate_attributes} permit 10", *closing]
    return lines


def prefix_lists(model: TorModel):
    """{list name: (family, [(seq, 'prefix[ ge N][ le M]')])} in render order."""
    lists: dict = {}
    for family, name, seq, text in prefix_entries(model):
        lists.setdefault(name, (family, []))[1].append((seq, text))
    return lists


def export_terms(model: TorModel) -> list[ExportTerm]:
    """What goes down to the nodes, in order; everything else is denied.

    Pool blocks (unless downward_default) and the default route the router learned from its
    uplinks (downward_default, or calico_tor_send_default): never originated, so a router that
    lost its uplinks stops attracting traffic. With ``next_hop_self`` (as_per_rack, iBGP to
    reflector clients) routes from the uplinks get the router's address, while pool blocks
    reflected from the rack's own nodes (empty AS path) keep the node as next hop: a blanket
    next-hop-self would hairpin same-rack traffic through the router.
    """
    names = model.names
    terms = []
    for family in model.families:
        pool_list = names.pool_v4 if family == 4 else names.pool_v6
        pools = model.pool_rules(family)
        if model.send_pool_blocks and pools:
            if model.next_hop_self:
                terms.append(ExportTerm(f"RACK-POOL-BLOCKS-V{family}", family, pool_list, pools, True, False))
            terms.append(ExportTerm(f"POOL-BLOCKS-V{family}", family, pool_list, pools, False, model.next_hop_self))
        if model.send_default:
            default_list = names.default_v4 if family == 4 else names.default_v6
            default = (PrefixRule(seq=10, prefix=DEFAULT_ROUTE[family], ge=None, le=None, family=family),)
            terms.append(ExportTerm(f"DEFAULT-V{family}", family, default_list, default, False, model.next_hop_self))
    return terms


def uses_rack_local(model: TorModel) -> bool:
    return any(term.rack_local_only for term in export_terms(model))


def header(model: TorModel, comment: str) -> list[str]:
    return [
        f"{comment} {model.name} ({model.platform}): Calico peering for rack {model.rack_label} ({model.design})",
        f"{comment} rendered by onprem.calico; objects named {model.object_prefix}* and the node neighbours are",
        f"{comment} owned by the collection, everything else on the router is left alone.",
    ]


def listen_asn_range(model: TorModel) -> tuple[int, int]:
    """Lowest and highest node AS of the rack, for eBGP listen ranges (a dynamic peer's AS)."""
    asns = [n.asn for n in model.neighbors] or [model.asn]
    return min(asns), max(asns)


def route_map_lines(model: TorModel, indent: str, rack_local_match: str, closing: tuple[str, ...] = ()) -> list[str]:
    """The import and export route maps, in the syntax FRR, EOS and NX-OS share.

    ``indent`` is the indentation of match lines; ``rack_local_match`` the platform's match
    of the AS-path list; ``closing`` ends each entry (FRR: "exit"). ``set ip next-hop
    peer-address`` in an outbound map sets the router's own session address (FRR "Route
    Maps", EOS "Route Maps: set", NX-OS "Configuring Route Policy Manager").
    """
    names = model.names
    lines = []
    for seq, family in enumerate(model.families, start=1):
        keyword = "ip" if family == 4 else "ipv6"
        accept = names.accept_v4 if family == 4 else names.accept_v6
        lines += [f"route-map {names.import_policy} permit {10 * seq}", f"{indent}match {keyword} address prefix-list {accept}", *closing]
    for seq, term in enumerate(export_terms(model), start=1):
        keyword = "ip" if term.family == 4 else "ipv6"
        lines += [f"route-map {names.export_policy} permit {10 * seq}", f"{indent}match {keyword} address prefix-list {term.prefix_list}"]
        if term.rack_local_only:
            lines.append(f"{indent}{rack_local_match}")
        if term.next_hop_self:
            lines.append(f"{indent}set {keyword} next-hop peer-address")
        lines += list(closing)
    lines += [f"route-map {names.export_policy} deny {EXPORT_DENY_SEQ}", *closing]
    return lines
