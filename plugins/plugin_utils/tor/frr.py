"""FRR configuration text for the objects the collection owns on an FRR ToR.

The text is what a fresh router needs (``router bgp`` context included) and is valid on its
own under ``vtysh -C -f``. The push module merges the same text into a router's running
configuration, replacing only the owned objects, so every line here is written the way
FRR 8 prints it in ``show running-config``: otherwise ``frr-reload.py`` would see a change
on every run.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import prefix_entries, route_map_lines, uplink_route_map_lines, uses_rack_local
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

# FRR leaves these out of show running-config when they hold the default value, so writing
# them would make every push look like a change.
FRR_DEFAULT_RESTART_TIME = 120
FRR_DEFAULT_STALEPATH_TIME = 360
# Router-wide lines a design needs: added when the router lacks them, never removed (the
# push names them in its result). Shared with the push module.
MULTIPATH_RELAX = "bgp bestpath as-path multipath-relax"


def _prefix_list_lines(model: TorModel) -> list[str]:
    return [
        f"{'ip' if family == 4 else 'ipv6'} prefix-list {name} seq {seq} permit {text}"
        for family, name, seq, text in prefix_entries(model)
    ]


def _as_path_lines(model: TorModel) -> list[str]:
    if not uses_rack_local(model):
        return []
    # An empty AS path: the route comes from a node of the router's own AS (reflected).
    return [f"bgp as-path access-list {model.names.rack_local} seq 5 permit ^$"]


def _route_map_lines(model: TorModel) -> list[str]:
    return route_map_lines(model, " ", f"match as-path {model.names.rack_local}", closing=("exit",)) + uplink_route_map_lines(
        model, " ", closing=("exit",)
    )


def _group_lines(model: TorModel, family: int) -> list[str]:
    pg = model.names.group(family)
    lines = [f" neighbor {pg} peer-group"]
    if model.ibgp:
        lines.append(f" neighbor {pg} remote-as internal")
    elif model.neighbor_mode == "listen_range":
        # Every node has its own AS: a listen range can only say "any external AS".
        lines.append(f" neighbor {pg} remote-as external")
    suffix = "" if family == 4 else " (IPv6)"
    lines.append(f" neighbor {pg} description Calico nodes of rack {model.rack_label}{suffix}")
    if model.password:
        lines.append(f" neighbor {pg} password {model.password}")
    if model.ttl_security_hops:
        lines.append(f" neighbor {pg} ttl-security hops {model.ttl_security_hops}")
    lines.append(f" neighbor {pg} timers {model.keepalive} {model.hold}")
    lines.append(f" neighbor {pg} timers connect {model.connect_retry}")
    return lines


def router_lines(model: TorModel) -> list[str]:
    """Body lines of ``router bgp <asn>`` owned by the collection, outside address families."""
    lines = [f" bgp router-id {model.router_id}"]
    if model.multipath_relax:
        lines.append(f" {MULTIPATH_RELAX}")
    if model.restart_time != FRR_DEFAULT_RESTART_TIME:
        lines.append(f" bgp graceful-restart restart-time {model.restart_time}")
    if model.stalepath_time != FRR_DEFAULT_STALEPATH_TIME:
        lines.append(f" bgp graceful-restart stalepath-time {model.stalepath_time}")
    for family in model.families:
        lines += _group_lines(model, family)
    if model.neighbor_mode == "listen_range":
        lines.append(f" bgp listen limit {model.listen_limit}")
        for listen in model.listen_ranges:
            lines.append(f" bgp listen range {listen.prefix} peer-group {model.names.group(listen.family)}")
    else:
        for neighbor in model.neighbors:
            if not model.ibgp:
                lines.append(f" neighbor {neighbor.ip} remote-as {neighbor.asn}")
            lines.append(f" neighbor {neighbor.ip} peer-group {model.names.group(neighbor.family)}")
            lines.append(f" neighbor {neighbor.ip} description {neighbor.node}")
    return lines


def address_family_lines(model: TorModel, family: int) -> list[str]:
    """Body lines of ``address-family ipv4|ipv6 unicast`` owned by the collection."""
    names = model.names
    lines = []
    if family == 4 and 6 in model.families:
        # "frr defaults traditional" activates IPv4 unicast for every neighbour: the IPv6
        # sessions carry IPv6 only, like calico-node's bird6.
        lines.append(f"  no neighbor {names.peer_group_v6} activate")
    pg = names.group(family)
    if family == 6:
        lines.append(f"  neighbor {pg} activate")
    if model.route_reflector_client:
        lines.append(f"  neighbor {pg} route-reflector-client")
    lines.append(f"  neighbor {pg} maximum-prefix {model.maximum_prefix}")
    lines.append(f"  neighbor {pg} route-map {names.import_policy} in")
    lines.append(f"  neighbor {pg} route-map {names.export_policy} out")
    # No summary-only: the rack's own nodes keep getting the blocks; CALICO-TO-UPLINKS keeps them from the spine.
    lines += [f"  aggregate-address {a.prefix} route-map {names.aggregate_attributes}" for a in model.aggregates_of(family)]
    return lines


def render_frr(model: TorModel) -> str:
    """The collection-owned FRR configuration of one router, valid on its own."""
    out = [
        f"! {model.name}: Calico peering for rack {model.rack_label} ({model.design}),",
        f"! rendered by onprem.calico. Objects named {model.object_prefix}* and the node neighbours",
        "! are owned by the collection; everything else on the router is left alone.",
        "!",
    ]
    out += _prefix_list_lines(model)
    out.append("!")
    out += _as_path_lines(model)
    out += _route_map_lines(model)
    out.append("!")
    out.append(f"router bgp {model.asn}")
    out += router_lines(model)
    for family in model.families:
        afi = "ipv4" if family == 4 else "ipv6"
        out.append(" !")
        out.append(f" address-family {afi} unicast")
        out += address_family_lines(model, family)
        out.append(" exit-address-family")
    out.append("exit")
    out.append("!")
    return "\n".join(out) + "\n"
