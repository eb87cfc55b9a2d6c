"""Pools section: the IP pools (default or explicit), their modes, sizes and overlaps."""

from __future__ import annotations

import ipaddress

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import ENCAPSULATIONS
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.cluster import POOL_NAME_RE
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr, _as_bool, _as_int, _Ctx
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import subject_list

DEFAULT_POOL_V4 = "default-ipv4-ippool"
DEFAULT_POOL_V6 = "default-ipv6-ippool"
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
# calico_encapsulation -> (ipipMode, vxlanMode) of the pools it applies to.
ENCAP_MODES = {
    "ipip": ("Always", "Never"),
    "ipip_cross_subnet": ("CrossSubnet", "Never"),
    "vxlan": ("Never", "Always"),
    "vxlan_cross_subnet": ("Never", "CrossSubnet"),
    "none": ("Never", "Never"),
}


def _pools(ctx: _Ctx, cluster: dict, racks: dict, nodes: dict) -> list[dict]:
    v = ctx.v
    pools: list[dict] = []
    encap = v["calico_encapsulation"] if v["calico_encapsulation"] in ENCAP_MODES else "ipip"
    if not v["calico_ip_pools"]:
        if cluster["pod_cidr"]:
            pools.append(
                _pool_entry(
                    DEFAULT_POOL_V4, 4, cluster["pod_cidr"], v["calico_block_size"], encap, v["calico_nat_outgoing"], [], None, False, True, None
                )
            )
        if cluster["pod_cidr_v6"]:
            pools.append(
                _pool_entry(
                    DEFAULT_POOL_V6,
                    6,
                    cluster["pod_cidr_v6"],
                    v["calico_block_size_v6"],
                    encap,
                    v["calico_nat_outgoing_v6"],
                    [],
                    None,
                    False,
                    True,
                    None,
                )
            )
    names = set()
    for i, spec in enumerate(v["calico_ip_pools"]):
        subject = "calico_ip_pools[%d]" % i
        if not isinstance(spec, dict):
            ctx.f.error(subject, "must be a mapping (name, cidr, ...).", "see docs/inventory.md#calico_ip_pools.")
            continue
        unknown = set(spec) - {
            "name",
            "cidr",
            "block_size",
            "encapsulation",
            "ipip_mode",
            "vxlan_mode",
            "nat_outgoing",
            "racks",
            "node_selector",
            "disabled",
            "namespace_selector",
        }
        if unknown:
            ctx.f.error(subject, "has unknown keys: %s." % ", ".join(sorted(unknown)), "see docs/inventory.md#calico_ip_pools for the keys.")
        name = str(spec.get("name") or "")
        if not POOL_NAME_RE.match(name):
            ctx.f.error(subject, "name %r is not a DNS-1123 name." % name, "give the pool a lowercase name, e.g. rack1-ipv4.")
        elif name in names:
            ctx.f.error(subject, "pool name %s is used twice." % name, "give every pool its own name.")
        names.add(name)
        subject = "calico_ip_pools[%s]" % (name or i)
        net = ctx.network(subject + ".cidr", spec.get("cidr"))
        if not net:
            continue
        block = _as_int(spec.get("block_size", v["calico_block_size"] if net.version == 4 else v["calico_block_size_v6"]))
        if block is None:
            ctx.f.error(subject + ".block_size", "must be an integer.", "e.g. 26 for IPv4, 122 for IPv6.")
            continue
        pool_encap = spec.get("encapsulation", encap)
        if pool_encap not in ENCAP_MODES:
            ctx.f.error(subject + ".encapsulation", "%r is not one of %s." % (pool_encap, ", ".join(ENCAPSULATIONS)), "pick one of them.")
            pool_encap = "none"
        nat = _as_bool(spec.get("nat_outgoing", v["calico_nat_outgoing"] if net.version == 4 else v["calico_nat_outgoing_v6"]))
        pool_racks = spec.get("racks") or []
        for r in pool_racks:
            if r not in racks:
                ctx.f.error(subject + ".racks", "rack %r is not defined in calico_racks." % r, "use a rack name from calico_racks.")
        if pool_racks and spec.get("node_selector"):
            ctx.f.error(subject, "sets both racks and node_selector.", "use racks (the selector is derived) or node_selector, not both.")
        entry = _pool_entry(
            name,
            net.version,
            str(net),
            block,
            pool_encap,
            bool(nat),
            sorted(pool_racks),
            spec.get("node_selector"),
            _as_bool(spec.get("disabled", False)) or False,
            False,
            spec.get("namespace_selector"),
        )
        # Explicit modes win over the encapsulation shorthand (advanced use).
        for key in ("ipip_mode", "vxlan_mode"):
            if spec.get(key) is not None:
                if spec[key] not in ("Always", "CrossSubnet", "Never"):
                    ctx.f.error(subject + "." + key, "%r is not Always, CrossSubnet or Never." % spec[key], "use one of those.")
                else:
                    entry[key] = spec[key]
        if entry["racks"]:
            entry["node_selector"] = "%s in {%s}" % (v["calico_rack_label"], ", ".join("'%s'" % r for r in entry["racks"]))
        pools.append(entry)
    for pool in pools:
        _check_pool(ctx, cluster, pool, nodes, racks)
    if v["calico_bgp_mode"] == "none" and not all(p["vxlan_mode"] != "Never" or p["disabled"] for p in pools):
        ctx.f.error(
            "calico_bgp_mode",
            "is 'none' but not every pool uses VXLAN: without BGP, IPIP and unencapsulated routes are never exchanged.",
            "set calico_encapsulation to vxlan (or vxlan_cross_subnet), or choose a BGP mode.",
        )
    return sorted(pools, key=lambda p: (not p["default"], p["family"], p["name"]))


def _pool_subject(pool: dict, key: str) -> str:
    """Where the user changes this pool's ``key``: the cluster variable for the default pools."""
    return "calico_encapsulation" if pool["default"] else "calico_ip_pools[%s].%s" % (pool["name"], key)


def _encapsulation_fits_routing(ctx: _Ctx, pools: list[dict], nodes: dict, declared_subnets: list) -> None:
    """The encapsulation must suit how pod routes reach the routers between the nodes.

    ``declared_subnets``: the node subnets as the inventory declares them (rack subnets and
    calico_node_subnets), not collapsed: two adjacent /24s are still two segments.
    """
    mode = ctx.v["calico_bgp_mode"]
    active = [p for p in pools if not p["disabled"]]
    if mode == "tor":
        # calico-node's BIRD sets the IPIP tunnel as next hop for Always pools, also towards
        # other racks: the ToR gets IPIP packets it does not decapsulate.
        for pool in active:
            if pool["ipip_mode"] == "Always":
                ctx.f.error(
                    _pool_subject(pool, "encapsulation"),
                    "IP-in-IP Always with calico_bgp_mode: tor: nodes send traffic for other racks' pods IPIP-encapsulated to the "
                    "ToR, which does not decapsulate it, so cross-rack pod traffic is lost.",
                    "set %s: none; the ToRs learn every pod block over BGP and route it natively." % _pool_subject(pool, "encapsulation"),
                )
        return
    if mode not in ("full_mesh", "route_reflectors"):
        return
    unencapsulated = [p for p in active if p["ipip_mode"] == "Never" and p["vxlan_mode"] == "Never"]
    if not unencapsulated:
        return
    # The most specific declared subnet of each node, looked up per prefix length (not per subnet).
    declared = set(declared_subnets)
    lengths = sorted({s.prefixlen for s in declared}, reverse=True)
    used = set()
    for n in nodes.values():
        if not n["ip"]:
            continue
        ip = _addr(n["ip"])
        for length in lengths:
            candidate = ipaddress.ip_network((ip, length), strict=False) if length <= ip.max_prefixlen else None
            if candidate in declared:
                used.add(candidate)
                break
    if len(used) < 2:
        return
    used = [str(s) for s in sorted(used, key=lambda s: (s.version, s))]
    for pool in unencapsulated:
        ctx.f.error(
            _pool_subject(pool, "encapsulation"),
            "is none with calico_bgp_mode: %s while the nodes sit in %d subnets (%s): the routers between them know no "
            "pod routes and drop pod traffic that crosses subnets." % (mode, len(used), ", ".join(used)),
            "set %s to ipip_cross_subnet or vxlan_cross_subnet, or peer the nodes with their routers (calico_bgp_mode: tor)."
            % _pool_subject(pool, "encapsulation"),
        )


def _pool_entry(name, family, cidr, block, encap, nat, racks, selector, disabled, default, ns_selector):
    ipip, vxlan = ENCAP_MODES[encap]
    return {
        "name": name,
        "family": family,
        "cidr": cidr,
        "block_size": block,
        "ipip_mode": ipip,
        "vxlan_mode": vxlan,
        "nat_outgoing": bool(nat),
        "node_selector": selector or "all()",
        "disabled": bool(disabled),
        "default": default,
        "racks": racks,
        "namespace_selector": ns_selector,
    }


def _check_pool(ctx: _Ctx, cluster: dict, pool: dict, nodes: dict, racks: dict) -> None:
    subject = "calico_ip_pools[%s]" % pool["name"] if not pool["default"] else ("calico_pod_cidr" if pool["family"] == 4 else "calico_pod_cidr_v6")
    net = ipaddress.ip_network(pool["cidr"])
    block = pool["block_size"]
    lo, hi = (20, 32) if net.version == 4 else (116, 128)
    block_var = subject + ".block_size" if not pool["default"] else ("calico_block_size" if net.version == 4 else "calico_block_size_v6")
    if not lo <= block <= hi:
        if pool["default"]:
            return  # reported once by _check_block_sizes
        ctx.f.error(
            block_var,
            "block size %d is outside %d..%d for IPv%d." % (block, lo, hi, net.version),
            "use a block size in %d..%d (Calico's default is %d)." % (lo, hi, 26 if net.version == 4 else 122),
        )
    elif net.prefixlen > block:
        ctx.f.error(
            block_var,
            "pool %s (/%d) is smaller than one block (/%d)." % (net, net.prefixlen, block),
            "use a larger pool or a block size of at least /%d." % net.prefixlen,
        )
    else:
        blocks = 2 ** (block - net.prefixlen)
        if pool["racks"]:
            users = sum(len(racks[r]["nodes"]) for r in pool["racks"] if r in racks)
        else:
            users = len(nodes)
        if users and blocks < users:
            ctx.f.warn(
                subject,
                "pool %s has %d blocks of /%d for %d nodes: some nodes will get no block of their own and borrow addresses."
                % (net, blocks, block, users),
                "use a larger pool or a smaller block (larger block size number).",
            )
    if any(net.version == ll.version and net.overlaps(ll) for ll in LINK_LOCAL):
        ctx.f.error(subject, "%s is in the link-local range." % net, "pick a pool outside 169.254.0.0/16 and fe80::/10.")
    parent = cluster["pod_cidr"] if net.version == 4 else cluster["pod_cidr_v6"]
    parent_var = "calico_pod_cidr" if net.version == 4 else "calico_pod_cidr_v6"
    if parent is None:
        ctx.f.error(subject, "is IPv%d but %s is not set." % (net.version, parent_var), "set %s to a range containing %s." % (parent_var, net))
    elif not net.subnet_of(ipaddress.ip_network(parent)):
        ctx.f.error(subject, "%s is not inside %s %s." % (net, parent_var, parent), "move the pool inside %s or widen %s." % (parent, parent_var))
    if net.version == 6 and pool["ipip_mode"] != "Never":
        ctx.f.error(subject, "IPIP is IPv4 only, but pool %s is IPv6." % net, "use vxlan or none for IPv6 pools.")
    if pool["ipip_mode"] != "Never" and pool["vxlan_mode"] != "Never":
        ctx.f.error(subject, "enables both IPIP and VXLAN; they are mutually exclusive.", "choose one encapsulation per pool.")
    if pool["namespace_selector"] is not None and not isinstance(pool["namespace_selector"], str):
        ctx.f.error(subject + ".namespace_selector", "must be a selector string.", "e.g. \"name == 'team-a'\".")


def _pool_overlaps(ctx: _Ctx, cluster: dict, pools: list[dict], nodes: dict, tors: dict) -> None:
    """Overlaps of pools with services, other pools, node subnets and addresses: one error per cause."""
    svc = ipaddress.ip_network(cluster["service_cidr"]) if cluster["service_cidr"] else None
    nets = [(p, ipaddress.ip_network(p["cidr"])) for p in pools]
    subnets = [ipaddress.ip_network(s) for s in cluster["node_subnets"]]
    # (host, how the message names it, address)
    addresses = [(n["name"], n["name"], _addr(n["ip"])) for n in nodes.values() if n["ip"]]
    addresses += [(n["name"], n["name"], _addr(n["ip6"])) for n in nodes.values() if n["ip6"]]
    addresses += [(t["name"], t["name"] + " (calico_tor_peer_ip)", _addr(t["peer_ip"])) for t in tors.values() if t["peer_ip"]]
    for i, (pool, net) in enumerate(nets):
        subject = "calico_ip_pools[%s]" % pool["name"] if not pool["default"] else "calico_pod_cidr"
        # A default pool is the pod CIDR, whose overlap with the services the cluster section reports.
        if svc and not pool["default"] and net.version == svc.version and net.overlaps(svc):
            ctx.f.error(subject, "%s overlaps the service CIDR %s." % (net, svc), "pod pools and services must not share addresses.")
        for other, onet in nets[i + 1 :]:
            if net.version == onet.version and net.overlaps(onet):
                ctx.f.error(subject, "%s overlaps pool %s (%s)." % (net, other["name"], onet), "IP pools must not overlap.")
        lo, hi = int(net.network_address), int(net.broadcast_address)
        inside = [(host, who) for host, who, ip in addresses if ip.version == net.version and lo <= int(ip) <= hi]
        hosts = list(dict.fromkeys(host for host, _who in inside))
        overlapped = [str(s) for s in subnets if s.version == net.version and s.overlaps(net)]
        # One cause, one error: the hosts whose addresses fall in the pool are listed in it.
        held = " It holds the addresses of %d host(s): %s." % (len(hosts), subject_list([who for _host, who in inside])) if inside else ""
        if overlapped:
            ctx.f.error(subject, "%s overlaps node subnet %s.%s" % (net, ", ".join(overlapped), held), "pods and nodes need separate ranges.", hosts)
        elif inside:
            ctx.f.error(
                subject, "%s contains node or router addresses.%s" % (net, held), "move the pool away from node and router addresses.", hosts
            )
