"""Racks and topology section: racks, nodes, ToR routers and the networks the nodes sit in."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import TOR_PLATFORMS
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import (
    _addr,
    _as_int,
    _check_asn,
    _Ctx,
    _ip,
    _is_dotted_quad,
    _Ranges,
    _rejected,
    _valid_net,
)

# What calico_tor reaches each platform with (roles/calico_tor/README.md): the network OS and
# the connection plugins, by full and short name.
# The push paths use the platforms' cliconf/httpapi plugins: SSH CLI, or eAPI / NX-API over HTTPS.
ROUTER_CONNECTIONS = {
    "eos": (("arista.eos.eos", "eos"), ("ansible.netcommon.network_cli", "network_cli", "ansible.netcommon.httpapi", "httpapi")),
    "nxos": (("cisco.nxos.nxos", "nxos"), ("ansible.netcommon.network_cli", "network_cli", "ansible.netcommon.httpapi", "httpapi")),
    "junos": (("junipernetworks.junos.junos", "junos"), ("ansible.netcommon.netconf", "netconf")),
}
# FRR is configured through modules that run Python on the router: no network connection.
NETWORK_CONNECTIONS = ("network_cli", "netconf", "httpapi")


def _racks(ctx: _Ctx) -> tuple[dict[str, dict], dict[str, list]]:
    """The racks (without members) and each rack's parsed subnets."""
    racks: dict[str, dict] = {}
    rack_nets: dict[str, list] = {}
    tor_group = set(ctx.inv.group("tor_routers"))
    seen_tor: dict[str, str] = {}
    seen_index: dict[int, str] = {}
    for name, spec in sorted(ctx.v["calico_racks"].items()):
        subject = "calico_racks.%s" % name
        if not isinstance(spec, dict):
            ctx.f.error(subject, "must be a mapping with asn, subnets and tor_routers.", "see docs/inventory.md#calico_racks.")
            continue
        unknown = set(spec) - {"asn", "subnets", "tor_routers", "index"}
        if unknown:
            ctx.f.error(subject, "has unknown keys: %s." % ", ".join(sorted(unknown)), "use only asn, subnets, tor_routers and index.")
        asn = None
        if spec.get("asn") is not None:
            asn = _check_asn(ctx, subject + ".asn", spec["asn"])
        subnets = []
        raw_subnets = spec.get("subnets") or []
        if not isinstance(raw_subnets, list):
            ctx.f.error(subject + ".subnets", "must be a list of CIDRs.", "e.g. [10.0.1.0/24].")
            raw_subnets = []
        for s in raw_subnets:
            net = ctx.network(subject + ".subnets", s)
            if net:
                subnets.append(net)
        tors = spec.get("tor_routers") or []
        if not isinstance(tors, list):
            ctx.f.error(subject + ".tor_routers", "must be a list of inventory host names.", "e.g. [tor1a, tor1b].")
            tors = []
        for tor in tors:
            if tor not in tor_group:
                ctx.f.error(
                    subject + ".tor_routers",
                    "%s is not a host of group tor_routers." % tor,
                    "add %s to tor_routers in the inventory or remove it from the rack." % tor,
                )
            if tor in seen_tor:
                ctx.f.error(subject + ".tor_routers", "%s is already the ToR of rack %s." % (tor, seen_tor[tor]), "a router serves one rack.")
            seen_tor[tor] = name
        racks[name] = {
            "name": name,
            "asn": asn,
            "index": _rack_index(ctx, subject + ".index", spec.get("index"), seen_index, name),
            "subnets": [str(n) for n in sorted(subnets, key=lambda n: (n.version, n))],
            "tor_routers": sorted(str(t) for t in tors),
        }
        rack_nets[name] = subnets
    return racks, rack_nets


def _rack_index(ctx: _Ctx, subject: str, value: Any, seen: dict[int, str], rack: str) -> int | None:
    """The rack's place in the pod CIDR (rack pools); two racks at one index would share a pool."""
    if value is None:
        return None
    index = _as_int(value)
    if index is None or index < 0 or isinstance(value, bool):
        ctx.f.error(subject, "%r is not a whole number of 0 or more." % (value,), "number the racks 0, 1, 2, ... and never renumber them.")
        return None
    if index in seen:
        ctx.f.error(
            subject, "index %d is already rack %s's: both racks would get the same pool." % (index, seen[index]), "give every rack its own index."
        )
        return None
    seen[index] = rack
    return index


def _with_members(racks: dict[str, dict], nodes: dict[str, dict]) -> dict[str, dict]:
    """The racks with their node lists, composed from the nodes' own rack."""
    members: dict[str, list[str]] = {name: [] for name in racks}
    for node in nodes.values():
        if node["rack"]:
            members[node["rack"]].append(node["name"])
    return {name: dict(rack, nodes=sorted(members[name])) for name, rack in racks.items()}


def retired_nodes(ctx: _Ctx, members: list[str]) -> list[str]:
    """The nodes of ``calico_retire`` (sorted); a name that is no node of k8s_cluster is an error."""
    retired = []
    for name in ctx.v.get("calico_retire") or []:
        if name not in members:
            ctx.f.error(name, "is listed in calico_retire but is no host of k8s_cluster.",
                        "list only nodes that are still in the inventory's k8s_cluster group (a node already removed "
                        "from the inventory needs no retiring).")
        elif name not in retired:
            retired.append(name)
    if members and len(retired) == len(set(members)):
        ctx.f.error("calico_retire", "lists every node of k8s_cluster.", "to remove Calico altogether, run playbooks/uninstall.yml.")
    return sorted(retired)


def _nodes(ctx: _Ctx, racks: dict, rack_nets: dict, retired: list[str] = ()) -> dict[str, dict]:
    v = ctx.v
    inv = ctx.inv
    members = inv.group("k8s_cluster")
    if not members:
        ctx.f.error(
            "k8s_cluster",
            "the group is empty or missing: there is no node to install Calico on.",
            "put every Kubernetes node in k8s_cluster (children kube_control_plane and kube_node).",
        )
    # A retired node stays in the inventory (and its groups) but the plan has no place for it.
    members = [name for name in members if name not in retired]
    control = set(inv.group("kube_control_plane"))
    workers = set(inv.group("kube_node"))
    rrs = set(inv.group("calico_route_reflectors")) - set(retired)
    tor_group = set(inv.group("tor_routers"))
    by_ip: dict[Any, str] = {}
    nodes: dict[str, dict] = {}
    member_set = set(members)
    for rr in sorted(rrs - member_set):
        ctx.f.error(rr, "is in calico_route_reflectors but not in k8s_cluster.", "route reflectors are Calico nodes: add them to k8s_cluster.")
    asn_default = v["calico_asn"]
    for name in members:
        if name in nodes:
            ctx.f.error(name, "is listed twice in k8s_cluster.", "list every node once.")
            continue
        if name in tor_group:
            ctx.f.error(name, "is both a node (k8s_cluster) and a ToR router (tor_routers).", "a host is either a Calico node or a router.")
        hv = inv.hosts.get(name, {})
        ip = _node_ip(ctx, name, hv)
        if ip is not None:
            if ip in by_ip:
                ctx.f.error(name, "has node address %s, already used by %s." % (ip, by_ip[ip]), "give every node its own calico_node_ip.")
            else:
                by_ip[ip] = name
        ip6 = None
        if hv.get("calico_node_ip6") is not None:
            ip6 = _ip(hv["calico_node_ip6"])
            if ip6 is None or ip6.version != 6:
                ctx.f.error(name, "calico_node_ip6 %r is not an IPv6 address." % hv["calico_node_ip6"], "set an IPv6 address or remove it.")
                ip6 = None
        rack = hv.get("calico_rack")
        if isinstance(rack, str) and not rack.strip():
            ctx.f.error(name, "calico_rack is empty.", "set the name of the node's rack (a key of calico_racks) or remove calico_rack.")
            rack = None
        if rack is not None:
            rack = str(rack)
            if rack not in racks and _rejected(ctx, "calico_racks"):
                rack = None
            elif rack not in racks:
                ctx.f.error(
                    name, "calico_rack %r is not defined in calico_racks." % rack, "add rack %s to calico_racks or fix the node's calico_rack." % rack
                )
                rack = None
            else:
                nets = [n for n in rack_nets[rack] if ip is not None and n.version == ip.version]
                if ip is not None and nets and not any(ip in n for n in nets):
                    ctx.f.error(
                        name,
                        "address %s is outside the subnets of rack %s (%s)." % (ip, rack, ", ".join(map(str, nets))),
                        "fix calico_node_ip or the rack's subnets.",
                    )
        mtu = hv.get("calico_interface_mtu", v["calico_interface_mtu"])
        mtu_int = _as_int(mtu)
        if mtu_int is None or not 576 <= mtu_int <= 65535:
            ctx.f.error(name, "calico_interface_mtu %r is not an MTU (576..65535)." % (mtu,), "set the node's uplink MTU, e.g. 1500 or 9000.")
            mtu_int = 1500
        rr = name in rrs
        rr_id = None
        if rr:
            rr_id = hv.get("calico_route_reflector_cluster_id")
            if rr_id is None:
                ctx.f.error(
                    name,
                    "is a route reflector without calico_route_reflector_cluster_id.",
                    "set it (e.g. 244.0.0.1) on the host or in group_vars/calico_route_reflectors.",
                )
            elif not _is_dotted_quad(rr_id):
                ctx.f.error(
                    name, "calico_route_reflector_cluster_id %r is not a dotted-quad (e.g. 244.0.0.1)." % (rr_id,), "set an IPv4-style cluster id."
                )
            rr_id = str(rr_id) if rr_id is not None else None
        node_asn = None
        if hv.get("calico_node_asn") is not None:
            node_asn = _check_asn(ctx, "%s (calico_node_asn)" % name, hv["calico_node_asn"])
        roles = [r for r, grp in (("kube_control_plane", control), ("kube_node", workers)) if name in grp]
        labels = {}
        if rack:
            labels[v["calico_rack_label"]] = rack
        nodes[name] = {
            "name": name,
            "ip": str(ip) if ip is not None else None,
            "ip6": str(ip6) if ip6 is not None else None,
            "rack": rack,
            "asn": node_asn if node_asn is not None else asn_default,
            "asn_source": "node" if node_asn is not None else "global",
            "roles": roles,
            "route_reflector": rr,
            "route_reflector_cluster_id": rr_id,
            "labels": labels,
            "interface_mtu": mtu_int,
        }
    return nodes


def _node_ip(ctx: _Ctx, name: str, hv: dict):
    if hv.get("calico_node_ip") is not None:
        ip = _ip(hv["calico_node_ip"])
        if ip is None:
            ctx.f.error(
                name, "calico_node_ip %r is not an IP address." % hv["calico_node_ip"], "set the address calico-node uses for BGP and tunnels."
            )
        return ip
    ip = _ip(hv.get("ansible_host")) if hv.get("ansible_host") is not None else None
    if ip is None:
        ctx.f.error(
            name,
            "has no node address: ansible_host is %r, not an IP, and calico_node_ip is not set." % hv.get("ansible_host"),
            "set calico_node_ip for each of these nodes (render-only runs never resolve names or gather facts).",
        )
    return ip


def _node_networks(ctx: _Ctx, rack_nets: dict, nodes: dict) -> tuple[list[str], list[str], list]:
    """Node subnets (collapsed), firewall sources, and the subnets as declared (one per L2 segment)."""
    nets = [n for subnets in rack_nets.values() for n in subnets]
    for s in ctx.v["calico_node_subnets"]:
        net = ctx.network("calico_node_subnets", s)
        if net:
            nets.append(net)
    v4 = list(ipaddress.collapse_addresses(n for n in nets if n.version == 4))
    v6 = list(ipaddress.collapse_addresses(n for n in nets if n.version == 6))
    subnets = [str(n) for n in v4 + v6]
    ips = [_addr(n["ip"]) for n in nodes.values() if n["ip"]]
    if ctx.v["calico_node_subnets"]:
        cluster_nets = [ipaddress.ip_network(str(s), strict=False) for s in ctx.v["calico_node_subnets"] if _valid_net(s)]
        for n in nodes.values():
            if n["ip"] and not n["rack"] and cluster_nets:
                ip = ipaddress.ip_address(n["ip"])
                if not any(ip.version == c.version and ip in c for c in cluster_nets):
                    ctx.f.error(n["name"], "address %s is outside calico_node_subnets." % ip, "fix calico_node_ip or calico_node_subnets.")
    # Each family on its own: the subnets of a family when they hold every node address of that
    # family, else each address as a host route (a cluster with IPv4 subnets but none for IPv6
    # still opens the nodes' IPv6 addresses).
    addresses = ips + [_addr(n["ip6"]) for n in nodes.values() if n["ip6"]]
    sources = []
    for version, family_nets in ((4, v4), (6, v6)):
        family_ips = [ip for ip in addresses if ip.version == version]
        covered = _Ranges(family_nets)
        if family_nets and all(ip in covered for ip in family_ips):
            sources += [str(n) for n in family_nets]
        else:
            sources += [str(n) for n in ipaddress.collapse_addresses(ipaddress.ip_network(ip) for ip in family_ips)]
    declared = sorted(set(nets), key=lambda n: (n.version, n))
    return subnets, sources, declared


def _router_connection(ctx: _Ctx, name: str, platform: str, hv: dict) -> None:
    """The connection variables a platform needs, checked before the ToR stage opens one."""
    connection = str(hv.get("ansible_connection") or "")
    if platform == "frr":
        if connection.rsplit(".", 1)[-1] in NETWORK_CONNECTIONS:
            ctx.f.error(
                name,
                "calico_tor_platform frr with ansible_connection %s: FRR routers are configured over SSH with Python." % connection,
                "remove ansible_connection for these routers (or use ssh).",
            )
        return
    network_os, connections = ROUTER_CONNECTIONS[platform]
    for var, allowed in (("ansible_network_os", network_os), ("ansible_connection", connections)):
        value = hv.get(var)
        if value in (None, ""):
            ctx.f.error(
                name, "calico_tor_platform %s needs %s, which is not set." % (platform, var), "set %s: %s for these routers." % (var, allowed[0])
            )
        elif str(value) not in allowed:
            ctx.f.error(
                name,
                "calico_tor_platform %s needs %s %s, not %s." % (platform, var, " or ".join(a for a in allowed if "." in a), value),
                "set %s: %s for these routers." % (var, allowed[0]),
            )


def _tor_routers(ctx: _Ctx, racks: dict) -> dict[str, dict]:
    rack_of = {t: r["name"] for r in racks.values() for t in r["tor_routers"]}
    # as_per_rack: a ToR is in its rack's AS, so an unset calico_tor_asn is the rack's.
    rack_asn_applies = ctx.v["calico_bgp_mode"] == "tor" and ctx.v["calico_tor_design"] == "as_per_rack"
    tors: dict[str, dict] = {}
    for name in ctx.inv.group("tor_routers"):
        hv = ctx.inv.hosts.get(name, {})
        platform = hv.get("calico_tor_platform")
        if platform not in TOR_PLATFORMS:
            ctx.f.error(
                name, "calico_tor_platform %r is not one of %s." % (platform, ", ".join(TOR_PLATFORMS)), "set calico_tor_platform for the router."
            )
        if platform in TOR_PLATFORMS:
            _router_connection(ctx, name, platform, hv)
        asn = None
        rack = rack_of.get(name)
        if hv.get("calico_tor_asn") is None:
            if rack_asn_applies and rack is not None and racks[rack]["asn"] is not None:
                asn = racks[rack]["asn"]
            else:
                ctx.f.error(
                    name,
                    "calico_tor_asn is not set.",
                    "set the AS number configured on the router (with calico_tor_design: as_per_rack its rack's asn is used when unset).",
                )
        else:
            asn = _check_asn(ctx, "%s (calico_tor_asn)" % name, hv["calico_tor_asn"])
        rid = hv.get("calico_tor_router_id")
        if not _is_dotted_quad(rid):
            ctx.f.error(name, "calico_tor_router_id %r is not a dotted-quad." % (rid,), "set the router id, e.g. its loopback address.")
            rid = None
        peer = _ip(hv.get("calico_tor_peer_ip")) if hv.get("calico_tor_peer_ip") is not None else None
        if hv.get("calico_tor_peer_ip") in (None, ""):
            ctx.f.error(name, "calico_tor_peer_ip is not set.", "set the address the rack's nodes peer with (the router's address on the rack subnet).")
        elif peer is None:
            ctx.f.error(
                name,
                "calico_tor_peer_ip %r is not an IP address." % (hv.get("calico_tor_peer_ip"),),
                "set the address the rack's nodes peer with (on the rack subnet).",
            )
        peer6 = None
        if hv.get("calico_tor_peer_ip6") is not None:
            peer6 = _ip(hv["calico_tor_peer_ip6"])
            if peer6 is None or peer6.version != 6:
                ctx.f.error(
                    name,
                    "calico_tor_peer_ip6 %r is not an IPv6 address." % (hv["calico_tor_peer_ip6"],),
                    "set the router's IPv6 address on the rack subnet, or remove it.",
                )
                peer6 = None
        if hv.get("calico_rack") is not None and rack is not None and str(hv["calico_rack"]) != rack:
            ctx.f.error(
                name, "calico_rack is %r but calico_racks lists it under %s." % (hv["calico_rack"], rack), "keep one: the rack's tor_routers list."
            )
        tors[name] = {
            "name": name,
            "platform": platform,
            "asn": asn,
            "router_id": str(rid) if rid else None,
            "peer_ip": str(peer) if peer is not None else None,
            "peer_ip6": str(peer6) if peer6 is not None else None,
            "rack": rack,
        }
    return tors
