"""BGP section: the mode, the AS of every node, route reflectors, ToR rules and each node's peers."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import DEFAULT_BGP_TIMERS
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import (
    _addr,
    _as_int,
    _check_asn,
    _cidr_list,
    _Ctx,
    _net,
    _rejected,
    _valid_net,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.tor_sessions import tor_sends_default

FULL_MESH_WARN_NODES = 100


def _bgp(
    ctx: _Ctx, cluster: dict, racks: dict, rack_nets: dict, nodes: dict, tors: dict, pools: list[dict]
) -> tuple[dict, dict[str, dict]]:
    """The bgp section, and per node what BGP decides: effective AS, reflector role, labels, peers.

    The topology's nodes are read, never changed; the assembler lays the per-node part over them.
    """
    v = ctx.v
    decided = {
        name: {
            "asn": n["asn"],
            "asn_source": n["asn_source"],
            "route_reflector": n["route_reflector"],
            "route_reflector_cluster_id": n["route_reflector_cluster_id"],
            "labels": dict(n["labels"]),
            "peers": [],
        }
        for name, n in nodes.items()
    }
    mode = v["calico_bgp_mode"]
    design = v["calico_tor_design"]
    prod = v["calico_production"]
    asn = _check_asn(ctx, "calico_asn", v["calico_asn"]) or 64512
    timers = dict(DEFAULT_BGP_TIMERS)
    for key, val in v["calico_bgp_timers"].items():
        if key not in timers or _as_int(val) is None or _as_int(val) < 0:
            ctx.f.error(
                "calico_bgp_timers", "%s: %r is not a known timer with a non-negative integer." % (key, val), "use keys %s." % ", ".join(timers)
            )
        else:
            timers[key] = _as_int(val)
    if timers["hold"] and timers["hold"] < 3 * timers["keepalive"] and timers["hold"] != 0:
        ctx.f.warn(
            "calico_bgp_timers", "hold %d is less than three keepalives (%d)." % (timers["hold"], timers["keepalive"]), "hold should be 3x keepalive."
        )
    port = v["calico_bgp_listen_port"]
    if not 1 <= port <= 65535:
        ctx.f.error("calico_bgp_listen_port", "%d is not a TCP port." % port, "use 179 unless you have a reason.")
    rrs = [n for n in nodes.values() if n["route_reflector"]]
    rr_names = [n["name"] for n in sorted(rrs, key=lambda n: n["name"])]
    if rr_names and mode != "route_reflectors":
        ctx.f.warn(
            "calico_route_reflectors",
            "has hosts but calico_bgp_mode is %s: they are treated as ordinary nodes." % mode,
            "set calico_bgp_mode: route_reflectors or empty the group.",
        )
        for n in rrs:
            decided[n["name"]].update(route_reflector=False, route_reflector_cluster_id=None)
        rr_names = []
    n_nodes = len(nodes)
    if mode == "full_mesh" and n_nodes > FULL_MESH_WARN_NODES:
        msg = "full mesh with %d nodes means %d BGP sessions per node; above %d nodes this does not scale." % (
            n_nodes,
            n_nodes - 1,
            FULL_MESH_WARN_NODES,
        )
        fix = "use calico_bgp_mode: route_reflectors (or tor)."
        (ctx.f.error if prod else ctx.f.warn)("calico_bgp_mode", msg, fix)
    if mode == "route_reflectors":
        need = 2 if prod else 1
        if len(rr_names) < need:
            ctx.f.error(
                "calico_route_reflectors",
                "has %d route reflector(s); route_reflectors mode needs at least %d%s." % (len(rr_names), need, " in production" if prod else ""),
                "add nodes of k8s_cluster to calico_route_reflectors (reflectors listed in calico_retire no longer count: "
                "make another node a reflector first).",
            )
        for n in rrs:
            decided[n["name"]]["labels"]["route-reflector"] = "true"
        for n in nodes.values():
            peers = decided[n["name"]]["peers"]
            if n["route_reflector"]:
                peers += [{"name": o, "ip": nodes[o]["ip"], "asn": nodes[o]["asn"], "kind": "route_reflector"} for o in rr_names if o != n["name"]]
                peers += [{"name": o["name"], "ip": o["ip"], "asn": o["asn"], "kind": "node"} for o in nodes.values() if not o["route_reflector"]]
            else:
                peers += [{"name": o, "ip": nodes[o]["ip"], "asn": nodes[o]["asn"], "kind": "route_reflector"} for o in rr_names]
    if mode == "tor":
        _tor_mode(ctx, cluster, racks, rack_nets, nodes, tors, design, asn, decided)
    elif design:
        ctx.f.warn(
            "calico_tor_design", "is set but calico_bgp_mode is %s; it is ignored." % mode, "remove calico_tor_design or set calico_bgp_mode: tor."
        )
    if mode != "tor" and tors:
        ctx.f.warn(
            "tor_routers",
            "has %d router(s) but calico_bgp_mode is %s: no ToR configuration is rendered." % (len(tors), mode),
            "set calico_bgp_mode: tor to peer nodes with their ToRs.",
        )
    for own in decided.values():
        own["peers"].sort(key=lambda p: (p["kind"] != "tor", p["name"]))
    svc_cluster = [cluster["service_cidr"]] if v["calico_advertise_service_cluster_ips"] and cluster["service_cidr"] else []
    svc_ext = _cidr_list(ctx, "calico_advertise_service_external_ips")
    svc_lb = _cidr_list(ctx, "calico_advertise_service_loadbalancer_ips")
    communities, prefix_advertisements = _communities(ctx, pools)
    password = v["calico_bgp_password"]
    # Routers and reflectors accept sessions from whole subnets (listen ranges, or any host that can
    # take a listed node address): in production a session needs the shared secret.
    if prod and mode in ("tor", "route_reflectors") and not password:
        peering = "ToR peering" if mode == "tor" else "route reflector peering"
        if v["calico_bgp_password_waived"]:
            ctx.f.warn(
                "calico_bgp_password",
                "is not set: %s runs without TCP MD5 authentication (calico_bgp_password_waived: true)." % peering,
                "set calico_bgp_password (from a vault) and remove calico_bgp_password_waived.",
            )
        else:
            ctx.f.error(
                "calico_bgp_password",
                "is required for %s with calico_production: true: without it any host on a node subnet can open "
                "a BGP session and announce the prefixes the filters accept." % peering,
                "set calico_bgp_password (from a vault, docs/security.md), or accept the risk with calico_bgp_password_waived: true.",
            )
    return {
        "mode": mode,
        "tor_design": design if mode == "tor" else None,
        "asn": asn,
        "node_to_node_mesh": mode == "full_mesh",
        "listen_port": port,
        "rack_label": v["calico_rack_label"],
        "route_reflector_label": "route-reflector",
        "route_reflectors": rr_names,
        "password": {
            "enabled": bool(password),
            "secret_name": "calico-bgp-password",
            "secret_key": "password",
            "namespace": "kube-system",
        },
        "service_cluster_ips": svc_cluster,
        "service_external_ips": svc_ext,
        "service_loadbalancer_ips": svc_lb,
        "communities": communities,
        "prefix_advertisements": prefix_advertisements,
        "timers": timers,
        # GTSM on the node-ToR sessions (BGPPeer ttlSecurity, the routers' equivalent).
        "ttl_security_hops": 1 if v["calico_bgp_ttl_security"] else None,
        "peer_extra": v["calico_bgp_peer_extra"],
        "tor_import_filter": _tor_import_filter(ctx, cluster, pools, design) if mode == "tor" and design else None,
    }, decided


# BGPFilter the ToR BGPPeers name: what a node takes from its ToRs.
TOR_IMPORT_FILTER = "onprem-calico-tor-import"


def _tor_import_filter(ctx: _Ctx, cluster: dict, pools: list[dict], design: str) -> dict:
    """BGPFilter rules (importV4 / importV6) for the node-ToR sessions: pool routes, the default
    where the design sends one, and a final reject.

    calico-node's BIRD import filter calls each BGPFilter's function and then accepts
    (bird.cfg.template, 3.31: "accept; # Prior to introduction of BGP Filters we used import
    all"), so without the final Reject a misconfigured ToR could put any route in the node's
    kernel. Disabled pools stay in: their blocks hold pods until a migration ends.
    """
    rules = {}
    for family, default in ((4, "0.0.0.0/0"), (6, "::/0")):
        if family == 6 and not cluster["dual_stack"]:
            rules[family] = []
            continue
        # Collapsed: neighbouring pools (hundreds of rack pools) make one rule.
        nets = ipaddress.collapse_addresses(ipaddress.ip_network(p["cidr"]) for p in pools if p["family"] == family)
        family_rules = [{"action": "Accept", "matchOperator": "In", "cidr": str(net)} for net in nets]
        if tor_sends_default(ctx, design):
            family_rules.append({"action": "Accept", "matchOperator": "Equal", "cidr": default})
        rules[family] = family_rules + [{"action": "Reject"}]
    return {"name": TOR_IMPORT_FILTER, "import_v4": rules[4], "import_v6": rules[6]}


def _communities(ctx: _Ctx, pools: list[dict]) -> tuple[list[dict], list[dict]]:
    """calico_bgp_communities as BGPConfiguration communities and prefixAdvertisements.

    Each community names the prefixes (pool names or CIDRs) it is attached to: calicoctl refuses a
    community that no prefixAdvertisement uses, so one without prefixes is an error here.
    """
    pool_cidrs = {p["name"]: p["cidr"] for p in pools}
    communities, by_cidr = [], {}
    for i, c in enumerate(ctx.v["calico_bgp_communities"]):
        subject = "calico_bgp_communities[%d]" % i
        if not isinstance(c, dict) or not c.get("name") or not re.fullmatch(r"\d+:\d+(:\d+)?", str(c.get("value", ""))):
            ctx.f.error(subject, "must be {name, value, prefixes} with value like 65000:100 or 65000:100:200.", "fix the entry.")
            continue
        prefixes = c.get("prefixes")
        if not prefixes or not isinstance(prefixes, list):
            ctx.f.error(
                subject,
                "(%s) is attached to no prefix; calicoctl refuses a community that no prefixAdvertisement uses." % c["name"],
                "add prefixes: [<pool name or CIDR>] to it (pools: %s), or remove it." % (", ".join(sorted(pool_cidrs)) or "none"),
            )
            continue
        communities.append({"name": str(c["name"]), "value": str(c["value"])})
        for prefix in prefixes:
            cidr = pool_cidrs.get(str(prefix))
            if cidr is None:
                cidr = str(_net(str(prefix))) if _valid_net(prefix) else None
            if cidr is None:
                ctx.f.error(subject, "prefix %r is neither a pool name nor a CIDR." % (prefix,),
                            "use one of the pools (%s) or a CIDR such as 10.244.0.0/16." % (", ".join(sorted(pool_cidrs)) or "none"))
                continue
            names = by_cidr.setdefault(cidr, [])
            if c["name"] not in names:
                names.append(str(c["name"]))
    return communities, [{"cidr": cidr, "communities": names} for cidr, names in sorted(by_cidr.items())]


def _duplicate_rack_asns(ctx: _Ctx, racks: dict) -> None:
    """as_per_rack: racks sharing an AS drop each other's routes unless the fabric is built for it."""
    by_asn: dict[int, list[str]] = {}
    for rack in sorted(racks.values(), key=lambda r: r["name"]):
        if rack["asn"] is not None:
            by_asn.setdefault(rack["asn"], []).append(rack["name"])
    for asn, names in sorted(by_asn.items()):
        if len(names) > 1:
            ctx.f.error(
                "calico_racks",
                "racks %s share AS %d: a route from one of them reaches the others with AS %d in its path, and their ToRs drop it "
                "(BGP loop prevention), so pods in these racks cannot reach each other." % (", ".join(names), asn, asn),
                "give every rack its own asn, or, when the ToRs accept their own AS (allowas-in) or the spine rewrites it "
                "(as-override), set calico_tor_allow_duplicate_rack_asn: true.",
            )


def _tor_mode(
    ctx: _Ctx, cluster: dict, racks: dict, rack_nets: dict, nodes: dict, tors: dict, design: str | None, asn: int, decided: dict
) -> None:
    """ToR rules; fills the per-node part of ``decided`` (effective AS, ToR peers)."""
    if not design:
        ctx.f.error(
            "calico_tor_design", "is required with calico_bgp_mode: tor.", "set it to as_per_rack, as_per_node or downward_default (docs/bgp.md)."
        )
        return
    # Dual stack: calico-node's bird6 peers only with IPv6 neighbours, so the IPv6 routes need
    # their own sessions between IPv6 addresses on both ends.
    dual_stack = cluster["dual_stack"]
    if dual_stack:
        for t in tors.values():
            if not t["peer_ip6"]:
                ctx.f.error(
                    t["name"],
                    "has no calico_tor_peer_ip6, but calico_pod_cidr_v6 is set and calico_bgp_mode is tor: IPv6 routes need IPv6 sessions.",
                    "set calico_tor_peer_ip6 to each router's IPv6 address on its rack subnet.",
                )
        for node in nodes.values():
            if not node["ip6"]:
                ctx.f.error(
                    node["name"],
                    "has no calico_node_ip6, but calico_pod_cidr_v6 is set and calico_bgp_mode is tor: IPv6 routes need IPv6 sessions.",
                    "set calico_node_ip6 for each of these nodes.",
                )
    racks_rejected = _rejected(ctx, "calico_racks")
    for n in nodes.values():
        rack = racks.get(n["rack"]) if n["rack"] else None
        if rack is None and racks_rejected:
            continue
        if rack is None:
            ctx.f.error(
                n["name"],
                "has no calico_rack, but calico_bgp_mode is tor: every node peers with its rack's ToRs.",
                "set calico_rack for each of these nodes.",
            )
            continue
        if not rack["tor_routers"]:
            ctx.f.error(
                n["name"],
                "is in rack %s, which has no tor_routers." % rack["name"],
                "list the rack's ToRs in calico_racks.%s.tor_routers." % rack["name"],
            )
    for rack in racks.values():
        if rack["nodes"] and not rack["subnets"]:
            ctx.f.error(
                "calico_racks.%s" % rack["name"],
                "has nodes but no subnets.",
                "list the rack's node subnets (ToR peer addresses and filters are derived from them).",
            )
        if design == "as_per_rack" and rack["nodes"] and rack["asn"] is None:
            ctx.f.error("calico_racks.%s.asn" % rack["name"], "is required with calico_tor_design: as_per_rack.", "give the rack its AS number.")
    if design == "as_per_rack" and not ctx.v["calico_tor_allow_duplicate_rack_asn"]:
        _duplicate_rack_asns(ctx, racks)
    for t in tors.values():
        rack = racks.get(t["rack"]) if t["rack"] else None
        if rack is None and racks_rejected:
            continue
        if rack is None:
            ctx.f.error(t["name"], "is not listed under any rack's tor_routers.", "add it to calico_racks.<rack>.tor_routers.")
            continue
        for var, address in (("calico_tor_peer_ip", t["peer_ip"]), ("calico_tor_peer_ip6", t["peer_ip6"])):
            if not address:
                continue
            ip = _addr(address)
            family_nets = [n for n in rack_nets[rack["name"]] if n.version == ip.version]
            if family_nets and not any(ip in n for n in family_nets):
                ctx.f.error(
                    t["name"],
                    "%s %s is outside rack %s's subnets (%s)." % (var, ip, rack["name"], ", ".join(rack["subnets"])),
                    "use the router's address on the rack subnet.",
                )
        if design == "as_per_rack" and rack["asn"] is not None and t["asn"] is not None and t["asn"] != rack["asn"]:
            # The router's AS is what the router runs; this collection never changes it, so the
            # rack follows the router unless the inventory is wrong about the router.
            ctx.f.error(
                t["name"],
                "calico_tor_asn %d (the AS configured on the router) differs from rack %s's asn %d; as_per_rack peers the rack's nodes "
                "with their ToR over iBGP, so both must be equal." % (t["asn"], rack["name"], rack["asn"]),
                "set calico_racks.%s.asn to %d to match the router (this collection never changes a router's AS), "
                "or correct calico_tor_asn if the router really runs AS %d." % (rack["name"], t["asn"], rack["asn"]),
            )
        if design == "downward_default" and t["asn"] == asn:
            ctx.f.error(t["name"], "calico_tor_asn %d equals calico_asn; downward_default peers over eBGP." % asn, "give the ToRs their own AS.")
    for node in nodes.values():
        n = decided[node["name"]]
        rack = racks.get(node["rack"]) if node["rack"] else None
        if design == "as_per_rack":
            if rack and rack["asn"] is not None:
                if n["asn_source"] == "node" and n["asn"] != rack["asn"]:
                    ctx.f.error(
                        node["name"],
                        "calico_node_asn %d differs from rack %s's asn %d (as_per_rack)." % (n["asn"], rack["name"], rack["asn"]),
                        "remove calico_node_asn; the rack's AS applies.",
                    )
                n["asn"], n["asn_source"] = rack["asn"], "rack"
        elif design == "as_per_node":
            if n["asn_source"] != "node":
                ctx.f.error(node["name"], "has no calico_node_asn; as_per_node gives every node its own AS.", "set calico_node_asn for each of these nodes.")
        if rack:
            for tname in rack["tor_routers"]:
                t = tors.get(tname)
                if t and t["peer_ip"]:
                    if design == "as_per_node" and t["asn"] == n["asn"] and n["asn_source"] == "node":
                        ctx.f.error(
                            node["name"],
                            "calico_node_asn %d equals ToR %s's AS; as_per_node needs eBGP." % (n["asn"], tname),
                            "give the node its own AS.",
                        )
                    n["peers"].append(
                        {"name": tname, "ip": t["peer_ip"], "ip6": t["peer_ip6"] if dual_stack else None, "asn": t["asn"], "kind": "tor"}
                    )
    seen: dict[int, str] = {}
    if design == "as_per_node":
        for n in sorted(nodes.values(), key=lambda x: x["name"]):
            if n["asn_source"] == "node":
                if n["asn"] in seen:
                    ctx.f.warn(
                        n["name"],
                        "shares AS %d with %s; as_per_node expects one AS per node." % (n["asn"], seen[n["asn"]]),
                        "give each node its own calico_node_asn.",
                    )
                seen.setdefault(n["asn"], n["name"])
