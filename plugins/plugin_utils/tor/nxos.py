"""Cisco NX-OS: ``cisco.nxos.nxos_bgp_global`` and ``nxos_bgp_neighbor_address_family``.

The resource modules carry router id, graceful restart, the node neighbours (or the rack's
prefix for prefix peering) with their session settings, and each neighbour's IPv4/IPv6
unicast policy. Template text carries prefix lists and route maps, ``maximum-paths``
(address-family level, not in these modules), ``maximum-peers`` of a listen range and the
password (masked by the modules in rendered output).
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import header, listen_asn_range, prefix_list_and_route_map_lines
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

GLOBAL_MODULE = "cisco.nxos.nxos_bgp_global"
AF_MODULE = "cisco.nxos.nxos_bgp_neighbor_address_family"
CONFIG_MODULE = "cisco.nxos.nxos_config"
NETWORK_OS = "cisco.nxos.nxos"


def _peers(model: TorModel):
    """(address, description, remote AS or None for a route-map match) of every BGP neighbour."""
    if model.neighbor_mode == "listen_range":
        return [(model.listen_prefix, f"Calico nodes of rack {model.rack_label}", model.asn if model.ibgp else None)]
    return [(n.ip, n.node, n.asn) for n in model.neighbors]


def _peer_addresses(model: TorModel):
    return [peer[0] for peer in _peers(model)]


def global_config(model: TorModel) -> dict:
    neighbors = []
    for address, description, asn in _peers(model):
        entry = {"neighbor_address": address, "description": description,
                 "timers": {"keepalive": model.keepalive, "holdtime": model.hold}}
        if asn is None:
            entry["remote_as_route_map"] = f"{model.names.peer_group}-ASNS"
        else:
            entry["remote_as"] = str(asn)
        neighbors.append(entry)
    return {
        "as_number": str(model.asn),
        "router_id": model.router_id,
        "graceful_restart": {"set": True, "restart_time": model.restart_time,
                             "stalepath_time": model.stalepath_time},
        "neighbors": neighbors,
    }


def af_config(model: TorModel) -> dict:
    families = []
    for family in model.families:
        entry = {"afi": "ipv4" if family == 4 else "ipv6", "safi": "unicast",
                 "route_map": {"inbound": model.names.import_policy, "outbound": model.names.export_policy},
                 "maximum_prefix": {"max_prefix_limit": model.maximum_prefix}}
        if model.route_reflector_client:
            entry["route_reflector_client"] = True
        if model.next_hop_self:
            entry["next_hop_self"] = {"set": True}
        if model.default_originate:
            entry["default_originate"] = {"set": True}
        families.append(entry)
    return {
        "as_number": str(model.asn),
        "neighbors": [{"neighbor_address": address, "address_family": families}
                      for address in _peer_addresses(model)],
    }


def template_text(model: TorModel) -> str:
    names = model.names
    lines = prefix_list_and_route_map_lines(model, "  ")
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        low, high = listen_asn_range(model)
        lines += [f"route-map {names.peer_group}-ASNS permit 10", f"  match as-number {low}-{high}"]
    lines.append(f"router bgp {model.asn}")
    lines.append("  address-family ipv4 unicast")
    lines.append(f"    maximum-paths {model.maximum_paths}")
    lines.append(f"    maximum-paths ibgp {model.maximum_paths}")
    for address in _peer_addresses(model):
        extra = []
        if model.password:
            extra.append(f"    password {model.password}")
        if model.neighbor_mode == "listen_range":
            extra.append(f"    maximum-peers {model.listen_limit}")
        if extra:
            lines.append(f"  neighbor {address}")
            lines += extra
    return "\n".join(lines) + "\n"


def vendor_config(model: TorModel) -> dict:
    return {
        "platform": "nxos",
        "network_os": NETWORK_OS,
        "resources": [{"module": GLOBAL_MODULE, "config": global_config(model)},
                      {"module": AF_MODULE, "config": af_config(model)}],
        "template": template_text(model),
        "template_module": CONFIG_MODULE,
        "comment": "!",
        "header": header(model, "!"),
    }
