"""FRR configuration text for the objects the collection owns on an FRR ToR.

The text is what a fresh router needs (``router bgp`` context included) and is valid on its
own under ``vtysh -C -f``. The push module merges the same text into a router's running
configuration, replacing only the owned objects, so every line here is written the way
FRR 8 prints it in ``show running-config``: otherwise ``frr-reload.py`` would see a change
on every run.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import route_map_lines
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

# FRR leaves these out of show running-config when they hold the default value, so writing
# them would make every push look like a change.
FRR_DEFAULT_RESTART_TIME = 120
FRR_DEFAULT_STALEPATH_TIME = 360


def _prefix_list_lines(model: TorModel) -> list[str]:
    names = model.names
    lines = []
    for family, rules, name in ((4, model.accept_v4, names.accept_v4), (6, model.accept_v6, names.accept_v6)):
        keyword = "ip" if family == 4 else "ipv6"
        for rule in rules:
            text = f"{keyword} prefix-list {name} seq {rule.seq} permit {rule.prefix}"
            if rule.ge is not None:
                text += f" ge {rule.ge}"
            if rule.le is not None:
                text += f" le {rule.le}"
            lines.append(text)
    if model.send_default_only:
        lines.append(f"ip prefix-list {names.default_v4} seq 10 permit 0.0.0.0/0")
        if 6 in model.families:
            lines.append(f"ipv6 prefix-list {names.default_v6} seq 10 permit ::/0")
    return lines


def _route_map_lines(model: TorModel) -> list[str]:
    return route_map_lines(model, " ", closing=("exit",))


def router_lines(model: TorModel) -> list[str]:
    """Body lines of ``router bgp <asn>`` owned by the collection, outside address families."""
    pg = model.names.peer_group
    lines = [f" bgp router-id {model.router_id}"]
    if model.restart_time != FRR_DEFAULT_RESTART_TIME:
        lines.append(f" bgp graceful-restart restart-time {model.restart_time}")
    if model.stalepath_time != FRR_DEFAULT_STALEPATH_TIME:
        lines.append(f" bgp graceful-restart stalepath-time {model.stalepath_time}")
    lines.append(f" neighbor {pg} peer-group")
    if model.ibgp:
        lines.append(f" neighbor {pg} remote-as internal")
    elif model.neighbor_mode == "listen_range":
        # Every node has its own AS: a listen range can only say "any external AS".
        lines.append(f" neighbor {pg} remote-as external")
    lines.append(f" neighbor {pg} description Calico nodes of rack {model.rack_label}")
    if model.password:
        lines.append(f" neighbor {pg} password {model.password}")
    lines.append(f" neighbor {pg} timers {model.keepalive} {model.hold}")
    lines.append(f" neighbor {pg} timers connect {model.connect_retry}")
    if model.neighbor_mode == "listen_range":
        lines.append(f" bgp listen limit {model.listen_limit}")
        lines.append(f" bgp listen range {model.listen_prefix} peer-group {pg}")
    else:
        for neighbor in model.neighbors:
            if not model.ibgp:
                lines.append(f" neighbor {neighbor.ip} remote-as {neighbor.asn}")
            lines.append(f" neighbor {neighbor.ip} peer-group {pg}")
            lines.append(f" neighbor {neighbor.ip} description {neighbor.node}")
    return lines


def address_family_lines(model: TorModel, family: int) -> list[str]:
    """Body lines of ``address-family ipv4|ipv6 unicast`` owned by the collection."""
    pg = model.names.peer_group
    lines = []
    if family == 4:
        # ECMP over the rack's nodes; the keyword depends on how the ToR learns their routes.
        keyword = "maximum-paths ibgp" if model.ibgp else "maximum-paths"
        lines.append(f"  {keyword} {model.maximum_paths}")
    else:
        # IPv4 unicast is active by default under "frr defaults traditional"; IPv6 is not.
        lines.append(f"  neighbor {pg} activate")
    if model.route_reflector_client:
        lines.append(f"  neighbor {pg} route-reflector-client")
    if model.next_hop_self:
        lines.append(f"  neighbor {pg} next-hop-self")
    if model.default_originate:
        lines.append(f"  neighbor {pg} default-originate")
    lines.append(f"  neighbor {pg} maximum-prefix {model.maximum_prefix}")
    lines.append(f"  neighbor {pg} route-map {model.names.import_policy} in")
    lines.append(f"  neighbor {pg} route-map {model.names.export_policy} out")
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
