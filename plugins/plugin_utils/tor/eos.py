"""Arista EOS: ``arista.eos.eos_bgp_global`` config plus EOS CLI text for the rest.

The resource module (arista.eos 12) renders the router id, ECMP, the peer group's session
settings and the node neighbours. Template text carries what it cannot express or renders
wrongly: prefix lists and route maps, the peer-group membership of each node (the module
drops the group name), graceful-restart timers (dropped too), route maps on the group (one
direction only), listen ranges, the password (the module masks it in rendered output) and
IPv6 activation.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import header, listen_asn_range, prefix_list_and_route_map_lines
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

MODULE = "arista.eos.eos_bgp_global"
CONFIG_MODULE = "arista.eos.eos_config"
NETWORK_OS = "arista.eos.eos"


def resource_config(model: TorModel) -> dict:
    pg = model.names.peer_group
    group = {"peer": pg, "peer_group": pg, "description": f"Calico nodes of rack {model.rack_label}",
             "timers": {"keepalive": model.keepalive, "holdtime": model.hold},
             "maximum_received_routes": {"count": model.maximum_prefix}}
    if model.ibgp:
        group["remote_as"] = str(model.asn)
    if model.route_reflector_client:
        group["route_reflector_client"] = True
    if model.next_hop_self:
        group["next_hop_self"] = True
    if model.default_originate:
        group["default_originate"] = {"always": False}
    neighbors = [group]
    if model.neighbor_mode == "explicit":
        for node in model.neighbors:
            entry = {"peer": node.ip, "description": node.node}
            if not model.ibgp:
                entry["remote_as"] = str(node.asn)
            neighbors.append(entry)
    return {
        "as_number": str(model.asn),
        "router_id": model.router_id,
        "maximum_paths": {"max_equal_cost_paths": model.maximum_paths},
        "neighbor": neighbors,
    }


def template_text(model: TorModel) -> str:
    names, pg = model.names, model.names.peer_group
    lines = prefix_list_and_route_map_lines(model, "   ")
    lines.append(f"router bgp {model.asn}")
    lines.append(f"   graceful-restart restart-time {model.restart_time}")
    lines.append(f"   graceful-restart stalepath-time {model.stalepath_time}")
    if model.password:
        lines.append(f"   neighbor {pg} password {model.password}")
    lines.append(f"   neighbor {pg} route-map {names.import_policy} in")
    lines.append(f"   neighbor {pg} route-map {names.export_policy} out")
    if model.neighbor_mode == "listen_range":
        if model.ibgp:
            lines.append(f"   bgp listen range {model.listen_prefix} peer-group {pg} remote-as {model.asn}")
        else:
            low, high = listen_asn_range(model)
            lines.append(f"   bgp listen range {model.listen_prefix} peer-group {pg} peer-filter {names.peer_group}-ASNS")
        lines.append(f"   dynamic peer max {model.listen_limit}")
    else:
        for node in model.neighbors:
            lines.append(f"   neighbor {node.ip} peer group {pg}")
    if 6 in model.families:
        lines += ["   address-family ipv6", f"      neighbor {pg} activate"]
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        low, high = listen_asn_range(model)
        lines = [f"peer-filter {names.peer_group}-ASNS", f"   10 match as-range {low}-{high} result accept"] + lines
    return "\n".join(lines) + "\n"


def vendor_config(model: TorModel) -> dict:
    return {
        "platform": "eos",
        "network_os": NETWORK_OS,
        "resources": [{"module": MODULE, "config": resource_config(model)}],
        "template": template_text(model),
        "template_module": CONFIG_MODULE,
        "comment": "!",
        "header": header(model, "!"),
    }
