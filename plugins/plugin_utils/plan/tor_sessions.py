"""ToR sessions section: what every router configures towards the nodes of its rack."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import DEFAULT_GRACEFUL_RESTART
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr, _as_int, _Ctx, _is_dotted_quad


def _tor_sessions(ctx: _Ctx, bgp: dict, racks: dict, nodes: dict, tors: dict, pools: list[dict]) -> dict[str, dict]:
    """Each ToR's node-facing side, derived from the same facts as the node side.

    ``nodes`` are the composed nodes (their effective AS from the BGP section); the result maps
    each router to the fields the assembler adds to it.
    """
    v = ctx.v
    design = bgp["tor_design"]
    gr = dict(DEFAULT_GRACEFUL_RESTART)
    for key, val in v["calico_tor_graceful_restart"].items():
        if key not in gr or _as_int(val) is None:
            ctx.f.error("calico_tor_graceful_restart", "%s: %r is not a known timer with an integer." % (key, val), "use keys %s." % ", ".join(gr))
        else:
            gr[key] = _as_int(val)
    if v["calico_tor_maximum_paths"] < 1:
        ctx.f.error("calico_tor_maximum_paths", "must be at least 1.", "e.g. 8.")
    if v["calico_tor_maximum_prefix"] < 1:
        ctx.f.error("calico_tor_maximum_prefix", "must be at least 1.", "e.g. 12000.")
    if not re.fullmatch(r"[A-Z][A-Z0-9_-]*", v["calico_tor_object_prefix"]):
        ctx.f.error("calico_tor_object_prefix", "%r must be upper-case letters, digits, '-' or '_'." % v["calico_tor_object_prefix"], "e.g. CALICO-.")
    sessions: dict[str, dict] = {}
    for t in tors.values():
        rack = racks.get(t["rack"]) if t["rack"] else None
        cluster_id = ctx.inv.hosts.get(t["name"], {}).get("calico_tor_cluster_id")
        rack_nodes = rack["nodes"] if rack else []
        accept = []
        for p in pools:
            if p["family"] != 4:
                continue
            if p["racks"] and t["rack"] not in p["racks"]:
                continue
            accept.append({"prefix": p["cidr"], "ge": p["block_size"] if p["block_size"] < 32 else None, "le": 32, "family": 4})
        for cidr in bgp["service_cluster_ips"] + bgp["service_external_ips"] + bgp["service_loadbalancer_ips"]:
            net = ipaddress.ip_network(cidr)
            accept.append({"prefix": cidr, "ge": None, "le": 32 if net.version == 4 else 128, "family": net.version})
        listen = None
        if v["calico_tor_neighbor_mode"] == "listen_range" and rack and rack["subnets"]:
            listen = {"prefix": rack["subnets"][0], "limit": max(16, 2 * len(rack_nodes))}
        sessions[t["name"]] = {
            "design": design,
            "session_type": "ibgp" if design == "as_per_rack" else "ebgp",
            "route_reflector_client": design == "as_per_rack",
            "next_hop_self": design == "as_per_rack",
            "default_originate": design == "downward_default",
            "send_default_only": design == "downward_default",
            "cluster_id": (str(cluster_id) if cluster_id else t["router_id"]) if design == "as_per_rack" else None,
            "neighbor_mode": v["calico_tor_neighbor_mode"],
            "listen_range": listen,
            "neighbors": sorted(
                ({"node": n, "ip": nodes[n]["ip"], "asn": nodes[n]["asn"]} for n in rack_nodes if nodes.get(n) and nodes[n]["ip"]),
                key=lambda x: _addr(x["ip"]),
            ),
            "accept_prefixes": accept,
            "maximum_prefix": v["calico_tor_maximum_prefix"],
            "maximum_paths": v["calico_tor_maximum_paths"],
            "password_enabled": bgp["password"]["enabled"],
            "timers": dict(bgp["timers"]),
            "graceful_restart": gr,
            "object_prefix": v["calico_tor_object_prefix"],
        }
        if cluster_id and not _is_dotted_quad(cluster_id):
            ctx.f.error(
                t["name"], "calico_tor_cluster_id %r is not a dotted-quad." % cluster_id, "use an IPv4-style id or remove it (the router id is used)."
            )
    return sessions
